import assert from 'node:assert/strict';
import type { StatusReport } from '../../../src/http/status.js';
import { esc, renderStatusPage, ROWS_PER_SLICE } from '../../../src/http/statusPage.js';
import type { ProbeStatus } from '../../../src/probes/engine.js';

const NOW = Date.UTC(2026, 10, 23, 3, 7);

function report(over: Partial<StatusReport> = {}): StatusReport {
  return {
    name: 'Lifeline on eu-west',
    generatedMs: NOW,
    startedMs: NOW - 3_600_000,
    path: null,
    irc: null,
    faults: [],
    outbox: { pending: 0 },
    alerts: {},
    channels: [],
    probes: [],
    incidents: { open: 0, acked: 0, shown: [] },
    oncall: [],
    pages: [],
    ...over,
  };
}

describe('status page HTML', () => {
  it('all clear: a green verdict, and says what is not configured instead of showing empty tables', async () => {
    const html = await renderStatusPage(report());
    assert.match(html, /<div class="head ok" id="verdict">All clear<\/div>/);
    assert.match(html, /IRC is not configured/);
    assert.match(html, /No rotations configured \(oncall\.rotations\)/);
    assert.match(html, /No probes configured \(probes\.targets\)/);
    assert.match(html, /No open incidents/);
    assert.match(html, /<meta name="viewport"/);
    assert.doesNotMatch(html, /<script/i);
  });

  it('escapes untrusted text (alert titles, probe summaries, IRC errors, fault details)', async () => {
    const evil = '<script>alert(1)</script>&"\'';
    const html = await renderStatusPage(
      report({
        path: { name: 'IRC alert path', healthy: false, reason: evil },
        faults: [{ kind: 'clock_step', sinceMs: NOW, detail: evil }],
        incidents: { open: 1, acked: 0, shown: [{ code: 'K7Q2', title: evil, kind: 'alert', severity: 'critical', state: 'open', openedMs: NOW, ackedMs: null, ackedBy: null, nextDueMs: null, pages: [] }] },
        probes: [{ name: 'p', kind: 'http', target: evil, group: evil, status: 'down', sinceMs: NOW, failures: 3, behind: null, warning: null, last: { up: false, summary: evil, phases: {}, values: {}, atMs: NOW } }],
      }),
    );
    assert.doesNotMatch(html, /<script>/);
    assert.ok(html.includes(esc(evil)));
    assert.equal(esc(evil), '&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;');
  });

  it('the verdict counts what needs people: path down, Lifeline faults, open incidents, probes down; acked only is amber', async () => {
    const html = await renderStatusPage(
      report({
        path: { name: 'IRC alert path', healthy: false, reason: 'the bouncer lost its IRC network' },
        faults: [{ kind: 'store_write', sinceMs: NOW - 60_000, detail: 'SQLITE_FULL' }],
        incidents: { open: 3, acked: 1, shown: [] },
        probes: [{ name: 'a', kind: 'tcp', target: 'h:1', group: undefined, status: 'down', sinceMs: NOW, failures: 3, behind: null, warning: null, last: null }],
      }),
    );
    assert.match(html, /id="verdict">IRC path down · 1 Lifeline fault · 3 open incidents · 1 probe down</);
    assert.match(html, /Lifeline's own faults[\s\S]*store_write[\s\S]*\(1 min ago\)<\/span>: SQLITE_FULL/);
    assert.match(await renderStatusPage(report({ incidents: { open: 0, acked: 2, shown: [] } })), /class="head warn" id="verdict">2 acknowledged incidents, nothing unacknowledged</);
  });

  it('shows each page with its delivery state in words, and phase timings of the last probe run', async () => {
    const html = await renderStatusPage(
      report({
        pages: [
          { incident: 'K7Q2', step: '0', channel: 'sms', person: 'alice', createdMs: NOW - 120_000, notBeforeMs: NOW - 120_000, state: 'sent', doneMs: NOW - 119_000, attempts: 0, error: null, call: null, receipt: null },
          { incident: 'K7Q2', step: '1', channel: 'email', person: 'bob', createdMs: NOW, notBeforeMs: NOW, state: 'failed', doneMs: NOW, attempts: 3, error: '535 auth', call: null, receipt: null },
          { incident: 'K7Q2', step: '2', channel: 'sms', person: 'bob', createdMs: NOW, notBeforeMs: Date.UTC(2026, 10, 23, 7, 0), state: 'waiting', doneMs: null, attempts: 0, error: null, call: null, receipt: null },
          { incident: 'K7Q2', step: 'resolved', channel: 'sms', person: 'bob', createdMs: NOW, notBeforeMs: NOW, state: 'unknown', doneMs: null, attempts: 0, error: null, call: null, receipt: null },
          { incident: 'K7Q2', step: '5', channel: 'sms', person: 'dave', createdMs: NOW, notBeforeMs: NOW, state: 'sent', doneMs: NOW, attempts: 0, error: null, call: null, receipt: { status: 'undelivered', errorCode: '30003' } },
          { incident: 'K7Q2', step: '6', channel: 'sms', person: 'erin', createdMs: NOW, notBeforeMs: NOW, state: 'sent', doneMs: NOW, attempts: 0, error: null, call: null, receipt: { status: 'delivered', errorCode: null } },
          { incident: 'K7Q2', step: '3', channel: 'voice', person: 'bob', createdMs: NOW, notBeforeMs: NOW, state: 'sent', doneMs: NOW, attempts: 0, error: null, call: { status: 'no-answer', outcome: 'unanswered' }, receipt: null },
          { incident: 'K7Q2', step: '4', channel: 'voice', person: 'carol', createdMs: NOW, notBeforeMs: NOW, state: 'sent', doneMs: NOW, attempts: 0, error: null, call: { status: 'completed', outcome: 'acknowledged' }, receipt: null },
        ],
        probes: [{ name: 'wiki', kind: 'http', target: 'https://wiki/', group: 'proxy', status: 'up', sinceMs: NOW, failures: 0, behind: null, warning: null, last: { up: true, summary: 'HTTP 200', phases: { connect: 0.003, tls: 0.012, firstByte: 0.05, total: 0.07 }, values: {}, atMs: NOW } }],
      }),
    );
    assert.match(html, /<b>K7Q2<\/b> step 1 · sms → alice · .*sent \(accepted by the provider\)/);
    assert.match(html, /step 2 · email → bob · .*failed.*3 failed attempt\(s\): 535 auth/);
    assert.match(html, /step 3 · sms → bob · .*waiting until 07:00 UTC/);
    assert.match(html, /resolved · sms → bob · .*record expired/);
    assert.match(html, /step 6 · sms → dave · .*undelivered \(error 30003\): sent another way/);
    assert.match(html, /step 7 · sms → erin · .*delivered to the phone/);
    assert.match(html, /step 4 · voice → bob · .*call no-answer: not acknowledged/);
    assert.match(html, /step 5 · voice → carol · .*call answered: acknowledged \(key 1\)/);
    // No probe needs a look: the healthy ones are shown open, with their phases.
    assert.match(html, /<details open><summary>1 up, no warnings<\/summary>/);
    assert.match(html, /connect 3 ms · tls 12 ms · firstByte 50 ms/);
    assert.match(html, /group proxy/);
  });

  it('renders 500 incidents with 20 pages each and 2,000 probes in well under a second', async () => {
    const shown = Array.from({ length: 500 }, (_, i) => ({
      code: `C${i}`, title: `Alert ${i}`, kind: 'alert' as const, severity: 'critical', state: 'open' as const, openedMs: NOW, ackedMs: null, ackedBy: null, nextDueMs: NOW + 60_000,
      pages: Array.from({ length: 20 }, (_, k) => ({ incident: `C${i}`, step: String(k), channel: 'sms' as const, person: 'alice', createdMs: NOW, notBeforeMs: NOW, state: 'sent' as const, doneMs: NOW, attempts: 0, error: null, call: null, receipt: null })),
    }));
    const probes = Array.from({ length: 2000 }, (_, i) => ({ name: `p${i}`, kind: 'http' as const, target: `http://h${i}/`, group: undefined, status: 'up' as const, sinceMs: NOW, failures: 0, behind: null, warning: null, last: { up: true, summary: 'HTTP 200', phases: { connect: 0.001 }, values: {}, atMs: NOW } }));
    const t0 = performance.now();
    const html = await renderStatusPage(report({ incidents: { open: 900, acked: 0, shown }, probes }));
    const took = performance.now() - t0;
    assert.match(html, /400 older incidents not shown/);
    assert.ok(took < 1000, `took ${took} ms`);
  });

  it('renders 20,000 probes in one group in linear time, yielding to the event loop every slice of rows (issue 19.5)', async () => {
    // Before: each probe copied its group's list (quadratic), 20,000 took 2 s here in one block.
    // The bounds are loose for CI (a slice is a few ms here; a collection may land in one).
    const probe = (i: number, group: string | undefined, status: ProbeStatus['status']): ProbeStatus => ({ name: `p${i}`, kind: 'tcp', target: `h${i}:22`, group, status, sinceMs: NOW, failures: 0, behind: null, warning: null, last: { up: status === 'up', summary: 'connected', phases: { connect: 0.001 }, values: {}, atMs: NOW } });
    const probes = Array.from({ length: 20_000 }, (_, i) => probe(i, 'edge', i % 100 === 7 ? 'down' : 'up'));
    let slices = 0;
    let longest = 0;
    let mark = performance.now();
    const yieldNow = async (): Promise<void> => {
      slices++;
      longest = Math.max(longest, performance.now() - mark);
      await new Promise((r) => setImmediate(r));
      mark = performance.now();
    };
    const t0 = performance.now();
    const html = await renderStatusPage(report({ probes }), yieldNow);
    const took = performance.now() - t0;
    longest = Math.max(longest, performance.now() - mark);
    assert.ok(took < 1000, `20,000 probes took ${Math.round(took)} ms`);
    assert.equal(slices, Math.floor(200 / ROWS_PER_SLICE) + Math.floor(19_800 / ROWS_PER_SLICE), 'one yield per slice of rows');
    assert.ok(longest < 300, `the event loop was held ${Math.round(longest)} ms at once`);
    assert.equal(html.match(/<tr class="(ok|bad)-row">/g)?.length, 20_000, 'every probe has its row');
    assert.match(html, /<span class="count">20000 · 200 down<\/span>/);
    assert.match(html, /<summary>19800 up, no warnings<\/summary>/);
  });

  it('groups probes in order of first appearance, the probes of each group in config order', async () => {
    const p = (name: string, group: string | undefined): ProbeStatus => ({ name, kind: 'tcp', target: 'h:1', group, status: 'up', sinceMs: NOW, failures: 0, behind: null, warning: null, last: null });
    const html = await renderStatusPage(report({ probes: [p('a1', 'a'), p('n1', undefined), p('b1', 'b'), p('a2', 'a'), p('n2', undefined), p('b2', 'b')] }));
    const order = [...html.matchAll(/group (\w)<|<b>(\w\d)<\/b>/g)].map((m) => m[1] ?? m[2]);
    assert.deepEqual(order, ['a', 'a1', 'a2', 'n1', 'n2', 'b', 'b1', 'b2']);
  });
});
