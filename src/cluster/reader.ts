import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../observability/logger.js';
import type { ClusterStore } from '../store/cluster.js';
import { sleep, type Clock } from '../util/clock.js';
import { decodeEnvelope, natsNames, type ClusterEnvelope } from './messages.js';

/**
 * How long one pull waits on the server. A durable consumer resumes after its server restarts or
 * the link heals only when the next pull goes out (measured: ~4.9 s with 5 s); nats.js v3's
 * default is 30 s, far too long for a watchdog. 2 s costs one small request per peer every 2 s idle.
 */
export const PULL_EXPIRES_MS = 2_000;
/** Messages one pull may bring. */
const PULL_MAX = 100;
/** Pause before consuming again after the iterator ended with an error. */
const RESTART_MS = 500;
/** Ack wait: a message not acked within this is delivered again. */
const ACK_WAIT_MS = 30_000;

/** Applies a peer's message; runs inside the transaction that records it as applied, so it must be synchronous. */
export type ApplyFn = (msg: ClusterEnvelope) => void;

/**
 * Reads one peer's copy (the mirror in this region) through a durable consumer, so reading
 * resumes where it stopped after a restart, a server restart or a cut. Delivery is at least once
 * (an ack can be lost when the server dies a moment after it), so each message is applied once by
 * its Nats-Msg-Id (cluster_seen), in the same transaction as what applying it writes.
 */
export class PeerReader {
  private stopped = false;
  private iter: ConsumerMessages | undefined;
  private done: Promise<void> | undefined;
  /** The highest sequence of the peer's stream processed (applied or found to be a duplicate). */
  processedSeq: number;

  constructor(
    readonly peer: string,
    private readonly self: string,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly store: ClusterStore,
    private readonly apply: ApplyFn,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.processedSeq = store.appliedSeq(peer);
  }

  /** Creates the durable consumer if needed (an existing one keeps its position). */
  async ensureConsumer(): Promise<void> {
    const info = await this.jsm.consumers.add(natsNames.copy(this.peer), {
      durable_name: natsNames.durable(this.self),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ACK_WAIT_MS * 1_000_000,
      max_ack_pending: 1000,
    });
    // What the consumer had acked counts as processed: the records of applied messages are pruned
    // after `retention`, the consumer's position is not.
    this.processedSeq = Math.max(this.processedSeq, info.ack_floor.stream_seq);
  }

  /** Starts reading. */
  run(): void {
    this.done ??= this.loop();
  }

  /** Stops reading (what was not acked is delivered again next time). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.iter?.close().catch(() => undefined);
    await this.done;
  }

  private async loop(): Promise<void> {
    // Bounded by `stopped`; each round lasts until the iterator ends (a consumer deleted, a
    // connection closed), then waits RESTART_MS.
    while (!this.stopped) {
      try {
        const consumer = await this.js.consumers.get(natsNames.copy(this.peer), natsNames.durable(this.self));
        this.iter = await consumer.consume({ max_messages: PULL_MAX, expires: PULL_EXPIRES_MS });
        for await (const m of this.iter) {
          this.handle(m);
          if (this.stopped) break;
        }
      } catch (err) {
        if (!this.stopped) this.log.warn({ event: 'cluster_read_failed', peer: this.peer, error: String(err) }, 'reading a peer\'s copy failed; trying again');
      }
      if (!this.stopped) await sleep(this.clock, RESTART_MS);
    }
  }

  private handle(m: JsMsg): void {
    const msgId = m.headers?.get('Nats-Msg-Id') || `${this.peer}:seq:${m.seq}`;
    let env: ClusterEnvelope;
    try {
      env = decodeEnvelope(m.string());
    } catch (err) {
      // Not ours to understand (another version, garbage): never retried, it would only come back.
      this.log.warn({ event: 'cluster_message_unreadable', peer: this.peer, seq: m.seq, error: String(err) }, 'skipped a message from a peer that is not a Lifeline cluster message');
      m.term();
      this.processedSeq = Math.max(this.processedSeq, m.seq);
      return;
    }
    try {
      this.store.applyOnce(msgId, this.peer, m.seq, this.clock.now(), () => this.apply(env));
    } catch (err) {
      this.log.error({ event: 'cluster_apply_failed', peer: this.peer, seq: m.seq, kind: env.body.kind, error: String(err) }, 'applying a peer\'s message failed; it comes again');
      m.nak(RESTART_MS);
      return;
    }
    this.processedSeq = Math.max(this.processedSeq, m.seq);
    m.ack();
  }
}
