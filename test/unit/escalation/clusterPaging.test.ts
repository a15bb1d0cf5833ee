import assert from 'node:assert/strict';
import { ClaimBook } from '../../../src/cluster/claims.js';
import { formatHlc, Hlc, type HlcTimestamp } from '../../../src/cluster/hlc.js';
import type { ClusterBody } from '../../../src/cluster/messages.js';
import { parseConfig } from '../../../src/config/load.js';
import { ClusterPaging, type ClusterPort } from '../../../src/escalation/clusterPaging.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { episodeOf } from '../../../src/escalation/episode.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { ClaimStore } from '../../../src/store/cluster.js';
import { openDb, type Db } from '../../../src/store/db.js';
import { escalationStores } from '../../../src/store/escalationStores.js';
import { episodeCode, IncidentStore } from '../../../src/store/incidents.js';
import { Outbox } from '../../../src/store/outbox.js';
import { FakeClock } from '../fakeClock.js';
import { yaml } from './rig.js';

/*
 * One page per event and replicated acks (issue 23) on the fake clock: two escalation engines, each
 * on its own database with the real ClaimBook, joined by an in-memory bus that carries claims,
 * sends and acks at once (or holds them while "cut").
 */

const PEER_TIMEOUT = 15_000;
const LEASE = 60_000;
const S = 1_000;

interface Inst {
  name: string;
  db: Db;
  outbox: Outbox;
  engine: EscalationEngine;
  claims: ClaimBook;
  /** Down (SIGKILL): no delivery, no renewal; the peers' messages wait for it (in its region's stream). */
  kill(): void;
  /** Started again on the same database, not settled: held until `settle()`. */
  restart(): void;
  /** Caught up with the peers: their messages sent meanwhile are applied, paging goes on. */
  settle(): void;
  /** Position among the live instances (the test sets it as liveness would). */
  position: number;
  /** Pages queued in this instance's outbox (its own sends). */
  queued(): Array<{ id: number; dest: string; subject: string }>;
  /** The notifier accepted every queued page: tell escalation (marks them sent for the peers). */
  deliverAll(): void;
  fire(name: string, startsAt: string, source?: 'alertmanager' | 'probe', sharedStart?: boolean): void;
}

function cluster(policy = '{ name: p, steps: [{ after: 0s, notify: [email] }, { after: 5m, notify: [sms] }] }'): { clock: FakeClock; a: Inst; b: Inst; cut: (on: boolean) => void } {
  const config = parseConfig(yaml(`escalation:\n  bundle_window: 0s\n  policies:\n    - ${policy}\n`), 't.yaml', {});
  const clock = new FakeClock();
  let cutOff = false;
  const held: Array<() => void> = [];
  /** Per instance: messages to it while it is down or not settled, and whether it is. */
  const unsettled = new Map<string, Array<() => void>>();
  const insts: Inst[] = [];
  const make = (name: string): Inst => {
    const db = openDb(':memory:');
    const outbox = new Outbox(db, 10_000);
    const claims = new ClaimBook(name, new ClaimStore(db), clock);
    const hlc = new Hlc(name, clock);
    const self: { inst?: Inst } = {};
    const publish = (body: Exclude<ClusterBody, { kind: 'heartbeat' }>, stamp: HlcTimestamp = hlc.now()): void => {
      for (const peer of insts.filter((i) => i.name !== name)) {
        const deliver = (): void =>
          peer.db.transaction(() => {
            peer.claims.applyPeer({ from: name, hlc: stamp, body });
            if (body.kind === 'ack') peer.engine.applyPeerAck(body.incident, body.by, name, formatHlc(stamp));
            if (body.kind === 'sent' && body.code !== undefined) peer.engine.peerSentCode(body.incident, body.code);
          })();
        const waiting = unsettled.get(peer.name);
        if (waiting) waiting.push(deliver);
        else if (cutOff) held.push(deliver);
        else deliver();
      }
    };
    const port: ClusterPort = {
      sendDelayMs: () => (self.inst?.position ?? 0) * PEER_TIMEOUT,
      tryClaim: (incident, step) =>
        db.transaction(() => {
          const r = claims.claim(incident, step, LEASE);
          if (r.ok) publish({ kind: 'claim', incident, step, leaseUntilMs: r.leaseUntilMs });
          return r;
        })(),
      markSent: (incident, step, channel, code) => {
        claims.sent(incident, step);
        publish({ kind: 'sent', incident, step, ...(channel !== undefined ? { channel } : {}), ...(code !== undefined ? { code } : {}) });
      },
      recordAck: (episode, by) => {
        const stamp = hlc.now();
        publish({ kind: 'ack', incident: episode, by }, stamp);
        return formatHlc(stamp);
      },
    };
    const newEngine = (): EscalationEngine =>
      new EscalationEngine({ config, ...escalationStores(db), outbox, schedule: new OnCallSchedule(config), clock, log: silentLogger(), health: new ChannelHealth(), poke: () => undefined, pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }), gate: new ClusterPaging(name, port, silentLogger(), LEASE), pagingHeld: () => (unsettled.has(name) ? 'not settled' : undefined) });
    const engine = newEngine();
    engine.start();
    const dests = ['email:alice@example.org', 'sms:+4915112345678'];
    const inst: Inst = {
      name,
      db,
      outbox,
      engine,
      claims,
      kill: () => {
        inst.engine.stop();
        unsettled.set(name, []);
      },
      restart: () => {
        inst.engine = newEngine();
        inst.engine.start();
      },
      settle: () => {
        for (const d of unsettled.get(name)?.splice(0) ?? []) d();
        unsettled.delete(name);
        inst.engine.kick();
      },
      position: insts.length,
      queued: () => dests.flatMap((d) => outbox.pending(d)).map((e) => ({ id: e.id, dest: e.destination, subject: e.message.kind === 'page' ? e.message.subject : '' })),
      deliverAll: () => {
        for (const e of inst.queued()) {
          db.transaction(() => outbox.markSent(e.id, clock.now()))();
          engine.delivered(e.id);
        }
      },
      fire: (alert, startsAt, source = 'alertmanager', sharedStart = false) => {
        db.transaction(() => engine.onAlerts({ groupKey: alert, status: 'firing', commonLabels: {}, source }, [{ fingerprint: alert, status: 'firing', labels: { alertname: alert, severity: 'critical', instance: 'h1' }, summary: `${alert} summary`, startsAt, sharedStart }], clock.now()))();
        engine.kick();
      },
    };
    self.inst = inst;
    insts.push(inst);
    return inst;
  };
  const a = make('a');
  const b = make('b');
  return {
    clock,
    a,
    b,
    cut: (on) => {
      cutOff = on;
      if (!on) for (const d of held.splice(0)) d();
    },
  };
}

const T0 = '2026-11-23T11:00:00.123456789Z';

describe('one page per event across instances (issue 23): position wait, claims, takeover', () => {
  it('the same Alertmanager alert is one episode with one ack code on both instances', () => {
    const { a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    const ia = a.engine.incidents.unresolved()[0];
    const ib = b.engine.incidents.unresolved()[0];
    assert.ok(ia && ib);
    assert.equal(ia.episode, episodeOf({ source: 'alertmanager', fingerprint: 'DiskFull', startsAt: T0 }));
    assert.equal(ia.episode, ib.episode);
    assert.equal(ia.ackCode, ib.ackCode, 'a page sent by either can be acked at the other');
    assert.equal(ia.startsAt, T0);
  });

  it('position 0 pages at once; position 1 waits peer_timeout, then records the page as sent by the peer and sends nothing', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    assert.equal(a.queued().length, 1, 'a (position 0) pages with no wait');
    assert.equal(b.queued().length, 0, 'b (position 1) waits');
    a.deliverAll();
    clock.advance(PEER_TIMEOUT - 1);
    assert.equal(b.queued().length, 0);
    clock.advance(1);
    assert.equal(b.queued().length, 0, "a's sent blocks b for good");
    const log = b.engine.incidents.pageLog(10);
    assert.equal(log.length, 1);
    assert.equal(log[0]?.state, 'peer');
    assert.equal(log[0]?.sentBy, 'a', 'the status page says a sent it, not b');
    assert.equal(a.engine.incidents.pageLog(10)[0]?.sentBy, undefined);
  });

  it('a claim that lapses without a sent (the claimer died mid-send) is taken over by the next instance after the lease', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    assert.equal(a.queued().length, 1, 'a claimed and queued, but never delivers (SIGKILL)');
    a.engine.stop(); // dead: no delivery, no renewal
    b.position = 0; // a is down: b moves up
    clock.advance(S);
    assert.equal(b.queued().length, 0, "a's claim is live: b waits for it to lapse");
    clock.advance(LEASE);
    assert.equal(b.queued().length, 1, 'b sends the page a claimed but never sent: never both silent');
    b.deliverAll();
    assert.equal(b.engine.incidents.pageLog(10)[0]?.state, 'sent');
  });

  it('while cut off from each other both sides page once (duplicates, never loss)', () => {
    const { clock, a, b, cut } = cluster();
    cut(true);
    a.fire('DiskFull', T0);
    b.position = 0; // each side sees the other down
    b.fire('DiskFull', T0);
    a.deliverAll();
    b.deliverAll();
    clock.advance(LEASE);
    assert.equal(a.queued().length + b.queued().length, 0);
    assert.equal(a.engine.incidents.pageLog(10).filter((p) => p.state === 'sent').length, 1);
    assert.equal(b.engine.incidents.pageLog(10).filter((p) => p.state === 'sent').length, 1);
    cut(false);
  });

  it("Lifeline's own alerts (a probe's start is its own time) are local: no wait, no claim at position 1", () => {
    const { a, b } = cluster();
    b.fire('probe:web', T0, 'probe');
    assert.equal(b.engine.incidents.unresolved()[0]?.episode, null);
    assert.equal(b.queued().length, 1);
    assert.equal(a.claims.blocker(String(b.engine.incidents.unresolved()[0]?.id), 'step:0|email|alice'), undefined);
  });
});

describe('a probe down from every region (joined verdicts): one episode, one page', () => {
  it('both instances open the same episode and only position 0 sends; position 1 records it as sent by the peer', () => {
    const { clock, a, b } = cluster();
    a.fire('probe:web', T0, 'probe', true);
    b.fire('probe:web', T0, 'probe', true);
    const ia = a.engine.incidents.unresolved()[0];
    const ib = b.engine.incidents.unresolved()[0];
    assert.ok(ia && ib);
    assert.equal(ia.episode, episodeOf({ source: 'probe', fingerprint: 'probe:web', startsAt: T0, sharedStart: true }));
    assert.equal(ia.episode, ib.episode);
    assert.equal(ia.ackCode, ib.ackCode);
    assert.equal(a.queued().length, 1);
    a.deliverAll();
    clock.advance(PEER_TIMEOUT + S);
    b.engine.kick();
    assert.equal(b.queued().length, 0, 'b sends nothing: a sent the page');
  });
});

describe('acks across instances (issue 23): replicated, merged by HLC, never undone', () => {
  it("an ack on a stops b's escalation: b's next step does not page", () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    a.deliverAll();
    const code = a.engine.incidents.unresolved()[0]?.ackCode ?? '';
    assert.equal(a.engine.ack(code, 'alice').ok, true);
    const ib = b.engine.incidents.unresolved()[0];
    assert.equal(ib?.state, 'acked');
    assert.equal(ib?.ackedBy, 'alice (on a)');
    b.position = 0;
    clock.advance(10 * 60 * S);
    assert.equal(b.queued().length, 0, 'no SMS step from b');
    assert.equal(a.queued().length, 0);
  });

  it('an ack that arrives before the alert acks the incident when it opens', () => {
    const { a, b, cut } = cluster();
    cut(true);
    a.fire('DiskFull', T0);
    assert.equal(a.engine.ack(a.engine.incidents.unresolved()[0]?.ackCode ?? '', 'alice').ok, true);
    cut(false);
    b.fire('DiskFull', T0);
    assert.equal(b.engine.incidents.unresolved()[0]?.state, 'acked');
    assert.equal(b.queued().length, 0);
  });

  it('two acks made apart during a cut: after the heal both name the earlier (HLC), and both stay acked', () => {
    const { clock, a, b, cut } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    cut(true);
    const code = a.engine.incidents.unresolved()[0]?.ackCode ?? '';
    assert.equal(b.engine.ack(code, 'bob').ok, true, 'the same code works on b');
    clock.advance(S);
    assert.equal(a.engine.ack(code, 'alice').ok, true);
    cut(false);
    assert.equal(a.engine.incidents.unresolved()[0]?.ackedBy, 'bob (on b)');
    assert.equal(b.engine.incidents.unresolved()[0]?.ackedBy, 'bob');
    assert.equal(a.engine.incidents.unresolved()[0]?.state, 'acked');
  });
});

describe('ack codes of episodes: collisions', () => {
  it('a local collision takes the next candidate and keeps the episode code as an alias; an ambiguous code is refused with both codes', () => {
    // Two episodes whose first codes collide (bounded search: 923,521 codes, a pair turns up within a few thousand).
    const seen = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; i < 200_000 && !pair; i++) {
      const ep = `am:fp${i}@${T0}`;
      const c = episodeCode(ep, 0);
      const other = seen.get(c);
      if (other !== undefined) pair = [other, ep];
      seen.set(c, ep);
    }
    assert.ok(pair, 'a colliding pair exists');
    const [x, y] = pair;
    const { a } = cluster();
    const store = new IncidentStore(a.db);
    const open = (fp: string, episode: string) => store.open({ kind: 'alert', fingerprint: fp, title: fp, severity: 'critical', labels: {}, policy: 'p', nowMs: 0, firstDueMs: null, episode });
    const ix = open('x', x);
    const iy = open('y', y);
    assert.equal(ix?.ackCode, episodeCode(x, 0));
    assert.equal(iy?.ackCode, episodeCode(y, 1), 'the next candidate, the same on every instance with the same collision');
    const shared = episodeCode(y, 0);
    const r = a.engine.ack(shared, 'alice');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, new RegExp(`names more than one incident here: ${ix?.ackCode} \\(x\\), ${iy?.ackCode} \\(y\\)`));
    assert.equal(a.engine.ack(iy?.ackCode ?? '', 'alice').ok, true, "y's own code works");
    a.db.prepare("UPDATE incidents SET state = 'resolved', resolved_ms = 0 WHERE id = ?").run(ix?.id);
    const again = a.engine.unack(iy?.ackCode ?? '', 'alice');
    assert.equal(again.ok, true);
    assert.equal(a.engine.ack(shared, 'alice').ok, true, 'once x is resolved, the alias (what a peer paged with) answers for y');
  });
});

describe('claims of pages stuck in the outbox (issue 23)', () => {
  it('a page queued but not delivered (a slow SMTP server) keeps its claim while its instance lives: no duplicate from b', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    assert.equal(a.queued().length, 1, 'claimed and queued; the SMTP server does not take it for minutes');
    for (let i = 0; i < 10; i++) clock.advance(LEASE / 2);
    assert.equal(b.queued().length, 0, 'a renews its claim: b waits');
    a.deliverAll();
    clock.advance(LEASE);
    assert.equal(b.queued().length, 0);
    assert.equal(b.engine.incidents.pageLog(10)[0]?.sentBy, 'a');
  });
});

describe('ack codes when only one instance had a collision (issue 23)', () => {
  it("a's page carries a's code; its sent makes that code an alias on b, so an SMS reply reaching b acks the episode", () => {
    const { clock, a, b } = cluster();
    const episode = episodeOf({ source: 'alertmanager', fingerprint: 'DiskFull', startsAt: T0 }) ?? '';
    // On a only, an open local incident already holds the episode's code.
    new IncidentStore(a.db).open({ kind: 'path', fingerprint: null, title: 'IRC path', severity: 'critical', labels: {}, policy: 'p', nowMs: clock.now(), firstDueMs: null });
    a.db.prepare("UPDATE incidents SET ack_code = ? WHERE kind = 'path'").run(episodeCode(episode, 0));
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    const ia = a.engine.incidents.byEpisode(episode);
    const ib = b.engine.incidents.byEpisode(episode);
    assert.equal(ia?.ackCode, episodeCode(episode, 1), 'a took the next code');
    assert.equal(ib?.ackCode, episodeCode(episode, 0));
    a.deliverAll();
    const r = b.engine.ack(ia?.ackCode ?? '', 'alice (SMS)');
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(a.engine.incidents.byEpisode(episode)?.state, 'acked', 'and the ack went back to a');
  });
});

describe('a restart with pages still queued (issue 23)', () => {
  it('a restarted after b took over the page it had queued: a waits while b holds the claim, then records it as sent by b and never delivers its copy', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    const [mine] = a.queued();
    assert.ok(mine, 'a claimed and queued the page, its SMTP server refuses it for now');
    a.kill();
    b.position = 0;
    clock.advance(LEASE + S);
    assert.equal(b.queued().length, 1, "b took the page over after a's claim lapsed");
    a.restart();
    assert.equal(a.queued().length, 0, 'not delivered before a caught up with b');
    a.settle();
    assert.equal(a.queued().length, 0, "b's claim is live: a waits for it");
    assert.equal(a.engine.incidents.pageLog(10)[0]?.state, 'waiting');
    b.deliverAll();
    clock.advance(LEASE + S);
    assert.equal(a.queued().length, 0);
    assert.equal(a.outbox.get(mine.id)?.state, 'folded', "a's copy is taken out of its queue, unsent");
    const log = a.engine.incidents.pageLog(10);
    assert.deepEqual(log.map((p) => [p.state, p.sentBy]), [['peer', 'b']], 'the status page says b sent it');
    assert.equal(a.engine.incidents.countSentSince(mine.dest, 0), 0, 'not counted as sent by a (budgets)');
  });

  it('a restarted before any peer sent its queued page: a claims it anew and sends it (never lost), b then records it as a\'s', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    assert.equal(a.queued().length, 1);
    a.kill();
    b.position = 0;
    clock.advance(10 * S);
    a.restart();
    a.settle();
    b.position = 1;
    assert.equal(a.queued().length, 1, 'queued again at once: its own claim, no peer in the way');
    a.deliverAll();
    clock.advance(2 * LEASE);
    assert.equal(b.queued().length, 0, 'b never sends it');
    assert.equal(b.engine.incidents.pageLog(10)[0]?.sentBy, 'a');
  });

  it('a restarted after its claim lapsed and no peer sent the page (b down too): a sends it', () => {
    const { clock, a, b } = cluster();
    a.fire('DiskFull', T0);
    b.fire('DiskFull', T0);
    a.kill();
    b.kill();
    clock.advance(LEASE + S);
    a.restart();
    a.settle();
    assert.equal(a.queued().length, 1);
    assert.equal(b.queued().length, 0);
  });
});
