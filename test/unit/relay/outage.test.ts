import assert from 'node:assert/strict';
import { queueOutageSummaries } from '../../../src/relay/outage.js';
import type { SummaryMessage } from '../../../src/alerts/messages.js';
import { batchOf, parseWebhookPayload } from '../../../src/sources/alertmanager.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { openDb } from '../../../src/store/db.js';
import { Outbox } from '../../../src/store/outbox.js';
import { FakeClock } from '../fakeClock.js';

describe('queueOutageSummaries', () => {
  it('queues one summary per channel naming what fires now, and counts what changed during the outage', () => {
    const clock = new FakeClock();
    const db = openDb(':memory:');
    const alerts = new AlertStore(db);
    const outbox = new Outbox(db, 100);
    const record = (status: 'firing' | 'resolved', names: string[]): void => {
      const r = parseWebhookPayload({ version: '4', groupKey: 'g', status, alerts: names.map((n) => ({ status, labels: { alertname: n, instance: `${n}-host`, severity: 'critical' }, fingerprint: n })) });
      assert.ok(r.ok);
      alerts.record('default', batchOf(r.value), clock.now());
    };
    record('firing', ['Before']); // fired before the outage, still firing
    clock.advance(1_000);
    const fromMs = clock.now();
    record('firing', ['During1', 'During2']);
    record('resolved', ['During2']);
    clock.advance(17_000);
    const poked: string[] = [];
    const r = queueOutageSummaries({ alerts, outbox, clock, destinations: ['irc:#a', 'irc:#b'], poke: (d) => poked.push(d) }, { incident: 'K7QM', fromMs, toMs: clock.now() });
    assert.deepEqual(r, { fired: 2, resolved: 1, firingNow: 2 });
    for (const dest of ['irc:#a', 'irc:#b']) {
      const [e] = outbox.pending(dest);
      const m = e!.message as SummaryMessage;
      assert.equal(m.outage?.incident, 'K7QM');
      assert.deepEqual(Object.values(m.alerts).map((a) => a.name).sort(), ['Before', 'During1']);
    }
    assert.deepEqual(poked, [], 'the dispatcher is woken only after the caller\'s transaction');
    clock.advance(0);
    assert.deepEqual(poked, ['irc:#a', 'irc:#b']);
  });

  it('leaves out alerts that fire by design (the Watchdog): no "none: Watchdog" line, not counted (issue 22 §4)', () => {
    const clock = new FakeClock();
    const db = openDb(':memory:');
    const alerts = new AlertStore(db);
    const outbox = new Outbox(db, 100);
    const r0 = parseWebhookPayload({ version: '4', groupKey: 'g', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'Watchdog', severity: 'none' }, fingerprint: 'w' }, { status: 'firing', labels: { alertname: 'HostDown', severity: 'critical' }, fingerprint: 'h' }] });
    assert.ok(r0.ok);
    alerts.record('default', batchOf(r0.value), clock.now());
    const r = queueOutageSummaries({ alerts, outbox, clock, destinations: ['irc:#a'], poke: () => undefined, quietNames: ['Watchdog'] }, { incident: 'K7QM', fromMs: 0, toMs: clock.now() });
    assert.equal(r.firingNow, 1);
    const m = outbox.pending('irc:#a')[0]!.message as SummaryMessage;
    assert.deepEqual(Object.values(m.alerts).map((a) => a.name), ['HostDown']);
  });
});
