import assert from 'node:assert/strict';
import { buildStatus, type StatusReport, type StatusSources } from '../../../src/http/status.js';
import { renderStatusPage } from '../../../src/http/statusPage.js';
import type { IrcState } from '../../../src/notifiers/irc/state.js';
import type { ProbeStatus } from '../../../src/probes/engine.js';
import { openDb } from '../../../src/store/db.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { HistoryStore } from '../../../src/store/history.js';
import { IncidentStore } from '../../../src/store/incidents.js';
import { Outbox } from '../../../src/store/outbox.js';

const T = Date.UTC(2026, 11, 4, 15, 40);

/** A status report read from a real store, everything else fixed. */
function sources(store: IncidentStore, over: Partial<StatusSources> = {}): StatusSources {
  return {
    name: 'Lifeline test',
    build: { version: '0.1.0', revision: 'test' },
    nowMs: () => T + 10 * 60_000,
    startedMs: T,
    irc: () => undefined,
    path: undefined,
    faults: () => [],
    outboxPending: () => 0,
    alertCounts: () => ({}),
    probes: () => [],
    incidents: store,
    bundleWindowMs: 120_000,
    schedule: { shifts: () => [] },
    channels: () => [],
    silences: () => [],
    maintenance: () => [],
    history: { probeEvents: () => [], pathDowns: () => [] },
    ...over,
  };
}

const probe = (name: string, status: ProbeStatus['status'], behind: string | null = null): ProbeStatus => ({ name, kind: 'tcp', target: 'h:1', group: undefined, status, sinceMs: T, failures: 3, behind, warning: null, last: null });

describe('status report: incidents worst first, groups folded (issue 22 §1)', () => {
  it('orders by severity, then causes (the IRC path, a probe others are down behind, a shared cause), then newest; a group of 5 is one entry listing its codes', () => {
    const db = openDb(':memory:');
    const store = new IncidentStore(db);
    const open = (title: string, severity: string, atMin: number, extra: { kind?: 'alert' | 'path'; labels?: Record<string, string>; groupKey?: string } = {}) =>
      store.open({ kind: extra.kind ?? 'alert', fingerprint: extra.kind === 'path' ? null : title, title, severity, labels: extra.labels ?? {}, policy: 'p', nowMs: T + atMin * 60_000, firstDueMs: null, ...(extra.groupKey ? { groupKey: extra.groupKey } : {}) });
    open('IRC alert path down', 'critical', 0, { kind: 'path' });
    open('ProbeDown proxy', 'critical', 1, { labels: { probe: 'proxy' } });
    open('DiskFull db1', 'warning', 9);
    open('ProbeDown ~10.0.0.1:443', 'critical', 2, { labels: { probe: '~10.0.0.1:443', kind: 'shared' } });
    const group = Array.from({ length: 5 }, (_, k) => open(`HostDown h${k}`, 'page', 3 + k, { groupKey: '{}:{alertname="HostDown"}' }));
    // The group's pages went in one SMS: one row in its entry.
    for (const i of group) store.addPage({ incidentId: i?.id as number, reason: { kind: 'step', index: 0 }, channel: 'sms', person: 'alice', nowMs: T, notBeforeMs: T, text: 'x' });
    const sms = new Outbox(db, 1000).enqueue('sms:+1', { kind: 'page', subject: 's', body: ['b'] }, T);
    store.markPagesSent((db.prepare('SELECT id FROM pages').all() as Array<{ id: number }>).map((p) => p.id), sms);
    const r = buildStatus(sources(store, { probes: () => [probe('proxy', 'down'), probe('wiki', 'down', 'proxy')] }));
    assert.deepEqual(
      r.incidents.shown.map((i) => [i.title, i.cause]),
      [['ProbeDown ~10.0.0.1:443', true], ['ProbeDown proxy', true], ['IRC alert path down', true], ['HostDown h4', false], ['HostDown h3', false], ['HostDown h2', false], ['HostDown h1', false], ['HostDown h0', false], ['DiskFull db1', false]],
    );
    assert.equal(r.incidents.shown[3]?.groupKey, '{}:{alertname="HostDown"}');
    const html = renderStatusPage(r);
    const rows = html.slice(html.indexOf('<section id="incidents">'), html.indexOf('</section>', html.indexOf('<section id="incidents">'))).split('<tr>').slice(1);
    assert.equal(rows.length, 5, 'the group of 5 is one entry');
    assert.match(rows[3] ?? '', /5 in one group[\s\S]*<b>HostDown h4<\/b> <span class="sub">and 4 more of its Alertmanager group/);
    const codes = r.incidents.shown.slice(3, 8).map((i) => i.code);
    assert.ok(codes.every((c) => (rows[3] ?? '').includes(c)), 'the entry lists every code of the group');
    assert.equal((rows[3] ?? '').match(/carried the pages of/g)?.length, 1, 'one row for the one SMS of the group');
    assert.match(rows[0] ?? '', /ProbeDown ~10\.0\.0\.1:443<\/b> <span class="b bad">cause<\/span>/);
    assert.match(rows[4] ?? '', /DiskFull db1/);
    db.close();
  });
});

describe('status report: pages in the future tense, one row per message (issue 22 §1)', () => {
  it('a page held by the bundle window says when it goes ("in 1 min"), not its not-before time in the past; pages bundled into one SMS are one row', () => {
    const db = openDb(':memory:');
    const store = new IncidentStore(db);
    const outbox = new Outbox(db, 1000);
    const ids = ['A', 'B', 'C'].map((t, k) => store.open({ kind: 'alert', fingerprint: t, title: t, severity: 'critical', labels: {}, policy: 'p', nowMs: T, firstDueMs: T + (k + 20) * 60_000 })?.id as number);
    for (const id of ids.slice(0, 2)) store.addPage({ incidentId: id, reason: { kind: 'raised', index: 0, severity: 'crit' }, channel: 'sms', person: 'alice', nowMs: T, notBeforeMs: T, text: 'x' });
    // One SMS carried both pages, sent 9 min after T (now is T + 10 min).
    const sms = outbox.enqueue('sms:+1', { kind: 'page', subject: 's', body: ['b'] }, T + 9 * 60_000);
    store.markPagesSent((db.prepare('SELECT id FROM pages ORDER BY id').all() as Array<{ id: number }>).map((p) => p.id), sms);
    outbox.markSent(sms, T + 9 * 60_000);
    // The third incident's page was due 2 min ago but waits for the bundle window (2 min after the SMS).
    store.addPage({ incidentId: ids[2] as number, reason: { kind: 'outOfBand' }, channel: 'sms', person: 'alice', nowMs: T + 8 * 60_000, notBeforeMs: T + 8 * 60_000, text: 'x' });
    const r = buildStatus(sources(store));
    const waiting = r.pages.find((p) => p.state === 'waiting');
    assert.equal(waiting?.goesMs, T + 11 * 60_000);
    const html = renderStatusPage(r);
    const paging = html.slice(html.indexOf('<section id="paging">'));
    assert.equal(paging.match(/<li>/g)?.length, 2, 'one row for the SMS of two pages, one for the waiting page');
    assert.match(paging, /one sms → alice carried the pages of <b>[A-Z0-9]{4}, [A-Z0-9]{4}<\/b>/);
    assert.match(paging, /out of band \(IRC down\) · sms → alice · .*waiting<\/span> goes in 1 min <span class="rel">\(<time datetime="2026-12-04T15:51:00.000Z">/);
    assert.doesNotMatch(html, /\d+ min ago\)<\/span><\/span>? ?goes|waiting until/);
    // The next steps are in the future, in words.
    assert.match(html, /next step in 10 min <span class="rel">/);
    // Held by a silence, its waiting page goes only when released: no time is promised.
    store.hold(ids[2] as number, T + 9 * 60_000);
    const heldHtml = renderStatusPage(buildStatus(sources(store)));
    assert.equal(buildStatus(sources(store)).pages.find((p) => p.state === 'waiting')?.goesMs, null);
    assert.match(heldHtml, /out of band \(IRC down\) · sms → alice · .*waiting<\/span> while its incident is held/);
    db.close();
  });
});

describe('status page: the IRC path while the bouncer link is down (issue 22 §1)', () => {
  const irc = (link: IrcState['link']): IrcState => ({
    link, connectedSinceMs: link === 'registered' ? T : undefined, disconnectedSinceMs: link === 'registered' ? undefined : T + 60_000, lastError: 'ECONNREFUSED', upstream: 'up', upstreamSinceMs: T - 3_600_000,
    canary: { lastOkMs: T + 30_000, lastRttMs: 1.137458000011975, failing: false }, joined: [], stuck: [], nick: 'lifeline', lastOutage: undefined, attempts: 3, echo: false, accounts: false,
  });
  const base = (over: Partial<StatusReport>): StatusReport => ({ ...buildStatus(sources(new IncidentStore(openDb(':memory:')))), generatedMs: T + 120_000, ...over });

  it('shows the network and the canary as unknown with when they were last known, not green', () => {
    const html = renderStatusPage(base({ irc: irc('disconnected'), path: { name: 'IRC alert path', healthy: false, reason: 'not connected to the bouncer' } }));
    assert.match(html, /bouncer's network: <span class="b idle">unknown<\/span> <span class="sub">\(no link to the bouncer; last known up <time datetime="2026-12-04T14:40:00.000Z">/);
    assert.match(html, /canary: <span class="b idle">unknown<\/span> <span class="sub">\(no link to the bouncer; last known back <time datetime="2026-12-04T15:40:30.000Z">/);
    assert.doesNotMatch(html, /<span class="b ok">(up|back)<\/span>/);
  });

  it('registered: the canary round trip rounded ("1 ms"), the healthy path folded to one line', () => {
    const html = renderStatusPage(base({ irc: irc('registered'), path: { name: 'IRC alert path', healthy: true, reason: null } }));
    assert.match(html, /canary: <span class="b ok">back<\/span> in 1 ms, /);
    assert.match(html, /<section id="path"><details><summary><b>IRC path<\/b> <span class="b ok">carrying alerts<\/span><\/summary>/);
  });
});

describe('status page words (issue 22 §1)', () => {
  it('an incident past its last step says "no more steps in its policy", not "no further steps"', () => {
    const db = openDb(':memory:');
    const store = new IncidentStore(db);
    store.open({ kind: 'alert', fingerprint: 'x', title: 'X', severity: 'critical', labels: {}, policy: 'p', nowMs: T, firstDueMs: null });
    const html = renderStatusPage(buildStatus(sources(store)));
    assert.match(html, /no more steps in its policy/);
    assert.doesNotMatch(html, /no further steps/);
    db.close();
  });
});

describe('status page history: uptime over 24 h and 7 days, resolved incidents (issue 22 §1)', () => {
  const HOUR = 3_600_000;
  const NOWH = T + 10 * 60_000;
  /** A probe's alert changing status, stored the way probe alerts are (AlertStore.record). */
  function probeAlert(alerts: AlertStore, name: string, status: 'firing' | 'resolved', atMs: number): void {
    const alert = { fingerprint: `probe:${name}`, status, labels: { alertname: 'ProbeDown', probe: name }, annotations: {}, startsAt: '', endsAt: '', generatorURL: '', probe: { name, warning: false } };
    alerts.record('probes', { source: 'probe', groupKey: alert.fingerprint, status, commonLabels: alert.labels, truncatedAlerts: 0, alerts: [alert] }, atMs);
  }

  it('computes each probe\'s and the IRC path\'s uptime from stored alert changes and path incidents, with bars; lists resolved incidents with who was paged and acked', () => {
    const db = openDb(':memory:');
    const store = new IncidentStore(db);
    const alerts = new AlertStore(db);
    probeAlert(alerts, 'web', 'firing', NOWH - 2 * HOUR);
    probeAlert(alerts, 'web', 'resolved', NOWH - HOUR);
    probeAlert(alerts, 'old', 'firing', NOWH - 9 * 24 * HOUR); // before the week: it was down when the week began
    probeAlert(alerts, 'old', 'resolved', NOWH - 6 * 24 * HOUR);
    const path = store.open({ kind: 'path', fingerprint: null, title: 'IRC alert path down', severity: 'critical', labels: {}, policy: 'p', nowMs: NOWH - 3 * HOUR, firstDueMs: null });
    assert.ok(path);
    store.addPage({ incidentId: path.id, reason: { kind: 'path' }, channel: 'sms', person: 'alice', nowMs: NOWH - 3 * HOUR, notBeforeMs: NOWH - 3 * HOUR, text: 'x' });
    store.ack(path.id, 'alice', NOWH - 2.9 * HOUR, null);
    store.resolve(path.id, NOWH - 2.5 * HOUR);
    const pathMonitor = { name: 'IRC alert path', healthy: () => true, reason: () => null } as unknown as NonNullable<StatusSources['path']>;
    const probes = [probe('web', 'up'), probe('db', 'down', 'proxy'), probe('old', 'up'), probe('fine', 'up'), { ...probe('proxy', 'down'), sinceMs: NOWH - HOUR / 2 }];
    probes[1] = { ...(probes[1] as ProbeStatus), sinceMs: NOWH - HOUR / 2 };
    const r = buildStatus(sources(store, { nowMs: () => NOWH, probes: () => probes, history: new HistoryStore(db), path: pathMonitor }));
    const h = r.history;
    const up = (name: string) => { const v = name === 'IRC path' ? h.path : h.probes.find((p) => p.name === name); return v && [v.day.up, v.week.up].map(round); };
    const round = (x: number) => Math.round(x * 1e9) / 1e9;
    assert.deepEqual(up('web'), [23 / 24, 1 - 1 / 168].map(round));
    assert.deepEqual(up('db'), [1 - 0.5 / 24, 1 - 0.5 / 168].map(round), 'down now behind its dependency: down, though it raised no alert of its own');
    assert.deepEqual(up('old'), [1, 6 / 7].map(round));
    assert.deepEqual(up('IRC path'), [1 - 0.5 / 24, 1 - 0.5 / 168].map(round));
    assert.deepEqual({ down: h.probesDown, up: h.probesUp }, { down: 4, up: 1 });
    assert.deepEqual(h.probes.map((p) => p.name), ['old', 'web', 'db', 'proxy'], 'the least up first');
    // web's day bar: the hour from 2 h to 1 h ago is down, the rest up.
    assert.deepEqual(h.probes.find((p) => p.name === 'web')?.day.cells.map((c) => c > 0), Array.from({ length: 24 }, (_, i) => i === 22));
    assert.deepEqual(h.resolved.map((i) => [i.title, i.paged, i.ackedBy, i.resolvedMs]), [['IRC alert path down', ['sms → alice'], 'alice', NOWH - 2.5 * HOUR]]);
    const html = renderStatusPage(r);
    const sec = html.slice(html.indexOf('<section id="history">'));
    assert.match(sec, /<b>web<\/b><\/td><td>95\.83 %<br><span class="bar" role="img" aria-label="95\.83 % up">(<i><\/i>){22}<i class="d" title="down 1 h of 1 h"><\/i><i><\/i><\/span><\/td><td>99\.40 %/);
    assert.match(sec, /<b>IRC path<\/b><\/td><td>97\.91 %/);
    assert.match(sec, /1 probe up throughout the 7 days/);
    assert.match(sec, /IRC alert path down<\/b>.*opened .*paged sms → alice · acked by alice .*resolved .*after 30 min/);
    assert.doesNotMatch(sec, /<script/);
    db.close();
  });

  it('past its row limit, reads the newest changes (oldest first), so the last hours are never the part left out', () => {
    const db = openDb(':memory:');
    const alerts = new AlertStore(db);
    probeAlert(alerts, 'a', 'firing', NOWH - 3 * HOUR);
    probeAlert(alerts, 'a', 'resolved', NOWH - 2 * HOUR);
    probeAlert(alerts, 'a', 'firing', NOWH - HOUR);
    assert.deepEqual(new HistoryStore(db).probeEvents(NOWH - 24 * HOUR, 2).map((e) => [e.status, e.atMs]), [['resolved', NOWH - 2 * HOUR], ['firing', NOWH - HOUR]]);
    db.close();
  });

  it('counts the IRC path down now, before its incident opens (grace), from when the link was lost', () => {
    const db = openDb(':memory:');
    const pathMonitor = { name: 'IRC alert path', healthy: () => false, reason: () => 'not connected to the bouncer' } as unknown as NonNullable<StatusSources['path']>;
    const irc = { link: 'disconnected', disconnectedSinceMs: NOWH - HOUR, upstream: 'unknown', canary: { failing: false } } as unknown as IrcState;
    const r = buildStatus(sources(new IncidentStore(db), { nowMs: () => NOWH, history: new HistoryStore(db), path: pathMonitor, irc: () => irc }));
    assert.equal(r.history.path?.day.up, 23 / 24);
    db.close();
  });

  it('at 20,000 probes and 20,000 stored changes: two queries, bars only for probes that were down, bounded', () => {
    const db = openDb(':memory:');
    const alerts = new AlertStore(db);
    const probes = Array.from({ length: 20_000 }, (_, i) => probe(`p${i}`, 'up'));
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) {
        probeAlert(alerts, `p${i}`, 'firing', NOWH - 5 * HOUR + i);
        probeAlert(alerts, `p${i}`, 'resolved', NOWH - 4 * HOUR + i);
      }
    })();
    const t0 = performance.now();
    const r = buildStatus(sources(new IncidentStore(db), { nowMs: () => NOWH, probes: () => probes, history: new HistoryStore(db) }));
    const html = renderStatusPage(r);
    const took = performance.now() - t0;
    assert.deepEqual({ shown: r.history.probes.length, down: r.history.probesDown, up: r.history.probesUp }, { shown: 200, down: 10_000, up: 10_000 });
    assert.match(html, /9800 more probes were down this week \(not shown\)/);
    assert.match(html, /10000 probes up throughout the 7 days/);
    assert.match(html, /The newest 20000 probe changes of the week are counted; any before <time datetime="[^"]+">[^<]+<\/time> <span class="rel">\(5 h ago\)<\/span> are not/);
    assert.ok(took < 3_000, `report and page took ${Math.round(took)} ms`);
    db.close();
  });
});
