import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { openDb, type Db } from '../../../src/store/db.js';
import { IncidentStore } from '../../../src/store/incidents.js';
import { Outbox } from '../../../src/store/outbox.js';
import { EpisodeAckStore } from '../../../src/store/episodeAcks.js';
import { Retention } from '../../../src/store/retention.js';
import { CallStore } from '../../../src/store/calls.js';
import { SmsMessageStore } from '../../../src/store/smsMessages.js';
import { FakeClock } from '../fakeClock.js';
import { escalationStores } from '../../../src/store/escalationStores.js';

const DAY = 24 * 60 * 60_000;
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** Fills the store with one resolved incident for every possible ack code, resolved at `resolvedMs`. */
function fillEveryCode(db: Db, resolvedMs: number): void {
  const chars = [...ALPHABET].map((c) => `SELECT '${c}' AS c`).join(' UNION ALL ');
  db.exec(`
    WITH a(c) AS (${chars})
    INSERT INTO incidents (kind, fingerprint, title, severity, labels, policy, state, ack_code, opened_ms, resolved_ms, next_step)
    SELECT 'alert', 'old-' || a1.c || a2.c || a3.c || a4.c, 'old', 'critical', '{}', 'p', 'resolved', a1.c || a2.c || a3.c || a4.c, ${resolvedMs - 60_000}, ${resolvedMs}, 0
    FROM a a1, a a2, a a3, a a4`);
}

function open(store: IncidentStore, fp: string, nowMs: number): ReturnType<IncidentStore['open']> {
  return store.open({ kind: 'alert', fingerprint: fp, title: fp, severity: 'critical', labels: {}, policy: 'p', nowMs, firstDueMs: null });
}

describe('ack codes and retention (issue 7.4)', () => {
  it('codes never run out: with every code held by incidents resolved days ago, new incidents still open', function () {
    this.timeout(20_000);
    const db = openDb(':memory:');
    const store = new IncidentStore(db);
    const now = Date.UTC(2026, 10, 23);
    fillEveryCode(db, now - 2 * DAY);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM incidents').get() as { n: number }).n, 31 ** 4);
    const fresh = Array.from({ length: 20 }, (_, i) => open(store, `new-${i}`, now));
    for (const inc of fresh) {
      assert.ok(inc, 'opened');
      assert.equal(store.byCode(inc.ackCode)?.id, inc.id, 'the code now names the new incident');
    }
    const retired = db.prepare("SELECT COUNT(*) AS n FROM incidents WHERE ack_code LIKE '%-%'").get() as { n: number };
    assert.equal(retired.n, 20, "each new incident retired one old incident's code");
  });

  it('a code stays with an incident resolved less than 24 h ago, so a late ACK is not misapplied', function () {
    this.timeout(20_000); // filling 900,000 codes takes seconds on a slow machine; nothing here is timed
    const db = openDb(':memory:');
    const store = new IncidentStore(db);
    const now = Date.UTC(2026, 10, 23);
    fillEveryCode(db, now - 60 * 60_000);
    assert.throws(() => open(store, 'new', now), /could not find a free ack code: more than 900,000 incidents are open or resolved within 24 h/);
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM incidents WHERE ack_code LIKE '%-%'").get() as { n: number }).n, 0);
  });

  it('prunes history older than store.retention, never open incidents or pending notifications', async () => {
    const db = openDb(':memory:');
    const store = new IncidentStore(db);
    const outbox = new Outbox(db, 100);
    const now = Date.UTC(2026, 10, 23);
    const old = now - 40 * DAY;
    const oldResolved = open(store, 'old-resolved', old)!;
    store.addPage({ incidentId: oldResolved.id, reason: { kind: 'step', index: 0 }, channel: 'email', person: 'alice', nowMs: old, notBeforeMs: old, text: '{}' });
    store.resolve(oldResolved.id, old + 1000);
    const oldOpen = open(store, 'old-open', old)!;
    const recent = open(store, 'recent', now - DAY)!;
    store.resolve(recent.id, now - DAY);
    const sent = outbox.enqueue('irc:#a', { kind: 'text', text: 'x' }, old);
    outbox.markSent(sent, old);
    const pending = outbox.enqueue('irc:#a', { kind: 'text', text: 'y' }, old);
    // Calls and SMS receipts: ended/settled ones age out, a call still running or an SMS still
    // waiting for its receipt stays.
    const calls = new CallStore(db);
    calls.placed(1, 'CA-old', 'alice', old);
    calls.ended(1, 'completed', old + 1000);
    calls.placed(2, 'CA-running', 'alice', old);
    const sms = new SmsMessageStore(db);
    sms.sent(3, 'SM-old', 'alice', old);
    sms.receipt('SM-old', 'delivered', null, old + 1000);
    sms.sent(4, 'SM-waiting', 'alice', old);
    const deleted = await new Retention(db).prune(now - 30 * DAY, async () => undefined);
    assert.deepEqual([deleted['calls'], deleted['sms_messages']], [1, 1]);
    assert.equal(calls.get(1), undefined);
    assert.ok(calls.get(2));
    assert.equal(sms.get('SM-old'), undefined);
    assert.ok(sms.get('SM-waiting'));
    assert.equal(deleted['incidents'], 1);
    assert.equal(deleted['pages'], 1);
    assert.equal(deleted['outbox'], 1);
    assert.equal(store.get(oldResolved.id), undefined);
    assert.ok(store.get(oldOpen.id), 'an open incident is kept however old');
    assert.ok(store.get(recent.id), 'a recent one is kept');
    assert.equal(outbox.get(sent), undefined);
    assert.equal(outbox.get(pending)?.state, 'pending', 'a pending notification is kept however old');
  });

  it("prunes an episode's acks and unacks together, by the newest: never an older ack kept without the unack that undid it", async () => {
    const db = openDb(':memory:');
    const acks = new EpisodeAckStore(db);
    const now = Date.UTC(2026, 10, 23);
    // Received out of order (a partition): the unack (later by HLC) arrived first, long ago; the ack it undid arrived recently.
    acks.put({ kind: 'unack', episode: 'am:x@t', by: 'bob', instance: 'b', hlc: '0000000002' }, now - 40 * DAY);
    acks.put({ kind: 'ack', episode: 'am:x@t', by: 'alice', instance: 'a', hlc: '0000000001' }, now - DAY);
    acks.put({ kind: 'ack', episode: 'am:old@t', by: 'alice', instance: 'a', hlc: '0000000001' }, now - 40 * DAY);
    assert.equal(acks.get('am:x@t'), undefined, 'taken back');
    await new Retention(db).prune(now - 30 * DAY, async () => undefined);
    assert.equal(acks.get('am:x@t'), undefined, 'still taken back after pruning');
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM episode_actions WHERE episode = 'am:x@t'").get() as { n: number }).n, 2, 'kept together');
    assert.equal(acks.get('am:old@t'), undefined, 'an episode whose actions are all past the cutoff goes');
  });
});

describe('incidents per Alertmanager group (issue 7.4)', () => {
  function engine(): { engine: EscalationEngine; db: Db; clock: FakeClock } {
    const config = parseConfig(
      `people:\n  - { name: alice, email: alice@example.org }\noncall:\n  rotations:\n    - { name: p, people: [alice], start: "2026-11-23" }\nemail: { host: smtp.example.org, from: l@example.org }\n`,
      't.yaml',
      {},
    );
    const clock = new FakeClock(Date.UTC(2026, 10, 23, 12));
    const db = openDb(':memory:');
    const e = new EscalationEngine({ config, ...escalationStores(db), outbox: new Outbox(db, 1000), schedule: new OnCallSchedule(config), clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }) });
    return { engine: e, db, clock };
  }
  const alerts = (name: string, n: number, status: 'firing' | 'resolved' = 'firing') =>
    Array.from({ length: n }, (_, i) => ({ fingerprint: `${name}-${i}`, status, labels: { alertname: name, severity: 'critical', instance: `h${i}` }, summary: '' }));

  it('a group of 100,000 alerts opens one incident with one ack code; it resolves with the group', function () {
    this.timeout(30_000);
    const { engine: e, db, clock } = engine();
    const group = { groupKey: '{}:{alertname="Storm"}', status: 'firing' as const, commonLabels: { alertname: 'Storm', severity: 'critical' } };
    db.transaction(() => e.onAlerts(group, alerts('Storm', 100_000), clock.now()))();
    const open = e.incidents.unresolved();
    assert.equal(open.length, 1);
    assert.equal(open[0]!.title, 'Storm (100000 alerts)');
    assert.equal(e.ackCodesFor(['Storm-99999'], group.groupKey)('Storm-99999'), open[0]!.ackCode, 'every alert of the group carries the group code');
    db.transaction(() => e.onAlerts(group, alerts('Storm', 100_010).slice(100_000).map((a) => ({ ...a, fingerprint: `${a.fingerprint}-late` })), clock.now()))();
    assert.equal(e.incidents.unresolved().length, 1, 'new alerts of the group join its incident');
    db.transaction(() => e.onAlerts({ ...group, status: 'resolved' }, alerts('Storm', 100_000, 'resolved'), clock.now()))();
    assert.equal(e.incidents.unresolved().length, 0);
  });

  it('a small group keeps one incident per alert', () => {
    const { engine: e, db, clock } = engine();
    db.transaction(() => e.onAlerts({ groupKey: 'g', status: 'firing', commonLabels: {} }, alerts('Few', 20), clock.now()))();
    assert.equal(e.incidents.unresolved().length, 20);
    const codes = e.ackCodesFor(['Few-0', 'Few-1'], 'g');
    assert.notEqual(codes('Few-0'), codes('Few-1'));
    assert.ok(codes('Few-0'));
  });
});
