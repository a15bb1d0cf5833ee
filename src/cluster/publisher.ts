import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from '../observability/logger.js';
import type { ClusterStore } from '../store/cluster.js';
import type { Clock, TimerHandle } from '../util/clock.js';

/** Waits between publish retries while this region's nats-server does not answer. */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;
/** A PubAck not back within this counts as failed and the message is retried (same Nats-Msg-Id). */
const PUBLISH_TIMEOUT_MS = 2_000;
/** Rows read per pass. */
const BATCH = 100;

/**
 * Publishes the cluster outbox to this instance's stream, oldest first, one at a time so the
 * stream's order is the order of the decisions. A row is marked published only when its PubAck came
 * back; a crash before that publishes it again after the restart with the same Nats-Msg-Id, which
 * the stream drops as a duplicate within its window (and the readers de-duplicate after it).
 */
export class OutboxPublisher {
  private running = false;
  private again = false;
  private stopped = false;
  private retryDelay = RETRY_MIN_MS;
  private retryTimer: TimerHandle | undefined;
  /** Called after each message is published (tests and the benchmark time it). */
  onPublished: ((msgId: string) => void) | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly store: ClusterStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Publishes what is pending now (coalesced: one pass at a time). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.drain().finally(() => {
      this.running = false;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Stops publishing; rows left stay pending for the next start. */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.retryTimer);
  }

  private async drain(): Promise<void> {
    for (let pass = 0; pass < 10_000 && !this.stopped; pass++) {
      const rows = this.store.pending(BATCH);
      if (rows.length === 0) return;
      for (const row of rows) {
        if (this.stopped) return;
        try {
          const ack = await this.js.publish(row.subject, row.payload, { msgID: row.msgId, timeout: PUBLISH_TIMEOUT_MS });
          this.store.markPublished(row.id, this.clock.now());
          this.retryDelay = RETRY_MIN_MS;
          if (ack.duplicate) this.log.debug({ event: 'cluster_publish_duplicate', msgId: row.msgId, seq: ack.seq }, 'already in the stream (a retry after a lost PubAck)');
          this.onPublished?.(row.msgId);
        } catch (err) {
          this.log.warn({ event: 'cluster_publish_failed', msgId: row.msgId, error: String(err), retryInMs: this.retryDelay }, 'cannot publish to this region\'s stream; retrying');
          this.clock.clearTimeout(this.retryTimer);
          this.retryTimer = this.clock.setTimeout(() => this.kick(), this.retryDelay);
          this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2);
          return;
        }
      }
    }
  }
}
