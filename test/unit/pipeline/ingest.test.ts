import assert from 'node:assert/strict';
import type { AlertBatch } from '../../../src/alerts/alert.js';
import { parseConfig } from '../../../src/config/load.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { ingestInParts, makeIngest, PART_SIZE } from '../../../src/pipeline/ingest.js';
import { parseWebhookPayloadYielding, VALIDATE_CHUNK } from '../../../src/sources/alertmanager.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { openDb } from '../../../src/store/db.js';
import { Outbox } from '../../../src/store/outbox.js';
import { RepeatFilter } from '../../../src/store/repeat.js';
import { FakeClock } from '../fakeClock.js';
import { escalationStores } from '../../../src/store/escalationStores.js';

function rig() {
  const config = parseConfig(
    `people:\n  - { name: alice, email: alice@example.org }\noncall:\n  rotations:\n    - { name: p, people: [alice], start: "2026-11-23" }\nemail: { host: smtp.example.org, from: l@example.org }\n`,
    't.yaml',
    {},
  );
  const clock = new FakeClock();
  const db = openDb(':memory:');
  const outbox = new Outbox(db, 100_000);
  const escalation = new EscalationEngine({ config, ...escalationStores(db), outbox, schedule: new OnCallSchedule(config), clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }) });
  const alerts = new AlertStore(db);
  const ingest = makeIngest({ db, alerts, muted: () => () => false, escalation, repeats: new RepeatFilter(db, 4 * 3600_000), outbox, routes: new Map([['default', ['irc:#alerts']]]) });
  return { clock, db, outbox, escalation, alerts, ingest };
}

function batch(n: number): AlertBatch {
  return {
    source: 'alertmanager',
    groupKey: '{}:{alertname="Big"}',
    status: 'firing',
    commonLabels: { alertname: 'Big', severity: 'critical' },
    truncatedAlerts: 7,
    alerts: Array.from({ length: n }, (_, i) => ({ fingerprint: `big-${i}`, status: 'firing' as const, labels: { alertname: 'Big', severity: 'critical', instance: `h${i}` }, annotations: {}, startsAt: '', endsAt: '', generatorURL: '' })),
  };
}

describe('ingest of big webhooks (issue 7.7)', () => {
  it('a 1 MiB-sized group (3,909 alerts) is stored in parts that yield to the event loop between them; nothing is lost', async () => {
    const r = rig();
    let yields = 0;
    const result = await ingestInParts(r.ingest, 'default', batch(3909), () => r.clock.now(), async () => void yields++);
    assert.equal(yields, Math.ceil(3909 / PART_SIZE) - 1, 'yields between every two parts');
    assert.equal(result.alerts, 3909);
    assert.deepEqual(result.queued, ['irc:#alerts']);
    assert.equal(r.alerts.countByStatus()['firing'], 3909);
    const queued = r.outbox.pending('irc:#alerts');
    assert.equal(queued.reduce((n, e) => n + (e.message.kind === 'group' ? e.message.alerts.length : 0), 0), 3909, 'every alert is in a queued message');
    assert.equal(queued.reduce((n, e) => n + (e.message.kind === 'group' ? e.message.truncated : 0), 0), 7, "Alertmanager's truncated count once");
    assert.equal(r.escalation.incidents.unresolved().length, 1, 'one incident for the group, not one per part');
  });

  it('an unchanged repeat of a split group is held back like any other', async () => {
    const r = rig();
    await ingestInParts(r.ingest, 'default', batch(2500), () => r.clock.now(), async () => undefined);
    const before = r.outbox.pendingCount();
    r.clock.advance(5 * 60_000);
    await ingestInParts(r.ingest, 'default', batch(2500), () => r.clock.now(), async () => undefined);
    assert.equal(r.outbox.pendingCount(), before);
  });

  it('validation of a big payload yields every VALIDATE_CHUNK (500) alerts and still names a bad field exactly', async () => {
    let yields = 0;
    const body = { version: '4', groupKey: 'g', status: 'firing', alerts: batch(3500).alerts.map((a) => ({ status: a.status, labels: a.labels, fingerprint: a.fingerprint })) };
    const ok = await parseWebhookPayloadYielding(body, async () => void yields++);
    assert.ok(ok.ok);
    assert.equal(VALIDATE_CHUNK, 500);
    assert.equal(yields, 6, 'after alerts 500, 1000, ... 3000');
    (body.alerts[2999]!.labels as Record<string, unknown>)['severity'] = 5;
    const bad = await parseWebhookPayloadYielding(body, async () => undefined);
    assert.deepEqual(bad, { ok: false, reason: 'invalid payload at alerts[2999].labels.severity: label and annotation values must be strings' });
  });
});

describe('an alert that changes severity under one fingerprint (a redundancy group)', () => {
  const group = (severity: string, fp = 'redundancy:vpn'): AlertBatch => ({
    source: 'probe',
    groupKey: fp,
    status: 'firing',
    commonLabels: { alertname: 'VpnRedundancy', severity },
    truncatedAlerts: 0,
    alerts: [{ fingerprint: fp, status: 'firing', labels: { alertname: 'VpnRedundancy', severity, instance: 'vpn' }, annotations: { summary: `now ${severity}` }, startsAt: '', endsAt: '', generatorURL: '' }],
  });

  it('is recorded as a change; the same severity again is not', () => {
    const r = rig();
    assert.deepEqual(r.alerts.record('default', group('warning'), 1).changes, [{ fingerprint: 'redundancy:vpn', from: 'new', to: 'firing' }]);
    assert.deepEqual(r.alerts.record('default', group('warning'), 2).changes, []);
    assert.deepEqual(r.alerts.record('default', group('critical'), 3).changes, [{ fingerprint: 'redundancy:vpn', from: 'firing', to: 'firing' }]);
  });

  it('raises its incident to critical; a source that says a batch is news gets it posted', () => {
    const r = rig();
    r.ingest('default', group('warning'), r.clock.now(), undefined, true);
    r.ingest('default', group('critical'), r.clock.now(), undefined, true);
    const incidents = r.escalation.incidents.unresolved();
    assert.equal(incidents.length, 1);
    assert.equal(incidents[0]!.severity, 'critical');
    assert.equal(r.outbox.pending('irc:#alerts').length, 2, 'the channel hears "quorum lost" too');
    // Without news (Alertmanager's re-sends), an unchanged (fingerprint, status) set is held back.
    r.ingest('default', group('warning', 'other'), r.clock.now());
    r.ingest('default', group('warning', 'other'), r.clock.now());
    assert.equal(r.outbox.pending('irc:#alerts').length, 3);
  });

  it('without an incident, turning critical opens one; changing to another non-critical severity does not', () => {
    const r = rig();
    r.ingest('default', group('info'), r.clock.now(), undefined, true);
    r.ingest('default', group('warning'), r.clock.now(), undefined, true);
    assert.equal(r.escalation.incidents.unresolved().length, 0, 'info does not page; info to warning opens nothing');
    r.ingest('default', group('critical'), r.clock.now(), undefined, true);
    assert.equal(r.escalation.incidents.unresolved().length, 1);
  });
});
