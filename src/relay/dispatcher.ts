import { NotifyError, describeError } from '../errors.js';
import type { OutboxConfig } from '../config/schema.js';
import type { Formatter, DigestContext } from '../notifiers/format.js';
import type { Notifier } from '../notifiers/notifier.js';
import type { Logger } from '../observability/logger.js';
import type { Outbox, OutboxEntry } from '../store/outbox.js';
import { backoffDelay } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';

/** Hooks for metrics. */
export interface DispatchObserver {
  /** An entry was handed over (what that proves: Notifier.sentMeans). */
  sent(destination: string, kind: string, lines: number): void;
  failed(destination: string, retryable: boolean): void;
}

/**
 * Moves outbox entries to notifiers: one worker per destination, in order. This is the one retry
 * stage: notifiers throw NotifyError and the worker decides to wait and resume.
 *
 * Replay policy: when a destination comes back (or falls behind), a few fresh entries are sent as
 * they are; more than `replay_max`, or any older than `stale_after`, are folded into one digest
 * ("while disconnected 12 min: 3 fired, 2 resolved, still firing: …"), never a flood of stale lines.
 */
export class Dispatcher {
  private readonly wake = new Map<string, () => void>();
  private readonly workers = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly outbox: Outbox,
    private readonly notifiers: readonly Notifier[],
    private readonly formatter: Formatter,
    private readonly cfg: OutboxConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly observer?: DispatchObserver,
  ) {
    for (const n of notifiers) {
      n.onReadyChange(() => this.poke());
      n.onUnconfirmed?.((destination, ids, why) => this.resend(destination, ids, why));
    }
  }

  /**
   * Entries a notifier reported sent but can no longer vouch for go back into the queue, in their
   * place: they are sent again (or folded into a digest) when the path is back. People may see a
   * line twice; they never miss one.
   */
  private resend(destination: string, ids: readonly number[], why: string): void {
    const n = this.outbox.requeue(ids);
    if (n === 0) return;
    this.log.warn({ event: 'resend_unconfirmed', destination, entries: n, why }, `${n} notification(s) reported sent to ${destination} were never confirmed (${why}); queued to send again`);
    this.poke(destination);
  }

  /** Starts workers for every destination that has pending entries (after a restart). */
  start(): void {
    for (const d of this.outbox.pendingDestinations()) this.poke(d);
  }

  /** Signals new work for a destination, or for all when none is given. */
  poke(destination?: string): void {
    if (this.abort.signal.aborted) return;
    if (destination === undefined) {
      for (const w of this.wake.values()) w();
      return;
    }
    const w = this.wake.get(destination);
    if (w) w();
    else if (!this.workers.has(destination)) this.spawn(destination);
  }

  /** Stops workers; in-flight line writes finish or fail, progress is already on disk. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('shutting down'));
    for (const w of this.wake.values()) w();
    await Promise.allSettled([...this.workers.values()]);
  }

  private notifierFor(destination: string): Notifier | undefined {
    return this.notifiers.find((n) => n.handles(destination));
  }

  private spawn(destination: string): void {
    const p = this.work(destination)
      .catch((err) => this.log.error({ event: 'dispatcher_crashed', destination, err: describeError(err) }, 'dispatcher worker stopped'))
      .finally(() => {
        this.workers.delete(destination);
        this.wake.delete(destination);
      });
    this.workers.set(destination, p);
  }

  /** Waits until poked (or `ms` passes, when given). */
  private waitForPoke(destination: string, ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const t = ms !== undefined ? this.clock.setTimeout(done, ms) : undefined;
      function done(): void {
        resolve();
      }
      this.wake.set(destination, () => {
        this.clock.clearTimeout(t);
        resolve();
      });
    });
  }

  private async work(destination: string): Promise<void> {
    const notifier = this.notifierFor(destination);
    if (!notifier) {
      this.log.error({ event: 'no_notifier', destination }, 'no notifier handles this destination; entries stay queued');
      return;
    }
    let failures = 0;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (!notifier.ready(destination)) {
        await this.waitForPoke(destination);
        continue;
      }
      // Choose what to send only when it can go: whatever arrives while the path is busy is
      // folded into the same digest instead of a series of small ones.
      if (notifier.awaitTurn) {
        await notifier.awaitTurn(destination, signal);
        if (signal.aborted || !notifier.ready(destination)) continue;
      }
      const entry = this.next(destination, notifier);
      if (!entry) {
        await this.waitForPoke(destination);
        continue;
      }
      try {
        await this.deliver(notifier, entry, signal);
        failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        const retryable = !(err instanceof NotifyError) || err.retryable;
        this.outbox.recordFailure(entry.id, describeError(err));
        this.observer?.failed(destination, retryable);
        // Pages (email, SMS) stop being retried past the deadline: by then escalation has moved on.
        const expired = !notifier.digestsBacklog && this.clock.now() - entry.createdMs > this.cfg.page_deadline;
        if (!retryable || expired) {
          this.log.error({ event: 'delivery_failed', destination, entry: entry.id, err: describeError(err), expired }, expired ? 'delivery still failing at its deadline; given up' : 'delivery failed, not retryable');
          this.outbox.markFailed(entry.id, this.clock.now());
          continue;
        }
        const delay = err instanceof NotifyError && err.retryAfterMs !== undefined
          ? Math.max(0, err.retryAfterMs - this.clock.now())
          : backoffDelay(failures, { initialMs: 500, maxMs: 30_000 });
        failures++;
        this.log.warn({ event: 'delivery_retry', destination, entry: entry.id, err: describeError(err), retry_in_ms: delay }, 'delivery interrupted; will resume');
        // Readiness changes (reconnect) poke us earlier than the backoff.
        await this.waitForPoke(destination, delay);
      }
    }
  }

  /** Picks the next entry: one in progress, a fresh one, or a digest of everything pending. */
  private next(destination: string, notifier: Notifier): OutboxEntry | undefined {
    const head = this.outbox.pending(destination, this.cfg.replay_max + 1);
    const first = head[0];
    if (!first) return undefined;
    if (first.lines !== null && first.linesSent > 0) return first; // resume a delivery in progress
    if (!notifier.digestsBacklog) return first;
    const now = this.clock.now();
    const stale = now - first.createdMs > this.cfg.stale_after;
    const backlog = head.length > this.cfg.replay_max;
    // After a path outage that paged people, the channel gets one line about it, folding in
    // whatever waited meanwhile. Without a backlog `head` holds every pending entry, so the
    // outage summary is among them if it is pending at all.
    const outage = head.some((e) => e.message.kind === 'summary' && e.message.outage !== undefined);
    if (!stale && !backlog && !outage) return first;
    const all = this.outbox.pending(destination).filter((e) => !(e.lines !== null && e.linesSent > 0));
    if (all.length === 1 && all[0]?.message.kind === 'summary') return all[0];
    const folded = this.outbox.foldEntries(destination, all, now);
    this.log.info({ event: 'digest', destination, folded: all.length, stale, backlog, outage }, 'pending notifications folded into a digest');
    return this.withOutage(folded, notifier, destination);
  }

  private withOutage(entry: OutboxEntry, notifier: Notifier, destination: string): OutboxEntry {
    const a = notifier.availability(destination);
    const outage = a.lastOutage;
    const ctx: DigestContext = outage && entry.createdMs <= outage.toMs ? { outageMs: outage.toMs - outage.fromMs } : {};
    const lines = notifier.prepare(destination, this.formatter.render(entry.message, ctx));
    this.outbox.fixLines(entry.id, lines);
    return { ...entry, lines };
  }

  private async deliver(notifier: Notifier, entry: OutboxEntry, signal: AbortSignal): Promise<void> {
    let lines = entry.lines;
    if (lines === null) {
      if (entry.message.kind === 'summary') {
        lines = this.withOutage(entry, notifier, entry.destination).lines as string[];
      } else {
        lines = notifier.prepare(entry.destination, this.formatter.render(entry.message));
        this.outbox.fixLines(entry.id, lines);
      }
    }
    await notifier.send(
      {
        destination: entry.destination,
        lines,
        startAt: entry.linesSent,
        entryId: entry.id,
        onProgress: (n) => this.outbox.recordProgress(entry.id, n),
      },
      signal,
    );
    this.outbox.markSent(entry.id, this.clock.now());
    const means = notifier.sentMeans(entry.destination);
    this.log.info({ event: 'sent', destination: entry.destination, entry: entry.id, kind: entry.message.kind, lines: lines.length - entry.linesSent, queued_ms: this.clock.now() - entry.createdMs, proof: means }, `sent: ${means}`);
    this.observer?.sent(entry.destination, entry.message.kind, lines.length - entry.linesSent);
  }
}

