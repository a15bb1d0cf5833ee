import { ClaimBook } from '../../../src/cluster/claims.js';
import { ClusterEpisodeBoard } from '../../../src/cluster/episodes.js';
import { formatHlc, Hlc, type HlcTimestamp } from '../../../src/cluster/hlc.js';
import type { ClusterBody } from '../../../src/cluster/messages.js';
import { parseConfig } from '../../../src/config/load.js';
import { ClusterPaging, type ClusterPort } from '../../../src/escalation/clusterPaging.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import type { PathMonitor } from '../../../src/escalation/pathMonitor.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import { ClaimStore } from '../../../src/store/cluster.js';
import { openDb, type Db } from '../../../src/store/db.js';
import { escalationStores } from '../../../src/store/escalationStores.js';
import { Outbox } from '../../../src/store/outbox.js';
import { SharedEpisodeStore } from '../../../src/store/sharedEpisodes.js';
import { FakeClock } from '../fakeClock.js';
import { yaml } from './rig.js';

/*
 * One page per event and replicated acks (issue 23) on the fake clock: two escalation engines, each
 * on its own database with the real ClaimBook and the real episode board, joined by an in-memory
 * bus that carries claims, sends, acks and agreed episodes at once (or holds them while "cut").
 * Each has an IRC path the test flips (the bouncer of both dies: `irc(false)` on each).
 */

export const PEER_TIMEOUT = 15_000;
export const LEASE = 60_000;
export const S = 1_000;

export interface Inst {
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
  /** Peers this instance counts as down (their episodes are not adopted). */
  down: Set<string>;
  /** Pages queued in this instance's outbox (its own sends). */
  queued(): Array<{ id: number; dest: string; subject: string }>;
  /** The notifier accepted every queued page: tell escalation (marks them sent for the peers). */
  deliverAll(): void;
  fire(name: string, startsAt: string, source?: 'alertmanager' | 'probe', sharedStart?: boolean): void;
  /** Fires (or resolves) Lifeline's own alert whose episode the instances agree on (a redundancy group, a shared cause). */
  fireAgreed(fingerprint: string, status?: 'firing' | 'resolved'): void;
  /** Sets this instance's IRC path health, as its IRC supervisor would. */
  irc(healthy: boolean): void;
}

export function cluster(policy = '{ name: p, steps: [{ after: 0s, notify: [email] }, { after: 5m, notify: [sms] }] }'): { clock: FakeClock; a: Inst; b: Inst; cut: (on: boolean) => void } {
  const config = parseConfig(yaml(`escalation:\n  bundle_window: 0s\n  path_grace: 1m\n  policies:\n    - ${policy}\n`), 't.yaml', {});
  const clock = new FakeClock();
  let cutOff = false;
  const held: Array<() => void> = [];
  /** Per instance: messages to it while it is down or not settled (present while it is). */
  const unsettled = new Map<string, Array<() => void>>();
  const insts: Inst[] = [];
  const make = (name: string): Inst => {
    const db = openDb(':memory:');
    const outbox = new Outbox(db, 10_000);
    const claims = new ClaimBook(name, new ClaimStore(db), clock);
    const hlc = new Hlc(name, clock);
    const self: { inst?: Inst } = {};
    const publish = (body: Exclude<ClusterBody, { kind: 'heartbeat' }>, stamp: HlcTimestamp = hlc.now()): string => {
      for (const peer of insts.filter((i) => i.name !== name)) {
        const deliver = (): void =>
          peer.db.transaction(() => {
            peerHlcs.get(peer.name)?.receive(stamp);
            peer.claims.applyPeer({ from: name, hlc: stamp, body });
            if (body.kind === 'ack') peer.engine.applyPeerAck(body.incident, body.by, name, formatHlc(stamp));
            if (body.kind === 'unack') peer.engine.applyPeerUnack(body.incident, body.by, name, formatHlc(stamp));
            if (body.kind === 'sent' && body.code !== undefined) peer.engine.peerSentCode(body.incident, body.code);
            if (body.kind === 'incident') boards.get(peer.name)?.applyPeer(name, body, stamp);
          })();
        const waiting = unsettled.get(peer.name);
        if (waiting) waiting.push(deliver);
        else if (cutOff) held.push(deliver);
        else deliver();
      }
      return '';
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
      recordUnack: (episode, by) => {
        const stamp = hlc.now();
        publish({ kind: 'unack', incident: episode, by }, stamp);
        return formatHlc(stamp);
      },
    };
    const down = new Set<string>();
    const board = new ClusterEpisodeBoard(name, new SharedEpisodeStore(db), {
      record: (body, _key, stamp) => publish(body, stamp),
      hlc,
      peerState: (p) => (down.has(p) ? 'down' : 'up'),
      claims,
    });
    boards.set(name, board);
    peerHlcs.set(name, hlc);
    // The watched IRC path of this instance.
    let ircUp = true;
    const listeners = new Set<() => void>();
    const path: PathMonitor = {
      name: 'IRC alert path',
      healthy: () => ircUp,
      reason: () => 'not connected to the bouncer (ECONNREFUSED)',
      onChange: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const newEngine = (): EscalationEngine =>
      new EscalationEngine({
      config,
      ...escalationStores(db),
      outbox,
      schedule: new OnCallSchedule(config),
      clock,
      log: silentLogger(),
      health: new ChannelHealth(),
      poke: () => undefined,
      pathOutageEnded: () => ({ fired: 0, resolved: 0, firingNow: 0 }),
      gate: new ClusterPaging(name, port, silentLogger(), LEASE),
      episodes: board,
      path,
      pagingHeld: () => (unsettled.has(name) ? 'not settled' : undefined),
    });
    const engine = newEngine();
    engine.start();
    const dests = ['email:alice@example.org', 'sms:+4915112345678'];
    const alert = (fingerprint: string, status: 'firing' | 'resolved', labels: Record<string, string>, startsAt: string, source: 'alertmanager' | 'probe', extra: { sharedStart?: boolean; agreedEpisode?: boolean }): void => {
      db.transaction(() => inst.engine.onAlerts({ groupKey: fingerprint, status, commonLabels: {}, source }, [{ fingerprint, status, labels, summary: `${fingerprint} summary`, startsAt, ...extra }], clock.now()))();
      inst.engine.kick();
    };
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
      down,
      queued: () => dests.flatMap((d) => outbox.pending(d)).map((e) => ({ id: e.id, dest: e.destination, subject: e.message.kind === 'page' ? e.message.subject : '' })),
      deliverAll: () => {
        for (const e of inst.queued()) {
          db.transaction(() => outbox.markSent(e.id, clock.now()))();
          inst.engine.delivered(e.id);
        }
      },
      fire: (fp, startsAt, source = 'alertmanager', sharedStart = false) => alert(fp, 'firing', { alertname: fp, severity: 'critical', instance: 'h1' }, startsAt, source, { sharedStart }),
      fireAgreed: (fp, status = 'firing') => alert(fp, status, { alertname: 'VpnRedundancy', severity: 'critical', instance: fp }, status === 'firing' ? new Date(clock.now()).toISOString() : '', 'probe', { agreedEpisode: true }),
      irc: (healthy) => {
        ircUp = healthy;
        for (const l of listeners) l();
      },
    };
    self.inst = inst;
    insts.push(inst);
    return inst;
  };
  const boards = new Map<string, ClusterEpisodeBoard>();
  const peerHlcs = new Map<string, Hlc>();
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
