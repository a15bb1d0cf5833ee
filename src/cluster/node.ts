import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { ClusterConfig } from '../config/clusterSchema.js';
import type { Logger } from '../observability/logger.js';
import { ClaimStore, ClusterStore } from '../store/cluster.js';
import { ClaimBook, type ClaimResult } from './claims.js';
import type { Db } from '../store/db.js';
import { sleep, type Clock, type TimerHandle } from '../util/clock.js';
import { connectNats } from './connection.js';
import { formatHlc, Hlc, type HlcTimestamp } from './hlc.js';
import { PeerLiveness, type PeerState } from './liveness.js';
import { decodeEnvelope, encodeEnvelope, natsNames, type ClusterBody, type ClusterEnvelope } from './messages.js';
import { OutboxPublisher } from './publisher.js';
import { PeerReader, type ApplyFn } from './reader.js';
import { settle, type SettleOutcome } from './settle.js';
import { ensureOwnStream, ensurePeerCopy } from './streams.js';

/**
 * Why a peer counts as down. `silent`: its region's nats-server answers across the link but the
 * instance sends no heartbeat (its process or host died): page "peer down". `unreachable`: its
 * region does not answer at all (the link, the region or its nats-server is gone; from here a
 * partition and a dead region look the same): "peer unreachable", and each side pages on its own.
 * `local`: this instance has lost its own region's nats-server, so it knows nothing of the peer
 * (what to page is "this region's NATS is down", not the peer).
 */
export type PeerDownReason = 'silent' | 'unreachable' | 'local';

/** The log line of each reason. */
const DOWN_TEXT: Readonly<Record<PeerDownReason, (peer: string) => string>> = {
  silent: (peer) => `peer ${peer} is down: its region answers, the instance does not`,
  unreachable: (peer) => `peer ${peer} is unreachable: its region does not answer`,
  local: (peer) => `peer ${peer} not heard: this region's own nats-server is unreachable, nothing is known of the peer`,
};

/** A change in the cluster the paging core reacts to. */
export type ClusterEvent =
  | { readonly kind: 'peerDown'; readonly peer: string; readonly reason: PeerDownReason; readonly lastHeardMs: number | undefined; readonly lastSentMs?: number | undefined }
  | { readonly kind: 'peerUp'; readonly peer: string }
  /** This instance reached its region's nats-server (first connection, or back after a loss). */
  | { readonly kind: 'natsUp' }
  | { readonly kind: 'settled'; readonly outcome: SettleOutcome };

/** What the cluster layer needs from its owner. */
export interface ClusterNodeOptions {
  readonly config: ClusterConfig;
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  /** Applies a peer's message (an ack, a claim, ...). Synchronous: it runs in the transaction that records the message as applied. */
  readonly apply: ApplyFn;
}

/**
 * How often old outbox rows and applied-message records are deleted. A record of a peer message is
 * kept as long as the peer's stream keeps the message (`retention`): a redelivery can come no later.
 */
const PRUNE_EVERY_MS = 3_600_000;

/** Wait between attempts to make the first connection. */
const CONNECT_RETRY_MS = 1_000;

/** Wait before setting up the streams again after it failed (JetStream off, no domain, no permission). */
const SETUP_RETRY_MS = 5_000;

/** Time a reachability question to a peer's region may take. */
const REACH_TIMEOUT_MS = 2_000;

/**
 * One Lifeline instance's part of the cluster: its connection to its region's nats-server, its
 * stream and the copies of its peers', the outbox publisher, the readers of the peers' copies,
 * the heartbeat and peer liveness, and settling. Constructed only when the config has a `cluster`
 * section (src/cluster is imported lazily).
 *
 * How the rest of Lifeline uses it (wired in app.ts and cluster/wire.ts):
 * - paging (escalation/clusterPaging.ts): before a page of an episode, wait `sendDelayMs()`
 *   (position × peer_timeout), then `tryClaim(episode, pageKey)`; send only when it returns ok,
 *   then `markSent(episode, pageKey, channel)` once the notifier accepted it. A claim not followed
 *   by a sent lapses after claim_lease and the next instance takes the page over; a claim renewed
 *   after a peer's sent tells this instance to take its queued copy back.
 * - acks, unacks, silences, unsilences, maintenance sets, agreed episodes and probe verdicts made
 *   here: `record(body)` inside the transaction that stores them; the peers' arrive through
 *   ClusterDispatch (in the transaction that marks them applied), with their HLC for merges.
 * - `unsettledReason()` holds escalation's steps and pages and makes /readyz answer 503 until
 *   settled; `on()` gives peerDown (with its reason: silent → "peer down", unreachable → "peer
 *   unreachable", local → "this region's NATS is down"), peerUp, natsUp and settled to
 *   pipeline/peerAlerts.ts.
 */
export class ClusterNode {
  readonly store: ClusterStore;
  readonly hlc: Hlc;
  /** Claims and sends of every instance (the one-page-per-event rule). */
  readonly claims: ClaimBook;
  private readonly claimStore: ClaimStore;
  private readonly liveness: PeerLiveness;
  private readonly listeners: Array<(e: ClusterEvent) => void> = [];
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private publisher: OutboxPublisher | undefined;
  private readers = new Map<string, PeerReader>();
  private hbSub: Subscription | undefined;
  private hbTimer: TimerHandle | undefined;
  private pruneTimer: TimerHandle | undefined;
  private settledNow = false;
  private settling: Promise<void> | undefined;
  /** Peers to settle with in the next round. */
  private readonly settleQueue = new Set<string>();
  /** Peers to settle with once heard: unreachable at the last look, or down since. */
  private readonly unsettledWith = new Set<string>();
  private settledWaiters: Array<() => void> = [];
  private readonly abort = new AbortController();
  private stopped = false;
  /** Whether the connection to this region's nats-server is up now. */
  private natsUp = false;
  /** Whether the streams and readers are set up (settling can start). */
  private setUp = false;
  /** When launched: without a connection, paging waits at most settle_timeout from here. */
  private readonly launchedMono: number;
  private launchWaitLogged = false;
  private recheckTimer: TimerHandle | undefined;

  private constructor(private readonly opts: ClusterNodeOptions) {
    const c = opts.config;
    this.launchedMono = opts.clock.monotonic();
    this.store = new ClusterStore(opts.db);
    this.hlc = new Hlc(c.name, opts.clock);
    const newest = this.store.newestPayload();
    if (newest !== undefined) {
      try {
        this.hlc.restore(decodeEnvelope(newest).hlc);
      } catch {
        // A row of another version: start from the wall clock.
      }
    }
    this.claimStore = new ClaimStore(opts.db);
    this.claims = new ClaimBook(c.name, this.claimStore, opts.clock);
    this.liveness = new PeerLiveness(c.name, c.peers.map((p) => p.name), c.peer_timeout, opts.clock);
    this.liveness.onChange((ch) => {
      if (ch.state === 'up') {
        opts.log.info({ event: 'cluster_peer_up', peer: ch.peer }, `peer ${ch.peer} is up`);
        this.emit({ kind: 'peerUp', peer: ch.peer });
        return;
      }
      this.unsettledWith.add(ch.peer);
      void this.downReason(ch.peer).then((reason) => {
        if (this.stopped || this.liveness.state(ch.peer) !== 'down') return;
        opts.log.warn({ event: 'cluster_peer_down', peer: ch.peer, reason, lastHeardMs: ch.lastHeardMs }, DOWN_TEXT[reason](ch.peer));
        this.emit({ kind: 'peerDown', peer: ch.peer, reason, lastHeardMs: ch.lastHeardMs, lastSentMs: ch.lastSentMs });
      });
    });
  }

  /**
   * Starts the cluster layer in the background and returns at once: a nats-server that is down or
   * not up yet never holds Lifeline's start (a watchdog alone in its region must still page).
   * Decisions recorded meanwhile wait in the outbox. `ready` resolves once connected and set up.
   */
  static launch(opts: ClusterNodeOptions): ClusterNode {
    const node = new ClusterNode(opts);
    // Peers count from launch: with this region's nats-server unreachable from the start, they go
    // down (reason local) after peer_timeout, and "this region's NATS is down" is paged.
    node.liveness.start();
    node.ready = node.connectLoop();
    return node;
  }

  /** Like launch, and waits until connected and set up (tests, the benchmark). */
  static async start(opts: ClusterNodeOptions): Promise<ClusterNode> {
    const node = ClusterNode.launch(opts);
    await node.ready;
    return node;
  }

  /** Resolves once connected to this region's nats-server with streams and consumers set up. */
  ready: Promise<void> = Promise.resolve();

  /** Connects (waiting for the server as long as it takes), then sets up; a failed setup is retried every SETUP_RETRY_MS. */
  private async connectLoop(): Promise<void> {
    const { config: c, log } = this.opts;
    let nc: NatsConnection | undefined;
    for (let attempt = 1; !nc && !this.stopped; attempt++) {
      try {
        nc = await connectNats(c, log, (up) => this.natsLink(up));
      } catch (err) {
        // The first failure and then one a minute: a region's nats-server down for long is one line a minute.
        if (attempt === 1 || attempt % Math.ceil(60_000 / CONNECT_RETRY_MS) === 0) {
          log.warn({ event: 'cluster_nats_unreachable', attempt, error: String(err) }, `cannot connect to this region's nats-server at ${c.nats_url} (${String(err)}); retrying every ${CONNECT_RETRY_MS / 1000} s, decisions wait in the outbox`);
        }
        await sleep(this.opts.clock, CONNECT_RETRY_MS, this.abort.signal).catch(() => undefined);
      }
    }
    if (!nc) return;
    if (this.stopped) {
      await nc.close();
      return;
    }
    this.nc = nc;
    this.natsLink(true);
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.setup();
        return;
      } catch (err) {
        log.error(
          { event: 'cluster_setup_failed', attempt, error: String(err) },
          `cannot set up the cluster streams on ${c.nats_url} (${String(err)}); the nats-server needs JetStream with its own domain (jetstream { domain: ${c.domain ?? c.name} }); retrying in ${SETUP_RETRY_MS / 1000} s`,
        );
        await sleep(this.opts.clock, SETUP_RETRY_MS, this.abort.signal).catch(() => undefined);
      }
    }
  }

  private async setup(): Promise<void> {
    const { config: c, clock, log } = this.opts;
    if (!this.nc) throw new Error('not connected');
    this.js = jetstream(this.nc);
    this.jsm = await jetstreamManager(this.nc);
    await ensureOwnStream(this.jsm, c.name, c.retention);
    const readers = c.peers.map((p) => new PeerReader(p.name, c.name, this.js as JetStreamClient, this.jsm as JetStreamManager, this.store, (env) => this.onPeerMessage(env), clock, log));
    for (const p of c.peers) await ensurePeerCopy(this.jsm, p.name, p.domain ?? p.name, c.retention);
    for (const r of readers) await r.ensureConsumer();
    // Everything that can fail is done: from here on nothing is set up twice.
    this.publisher = new OutboxPublisher(this.js, this.store, clock, log);
    this.publisher.kick();
    this.hbSub = this.nc.subscribe(natsNames.heartbeat('*'), { callback: (err, m) => (err ? undefined : this.onHeartbeat(m.string())) });
    this.liveness.start();
    this.sendHeartbeat();
    for (const r of readers) {
      this.readers.set(r.peer, r);
      r.run();
    }
    this.setUp = true;
    this.startSettling();
    this.prune();
  }

  /**
   * The connection to this region's nats-server went down or came back. Back: say so (natsUp), and
   * after peer_timeout look again at the peers still down: their reason was `local` while it was
   * lost, and what they are now (silent, unreachable) is known only once heartbeats had their time.
   */
  private natsLink(up: boolean): void {
    const was = this.natsUp;
    this.natsUp = up;
    if (!up || was || this.stopped) return;
    this.emit({ kind: 'natsUp' });
    this.opts.clock.clearTimeout(this.recheckTimer);
    this.recheckTimer = this.opts.clock.setTimeout(() => {
      for (const p of this.opts.config.peers) {
        if (this.liveness.state(p.name) !== 'down') continue;
        void this.downReason(p.name).then((reason) => {
          if (this.stopped || this.liveness.state(p.name) !== 'down' || reason === 'local') return;
          this.opts.log.warn({ event: 'cluster_peer_down', peer: p.name, reason, lastHeardMs: null, again: true }, DOWN_TEXT[reason](p.name));
          this.emit({ kind: 'peerDown', peer: p.name, reason, lastHeardMs: undefined });
        });
      }
    }, this.opts.config.peer_timeout);
  }

  /**
   * Why paging and readiness wait now, or undefined when they need not: this instance has not yet
   * caught up with every reachable peer (see settle). Bounded: each round of settling ends after
   * settle_timeout, and without a connection to this region's nats-server the wait ends
   * settle_timeout after launch (logged once as cluster_settle_timeout): a watchdog alone in its
   * region must still page.
   */
  unsettledReason(): string | undefined {
    if (this.settledNow) return undefined;
    const c = this.opts.config;
    if (this.setUp) return `catching up with the peers' decisions (${[...this.settleQueue].join(', ') || c.peers.map((p) => p.name).join(', ')}), at most settle_timeout (${c.settle_timeout} ms)`;
    if (this.opts.clock.monotonic() - this.launchedMono < c.settle_timeout) return `not yet connected to this region's nats-server (${c.nats_url}); waiting at most settle_timeout (${c.settle_timeout} ms)`;
    if (!this.launchWaitLogged) {
      this.launchWaitLogged = true;
      this.opts.log.warn({ event: 'cluster_settle_timeout', connected: this.nc !== undefined }, `not caught up with the peers ${c.settle_timeout} ms after start (no working connection to this region's nats-server at ${c.nats_url}); paging without waiting longer`);
    }
    return undefined;
  }

  /** Deletes outbox rows published, and records of peer messages applied, longer ago than `retention` (hourly, in batches). */
  private prune(): void {
    if (this.stopped) return;
    const before = this.opts.clock.now() - this.opts.config.retention;
    for (let i = 0; i < 100 && this.store.prune(before) + this.claimStore.prune(before) > 0; i++);
    this.pruneTimer = this.opts.clock.setTimeout(() => this.prune(), PRUNE_EVERY_MS);
  }

  /** Listens to peer up/down and settling. */
  on(fn: (e: ClusterEvent) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Records a decision for the peers: queued in the cluster outbox (call it inside the transaction
   * that records the decision itself), published right after. `key` makes the message id stable
   * for a decision that may be recorded twice (e.g. "claim:<incident>:<step>"); without it, a new
   * random id. Returns the Nats-Msg-Id.
   */
  record(body: Exclude<ClusterBody, { kind: 'heartbeat' }>, key?: string, hlc: HlcTimestamp = this.hlc.now()): string {
    const c = this.opts.config;
    const msgId = `${c.name}:${key ?? randomUUID()}`;
    const env: ClusterEnvelope = { from: c.name, hlc, body };
    this.store.enqueue(msgId, natsNames.subject(c.name, body.kind), encodeEnvelope(env), this.opts.clock.now());
    // After the caller's transaction (better-sqlite3 transactions are synchronous), and in the next
    // turn of the event loop: a page claimed in that transaction starts on its way first (its
    // dispatcher wakes in a microtask); the peers need the claim within peer_timeout, not at once.
    setImmediate(() => this.publisher?.kick());
    return msgId;
  }

  /**
   * How long this instance waits before it may send a page: position × peer_timeout (position 0
   * sends at once). After the wait, call tryClaim: it refuses when another instance sent or holds
   * a live claim.
   */
  sendDelayMs(): number {
    return this.position() * this.opts.config.peer_timeout;
  }

  /**
   * Claims step `step` of an incident for this instance, for claim_lease, when no instance sent it
   * and no other holds a live claim; the claim goes to the peers with it (one transaction).
   */
  tryClaim(incident: string, step: string): ClaimResult {
    return this.opts.db.transaction((): ClaimResult => {
      const r = this.claims.claim(incident, step, this.opts.config.claim_lease);
      if (r.ok) this.record({ kind: 'claim', incident, step, leaseUntilMs: r.leaseUntilMs }, `claim:${incident}:${step}:${r.leaseUntilMs}`);
      return r;
    })();
  }

  /** Marks step `step` of an incident sent by this instance (after the notifier accepted it), and tells the peers. */
  markSent(incident: string, step: string, channel?: string, code?: string): void {
    this.opts.db.transaction(() => {
      this.claims.sent(incident, step);
      this.record({ kind: 'sent', incident, step, ...(channel !== undefined ? { channel } : {}), ...(code !== undefined ? { code } : {}) }, `sent:${incident}:${step}`);
    })();
  }

  /**
   * Records an ack of an episode made here for the peers (inside the ack's transaction); returns
   * its timestamp as text (formatHlc), which the ack merge compares: the earliest ack holds.
   */
  recordAck(episode: string, by: string): string {
    const hlc = this.hlc.now();
    this.record({ kind: 'ack', incident: episode, by }, undefined, hlc);
    return formatHlc(hlc);
  }

  /** Records an unack of an episode made here for the peers, as recordAck does an ack; the latest action by HLC holds. */
  recordUnack(episode: string, by: string): string {
    const hlc = this.hlc.now();
    this.record({ kind: 'unack', incident: episode, by }, undefined, hlc);
    return formatHlc(hlc);
  }

  /** Whether this instance has caught up with every reachable peer (or gave up waiting after settle_timeout). */
  get settled(): boolean {
    return this.settledNow;
  }

  /** Resolves once settled. */
  whenSettled(): Promise<void> {
    if (this.settledNow) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** This instance's position among the live instances sorted by name (0: pages first). */
  position(): number {
    return this.liveness.position();
  }

  /** Live peers, sorted by name. */
  livePeers(): string[] {
    return this.liveness.livePeers();
  }

  /** A peer's state. */
  peerState(peer: string): PeerState {
    return this.liveness.state(peer);
  }

  /** Test and benchmark hook: called after each outbox message is published. */
  set onPublished(fn: ((msgId: string) => void) | undefined) {
    if (this.publisher) this.publisher.onPublished = fn;
  }

  /** Stops everything and closes the connection (pending outbox rows stay for the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.liveness.stop();
    this.opts.clock.clearTimeout(this.hbTimer);
    this.opts.clock.clearTimeout(this.pruneTimer);
    this.opts.clock.clearTimeout(this.recheckTimer);
    this.publisher?.stop();
    this.hbSub?.unsubscribe();
    await Promise.all([...this.readers.values()].map((r) => r.stop()));
    await this.settling;
    await this.nc?.drain().catch(() => this.nc?.close());
  }

  private emit(e: ClusterEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  private sendHeartbeat(): void {
    if (this.stopped || !this.nc) return;
    const c = this.opts.config;
    const env: ClusterEnvelope = { from: c.name, hlc: this.hlc.now(), body: { kind: 'heartbeat', hears: this.liveness.livePeers(), settled: this.settledNow } };
    try {
      this.nc.publish(natsNames.heartbeat(c.name), encodeEnvelope(env));
    } catch {
      // Closed or reconnecting: the next beat tries again.
    }
    this.hbTimer = this.opts.clock.setTimeout(() => this.sendHeartbeat(), c.heartbeat_interval);
  }

  private onHeartbeat(text: string): void {
    let env: ClusterEnvelope;
    try {
      env = decodeEnvelope(text);
    } catch {
      return;
    }
    if (env.from === this.opts.config.name || env.body.kind !== 'heartbeat') return;
    this.hlc.receive(env.hlc);
    this.liveness.heard(env.from, env.body.hears, env.hlc.wall);
    // A peer back after a partition, or unreachable when we last settled, may have decided things
    // we have not read: settle with it (again).
    if (this.unsettledWith.has(env.from)) this.startSettling([env.from]);
  }

  private onPeerMessage(env: ClusterEnvelope): void {
    this.hlc.receive(env.hlc);
    this.claims.applyPeer(env);
    this.opts.apply(env);
  }

  /** Asks the peer's region whether its JetStream answers (see PeerDownReason). */
  private async downReason(peer: string): Promise<PeerDownReason> {
    const p = this.opts.config.peers.find((x) => x.name === peer);
    if (!this.nc || !this.natsUp) return 'local';
    if (!p) return 'unreachable';
    try {
      const jsm = await jetstreamManager(this.nc, { domain: p.domain ?? p.name, timeout: REACH_TIMEOUT_MS });
      await jsm.getAccountInfo();
      return 'silent';
    } catch {
      return 'unreachable';
    }
  }

  private async originLastSeq(peer: string): Promise<number | undefined> {
    const p = this.opts.config.peers.find((x) => x.name === peer);
    if (!this.nc || !p) return undefined;
    try {
      const jsm = await jetstreamManager(this.nc, { domain: p.domain ?? p.name, timeout: REACH_TIMEOUT_MS });
      return (await jsm.streams.info(natsNames.stream(peer))).state.last_seq;
    } catch {
      return undefined;
    }
  }

  /**
   * Settles with `peers` (after the rounds already queued): `settled` is false until every queued
   * peer was read to its end, found unreachable, or settle_timeout ran out for it.
   */
  private startSettling(peers?: readonly string[]): void {
    for (const p of peers ?? this.opts.config.peers.map((x) => x.name)) {
      this.settleQueue.add(p);
      this.unsettledWith.delete(p);
    }
    this.settledNow = false;
    this.settling ??= this.settleRounds().finally(() => (this.settling = undefined));
  }

  private async settleRounds(): Promise<void> {
    const { config: c, clock, log } = this.opts;
    // Bounded: each round takes at most settle_timeout; new rounds come only from peers heard again.
    for (let round = 0; this.settleQueue.size > 0 && !this.stopped && round < 1000; round++) {
      const names = [...this.settleQueue];
      this.settleQueue.clear();
      const targets = names.map((peer) => ({ peer, originLastSeq: () => this.originLastSeq(peer), processedSeq: () => this.readers.get(peer)?.processedSeq ?? 0 }));
      const outcome = await settle(targets, clock, c.settle_timeout, this.abort.signal);
      if (this.stopped) return;
      // A peer not reachable now is settled with when it is heard again.
      for (const p of outcome.unreachable) this.unsettledWith.add(p);
      if (outcome.behind.length > 0) log.warn({ event: 'cluster_settle_timeout', ...outcome }, `not caught up with ${outcome.behind.join(', ')} after settle_timeout (${c.settle_timeout} ms); going on without waiting longer`);
      else log.info({ event: 'cluster_settled', ...outcome }, `settled in ${Math.round(outcome.tookMs)} ms${outcome.unreachable.length ? `; not waited for (unreachable): ${outcome.unreachable.join(', ')}` : ''}`);
      if (this.settleQueue.size === 0) {
        this.settledNow = true;
        for (const w of this.settledWaiters.splice(0)) w();
      }
      this.emit({ kind: 'settled', outcome });
    }
  }
}
