import assert from 'node:assert/strict';
import type { AlertBatch } from '../../../src/alerts/alert.js';
import { ClusterDispatch } from '../../../src/cluster/dispatch.js';
import { formatHlc, Hlc } from '../../../src/cluster/hlc.js';
import { decodeEnvelope, encodeEnvelope, type ClusterBody, type ClusterEnvelope } from '../../../src/cluster/messages.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { makeIngest } from '../../../src/pipeline/ingest.js';
import { Mutes } from '../../../src/pipeline/mutes.js';
import { shareMaintenance } from '../../../src/pipeline/sharedMaintenance.js';
import { MaintenanceWindows } from '../../../src/policy/maintenance.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { openDb, type Db } from '../../../src/store/db.js';
import { escalationStores } from '../../../src/store/escalationStores.js';
import { Outbox } from '../../../src/store/outbox.js';
import { PeerMaintenanceStore } from '../../../src/store/peerMaintenance.js';
import { RepeatFilter } from '../../../src/store/repeat.js';
import { SilenceStore } from '../../../src/store/silences.js';
import { FakeClock } from '../fakeClock.js';
import { emailPagingConfig } from './emailConfig.js';

/*
 * Maintenance windows across instances (issue 23, pipeline/sharedMaintenance.ts) on the fake
 * clock: each instance publishes its configured set at its start; a peer's latest set joins the
 * receiver's own windows, replaces the peer's earlier set, and outlives a restart of the receiver.
 */

const H = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** A config with these maintenance windows (YAML list entries) and email paging at once. */
const configWith = (windows: string[]) => emailPagingConfig(`maintenance:${windows.length === 0 ? ' []' : windows.map((w) => `\n  - ${w}`).join('')}\n`);

/** One instance started on `db` (a restart: the same db again), its published messages collected. */
function instance(name: string, peers: string[], clock: FakeClock, windows: string[], db: Db = openDb(':memory:')) {
  const config = configWith(windows);
  const outbox = new Outbox(db, 10_000);
  const alerts = new AlertStore(db);
  const engine = new EscalationEngine({ config, ...escalationStores(db), outbox, schedule: new OnCallSchedule(config), clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }) });
  // eslint-disable-next-line prefer-const
  let mutes: Mutes;
  const ingest = makeIngest({ db, alerts, muted: (now) => mutes.muted(now), escalation: engine, repeats: new RepeatFilter(db, 4 * H), outbox, routes: new Map([['default', ['console']]]) });
  const maintenance = new MaintenanceWindows(config.maintenance);
  mutes = new Mutes({ silences: new SilenceStore(db), maintenance, alerts, escalation: engine, clock, log: silentLogger(), reevaluate: (route, batch, now) => ingest(route, batch, now, undefined, false, true) });
  const sent: ClusterEnvelope[] = [];
  const hlc = new Hlc(name, clock);
  const node = {
    record: (body: Exclude<ClusterBody, { kind: 'heartbeat' }>): string => {
      // Through the wire format, as a peer reads it.
      sent.push(decodeEnvelope(encodeEnvelope({ from: name, hlc: hlc.now(), body })));
      return name;
    },
  };
  const dispatch = new ClusterDispatch(silentLogger());
  shareMaintenance({ own: config.maintenance, peers, windows: maintenance, store: new PeerMaintenanceStore(db), mutes, node, dispatch, hlcText: formatHlc, clock, log: silentLogger() });
  dispatch.seal();
  engine.start();
  mutes.start();
  const batch = (alert: string): AlertBatch => ({
    source: 'alertmanager',
    groupKey: alert,
    status: 'firing',
    commonLabels: { alertname: alert },
    truncatedAlerts: 0,
    alerts: [{ fingerprint: alert, status: 'firing', labels: { alertname: alert, severity: 'critical' }, annotations: { summary: alert }, startsAt: '', endsAt: '', generatorURL: '' }],
  });
  return {
    db,
    sent,
    maintenance,
    stop: () => {
      mutes.stop();
      engine.stop();
    },
    receive: (envs: readonly ClusterEnvelope[]) => {
      for (const e of envs) {
        hlc.receive(e.hlc);
        db.transaction(() => dispatch.apply(e))();
      }
    },
    fire: (alert: string) => {
      ingest('default', batch(alert), clock.now());
      engine.kick();
    },
    pages: () => outbox.pending('email:alice@example.org').filter((e) => e.message.kind === 'page').length,
    incident: (alert: string) => engine.incidents.live('alert', alert),
    active: () => maintenance.active(clock.now()),
  };
}

describe('maintenance windows shared across instances (issue 23, pipeline/sharedMaintenance.ts)', () => {
  it("a window only in a's config mutes an alert on b, and ends there when its time ends: the alert then pages", () => {
    const clock = new FakeClock();
    const now = clock.now();
    const a = instance('a', ['b'], clock, [`{ name: db-upgrade, match: { alertname: "~Db.*" }, from: "${iso(now - H)}", to: "${iso(now + H)}" }`]);
    const b = instance('b', ['a'], clock, []);
    assert.deepEqual(a.sent.map((e) => e.body.kind), ['maintenance'], 'a publishes its set at its start');
    b.fire('DbDown');
    assert.equal(b.pages(), 1, 'before a is heard, b pages (control)');
    b.receive(a.sent);
    assert.deepEqual(b.active(), [{ name: 'db-upgrade', peer: 'a' }], "b holds a's window and says where it comes from");
    assert.notEqual(b.incident('DbDown')?.heldSinceMs, null, "b's open incident is held by a's window");
    b.fire('DbSlow');
    assert.equal(b.incident('DbSlow'), undefined, 'a new alert under the window opens nothing on b');
    assert.equal(b.pages(), 1, 'and pages nobody');
    clock.advance(H - 1);
    assert.equal(b.incident('DbSlow'), undefined);
    clock.advance(1);
    assert.deepEqual(b.active(), []);
    assert.ok(b.incident('DbSlow'), 'the window ended on b at its time: the alert that fired under it opens its incident');
    assert.equal(b.incident('DbDown')?.heldSinceMs, null, 'and the held one resumes');
    assert.equal(b.pages(), 2);
  });

  it("union: b's own windows and a's both hold; a's newer set replaces its earlier one whole (a window taken out of a's config is gone on b, and releases what it held); an older set arriving late changes nothing", () => {
    const clock = new FakeClock();
    const now = clock.now();
    const w1 = `{ name: w1, match: { alertname: One }, from: "${iso(now - H)}", to: "${iso(now + 5 * H)}" }`;
    const w2 = `{ name: w2, match: { alertname: Two }, from: "${iso(now - H)}", to: "${iso(now + 5 * H)}" }`;
    const own = `{ name: mine, match: { alertname: Mine }, cron: "0 * * * *", duration: 2h }`;
    const dbA = openDb(':memory:');
    const a1 = instance('a', ['b'], clock, [w1, w2], dbA);
    const b = instance('b', ['a'], clock, [own]);
    b.receive(a1.sent);
    assert.deepEqual(b.active().sort((x, y) => x.name.localeCompare(y.name)), [{ name: 'mine', peer: null }, { name: 'w1', peer: 'a' }, { name: 'w2', peer: 'a' }]);
    b.fire('Two');
    b.fire('Mine');
    assert.equal(b.pages(), 0);
    // a restarts with w2 taken out of its config.
    a1.stop();
    clock.advance(60_000);
    const a2 = instance('a', ['b'], clock, [w1], dbA);
    b.receive(a2.sent);
    assert.deepEqual(b.active().map((w) => w.name).sort(), ['mine', 'w1']);
    assert.ok(b.incident('Two'), "the alert w2 muted opens its incident on b: w2 is gone");
    assert.equal(b.pages(), 1);
    // a1's set delivered again (at least once): older, ignored.
    b.receive(a1.sent);
    assert.deepEqual(b.active().map((w) => w.name).sort(), ['mine', 'w1']);
  });

  it("a set with a window this instance cannot read is refused whole (logged); the peer's earlier set stays", () => {
    const clock = new FakeClock();
    const now = clock.now();
    const a = instance('a', ['b'], clock, [`{ name: ok, match: { alertname: Ok }, from: "${iso(now - H)}", to: "${iso(now + H)}" }`]);
    const b = instance('b', ['a'], clock, []);
    b.receive(a.sent);
    const bad = a.sent[0];
    assert.ok(bad && bad.body.kind === 'maintenance');
    const later = { ...bad, hlc: { ...bad.hlc, wall: bad.hlc.wall + 1 }, body: { ...bad.body, windows: [{ name: 'broken', match: {}, cron: 'not a cron', duration: H, time_zone: 'Mars/Olympus' }] } };
    b.receive([later]);
    assert.deepEqual(b.active(), [{ name: 'ok', peer: 'a' }]);
    b.fire('Ok');
    assert.equal(b.incident('Ok'), undefined, 'still muted by the earlier set');
    b.stop();
    const b2 = instance('b', ['a'], clock, [], b.db);
    assert.deepEqual(b2.active(), [{ name: 'ok', peer: 'a' }], 'and after a restart of b');
  });

  it('a peer that is down keeps its last set in force, across a restart of the receiver too', () => {
    const clock = new FakeClock();
    const now = clock.now();
    const a = instance('a', ['b'], clock, [`{ name: patch, match: { alertname: Vpn }, from: "${iso(now - H)}", to: "${iso(now + 3 * H)}" }`]);
    const dbB = openDb(':memory:');
    const b1 = instance('b', ['a'], clock, [], dbB);
    b1.receive(a.sent);
    a.stop(); // a is down from here; it says nothing more
    b1.stop();
    clock.advance(H);
    const b2 = instance('b', ['a'], clock, [], dbB);
    assert.deepEqual(b2.active(), [{ name: 'patch', peer: 'a' }], 'stored and applied again at the start');
    b2.fire('Vpn');
    assert.equal(b2.incident('Vpn'), undefined);
    // An instance no longer listed as a peer: its stored set is not applied.
    b2.stop();
    const b3 = instance('b', ['c'], clock, [], dbB);
    assert.deepEqual(b3.active(), []);
  });
});
