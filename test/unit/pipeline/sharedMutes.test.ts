import assert from 'node:assert/strict';
import type { AlertBatch } from '../../../src/alerts/alert.js';
import { ClusterDispatch } from '../../../src/cluster/dispatch.js';
import { formatHlc, Hlc, type HlcTimestamp } from '../../../src/cluster/hlc.js';
import type { ClusterBody, ClusterEnvelope } from '../../../src/cluster/messages.js';
import type { ClusterNode } from '../../../src/cluster/node.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { makeIngest } from '../../../src/pipeline/ingest.js';
import { Mutes } from '../../../src/pipeline/mutes.js';
import { shareMutes } from '../../../src/pipeline/sharedMutes.js';
import { MaintenanceWindows } from '../../../src/policy/maintenance.js';
import { parseMatchers } from '../../../src/policy/matchers.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { openDb } from '../../../src/store/db.js';
import { escalationStores } from '../../../src/store/escalationStores.js';
import { Outbox } from '../../../src/store/outbox.js';
import { RepeatFilter } from '../../../src/store/repeat.js';
import { SilenceStore } from '../../../src/store/silences.js';
import { FakeClock } from '../fakeClock.js';
import { emailPagingConfig } from './emailConfig.js';

const config = emailPagingConfig();

/**
 * One instance's pipeline (ingest, engine, mutes) on its own database, sharing one fake clock; its
 * cluster messages are collected. `hlcSkewMs`: how far its hybrid logical clock's wall clock is
 * ahead of the shared one (a region whose clock runs ahead).
 */
function instance(name: string, clock: FakeClock, hlcSkewMs = 0) {
  const db = openDb(':memory:');
  const outbox = new Outbox(db, 10_000);
  const alerts = new AlertStore(db);
  const engine = new EscalationEngine({ config, ...escalationStores(db), outbox, schedule: new OnCallSchedule(config), clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }) });
  // eslint-disable-next-line prefer-const
  let mutes: Mutes;
  const ingest = makeIngest({ db, alerts, muted: (now) => mutes.muted(now), escalation: engine, repeats: new RepeatFilter(db, 4 * 3600_000), outbox, routes: new Map([['default', ['console']]]) });
  const silences = new SilenceStore(db);
  mutes = new Mutes({ silences, maintenance: new MaintenanceWindows([]), alerts, escalation: engine, clock, log: silentLogger(), reevaluate: (route, batch, now) => ingest(route, batch, now, undefined, false, true) });
  const sent: Array<{ env: ClusterEnvelope; key: string | undefined }> = [];
  const hlc = new Hlc(name, { now: () => clock.now() + hlcSkewMs, monotonic: () => clock.monotonic(), setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h) });
  const node = {
    hlc,
    record: (body: Exclude<ClusterBody, { kind: 'heartbeat' }>, key?: string, stamp: HlcTimestamp = hlc.now()): string => {
      sent.push({ env: { from: name, hlc: stamp, body }, key });
      return `${name}:${key}`;
    },
  };
  const dispatch = new ClusterDispatch(silentLogger());
  shareMutes(mutes, node as unknown as Pick<ClusterNode, 'record' | 'hlc'>, dispatch, formatHlc);
  dispatch.seal();
  engine.start();
  mutes.start();
  const batch = (alert: string, status: 'firing' | 'resolved'): AlertBatch => ({
    source: 'alertmanager',
    groupKey: alert,
    status,
    commonLabels: { alertname: alert },
    truncatedAlerts: 0,
    alerts: [{ fingerprint: alert, status, labels: { alertname: alert, severity: 'critical' }, annotations: { summary: alert }, startsAt: '', endsAt: '', generatorURL: '' }],
  });
  return {
    name,
    db,
    mutes,
    silences,
    engine,
    sent,
    /** Applies messages as the cluster layer does: each in a transaction. */
    receive: (envs: readonly ClusterEnvelope[]) => {
      for (const e of envs) {
        hlc.receive(e.hlc); // as ClusterNode does before it applies a message
        db.transaction(() => dispatch.apply(e))();
      }
    },
    fire: (alert: string) => {
      ingest('default', batch(alert, 'firing'), clock.now());
      engine.kick();
    },
    pages: () => outbox.pending('email:alice@example.org').filter((e) => e.message.kind === 'page').length,
    incident: (alert: string) => engine.incidents.live('alert', alert),
  };
}

/** What `from` sent since `since` (an index into its sent list). */
const since = (x: ReturnType<typeof instance>, i: number): ClusterEnvelope[] => x.sent.slice(i).map((s) => s.env);

describe('silences shared across instances (issue 23, pipeline/sharedMutes.ts)', () => {
  it("a silence set on A is sent in A's transaction and holds B's open incident exactly as a local one does; unsilence on A releases it on B the same way", () => {
    const clock = new FakeClock();
    const a = instance('a', clock);
    const b = instance('b', clock);
    // The reference: the same silence set and ended on the instance itself.
    const l = instance('l', clock);
    b.fire('DiskFull');
    l.fire('DiskFull');
    assert.equal(b.pages(), 1, 'paged at once');
    clock.advance(60_000);
    const { silence } = a.mutes.silence(parseMatchers('alertname=DiskFull'), 'alice', 3_600_000);
    const local = l.mutes.silence(parseMatchers('alertname=DiskFull'), 'alice', 3_600_000);
    assert.equal(a.sent.length, 1);
    assert.equal(a.sent[0]?.env.body.kind, 'silence');
    assert.match(a.sent[0]?.key ?? '', /^silence:\d+-[0-9a-f]{16}$/, 'a stable message id per silence');
    b.receive(since(a, 0));
    assert.notEqual(b.incident('DiskFull')?.heldSinceMs, null, "B's incident is held by A's silence");
    assert.equal(b.incident('DiskFull')?.heldSinceMs, l.incident('DiskFull')?.heldSinceMs);
    assert.deepEqual(b.mutes.active().map((s) => [s.createdBy, s.createdMs, s.expiresMs]), [['alice', silence.createdMs, silence.expiresMs]]);
    // Delivered twice (at-least-once): stored once.
    b.receive(since(a, 0));
    assert.equal(b.mutes.active().length, 1);
    assert.equal(b.sent.length, 0, 'B does not echo a peer silence back');
    clock.advance(11 * 60_000);
    b.engine.kick();
    assert.equal(b.pages(), 1, 'the second step does not page while held');

    a.mutes.unsilence(silence.id, 'alice');
    l.mutes.unsilence(local.silence.id, 'alice');
    assert.equal(a.sent[1]?.env.body.kind, 'unsilence');
    b.receive(since(a, 1));
    assert.equal(b.mutes.active().length, 0);
    assert.equal(b.incident('DiskFull')?.heldSinceMs, null, 'released on B');
    const pagesB: number[] = [];
    const pagesL: number[] = [];
    for (let m = 0; m < 15; m++) {
      b.engine.kick();
      l.engine.kick();
      pagesB.push(b.pages());
      pagesL.push(l.pages());
      clock.advance(60_000);
    }
    assert.deepEqual(pagesB, pagesL, 'B pages after the release minute by minute as the instance that set and ended the silence itself');
    assert.equal(pagesB.at(-1), 2, 'the second step went after the release');
  });

  it('a silence set on B from a peer mutes a new alert there; one that fired under it opens its incident when the peer ends it', () => {
    const clock = new FakeClock();
    const a = instance('a', clock);
    const b = instance('b', clock);
    a.mutes.silence(parseMatchers('alertname=~"Vpn.*"'), 'alice', 3_600_000);
    b.receive(since(a, 0));
    b.fire('VpnDown');
    assert.equal(b.pages(), 0, 'muted on B by the silence set on A');
    assert.equal(b.incident('VpnDown'), undefined);
    clock.advance(60_000);
    const id = a.mutes.active()[0]?.id ?? 0;
    a.mutes.unsilence(id, 'bob');
    b.receive(since(a, 1));
    assert.ok(b.incident('VpnDown'), 'evaluated as new when the silence ended');
    assert.equal(b.pages(), 1);
    assert.equal(b.silences.endedUnreleased(clock.now()).length, 0, 'released once');
  });

  it('merge: an unsilence that arrives before its silence stores it ended (the silence arriving later does not start it); concurrent ends converge on the earliest', () => {
    const clock = new FakeClock();
    const a = instance('a', clock);
    const b = instance('b', clock);
    const c = instance('c', clock);
    const { silence } = a.mutes.silence(parseMatchers('alertname=X'), 'alice', 3_600_000);
    b.receive(since(a, 0));
    clock.advance(1_000);
    const idOnB = b.mutes.active()[0]?.id ?? 0;
    b.mutes.unsilence(idOnB, 'bob');
    // C hears B's unsilence first, then A's silence.
    c.receive(since(b, 0));
    c.receive(since(a, 0));
    assert.equal(c.mutes.active().length, 0, 'not started by the late silence');
    // Concurrent ends: A ends it too, later, before hearing B's end; each then hears the other's.
    clock.advance(1_000);
    a.mutes.unsilence(silence.id, 'alice');
    a.receive(since(b, 0));
    b.receive(since(a, 1));
    c.receive(since(a, 1));
    const endOf = (x: ReturnType<typeof instance>) => {
      const r = x.db.prepare('SELECT expires_ms AS e, ended_by AS by FROM silences').get() as { e: number; by: string };
      return r.e;
    };
    assert.equal(endOf(a), endOf(b));
    assert.equal(endOf(b), endOf(c));
    assert.equal(endOf(a), silence.createdMs + 1_000, "the earliest end (B's) wins everywhere");
  });

  it('merge by hybrid logical clock, not wall clock: an end stamped earlier wins everywhere even when its wall clock reads later', () => {
    const clock = new FakeClock();
    const a = instance('a', clock);
    const b = instance('b', clock);
    // c's clock runs 20 s ahead: whoever hears c moves its hybrid logical clock there.
    const c = instance('c', clock, 20_000);
    const { silence } = a.mutes.silence(parseMatchers('alertname=X'), 'alice', 3_600_000);
    b.receive(since(a, 0));
    c.mutes.silence(parseMatchers('alertname=Other'), 'carol', 3_600_000);
    b.receive(since(c, 0));
    // b ends the silence first by the wall clock, after hearing c: its end is stamped 20 s ahead.
    clock.advance(1_000);
    const idOnB = b.mutes.active().find((s) => s.createdBy === 'alice')?.id ?? 0;
    assert.ok(b.mutes.unsilence(idOnB, 'bob'));
    // a ends it 4 s later by the wall clock, never having heard c: its stamp is the earlier one.
    clock.advance(4_000);
    assert.ok(a.mutes.unsilence(silence.id, 'alice'));
    const endOnA = since(a, 1)[0];
    const endOnB = since(b, 0)[0];
    assert.ok(endOnA && endOnB && endOnA.body.kind === 'unsilence' && endOnB.body.kind === 'unsilence');
    assert.ok(endOnB.body.endedMs < endOnA.body.endedMs, "b's end is earlier by the wall clock");
    assert.ok(formatHlc(endOnA.hlc) < formatHlc(endOnB.hlc), "a's end is earlier by the hybrid logical clock");
    a.receive([endOnB]);
    b.receive([endOnA]);
    const endOf = (x: ReturnType<typeof instance>) => x.db.prepare("SELECT expires_ms AS e, ended_by AS by FROM silences WHERE created_by = 'alice'").get() as { e: number; by: string };
    assert.deepEqual(endOf(a), { e: endOnA.body.endedMs, by: 'alice' }, "a keeps its own end (stamped earlier)");
    assert.deepEqual(endOf(b), { e: endOnA.body.endedMs, by: 'alice (on a)' }, "b takes a's end over its own");
    // Arriving in the other order at a third instance: the same end.
    const d = instance('d', clock);
    d.receive(since(a, 0));
    d.receive([endOnB, endOnA]);
    assert.deepEqual(endOf(d), { e: endOnA.body.endedMs, by: 'alice (on a)' });
    const d2 = instance('d2', clock);
    d2.receive(since(a, 0));
    d2.receive([endOnA, endOnB]);
    assert.deepEqual(endOf(d2), endOf(d));
  });

  it('a silence and its cluster message are one transaction: when the message cannot be written, neither is stored', () => {
    const clock = new FakeClock();
    const a = instance('a', clock);
    a.mutes.replicateTo({
      silenced: () => {
        throw new Error('disk full');
      },
      unsilenced: () => '',
    });
    assert.throws(() => a.mutes.silence(parseMatchers('alertname=X'), 'alice', 60_000), /disk full/);
    assert.equal(a.mutes.active().length, 0);
  });
});
