import { NotifyError, describeError } from '../errors.js';
import type { OutboxConfig } from '../config/schema.js';
import type { Formatter, DigestContext } from '../notifiers/format.js';
import type { Notifier } from '../notifiers/notifier.js';
import type { Logger } from '../observability/logger.js';
import type { Outbox, OutboxEntry } from '../store/outbox.js';
import { backoffDelay } from '../util/backoff.js';
import { sleep, type Clock } from '../util/clock.js';

/** A digest waits until no entry has arrived for this long... */
const SETTLE_MS = 250;
/** ...but never longer than this after its oldest entry. */
const MAX_SETTLE_MS = 2_000;

/** Hooks for metrics. */
export interface DispatchObserver {
  /** An entry was handed over (what that proves: Notifier.sentMeans); `entryId`: its outbox id. */
  sent(destination: string, kind: string, lines: number, entryId: number): void;
  failed(destination: string, retryable: boolean, err: unknown): void;
  /** A worker hit an error of its own (e.g. the store cannot be written); undefined when it recovered. */
  workerFault?(destination: string, err: unknown): void;
  /** How logs name a destination and an error: never a phone number or an address (observability/contactNames.ts). */
  readonly names?: { destination(destination: string): string; text(text: string): string };
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
  private readonly faulted = new Map<string, { sinceMs: number; error: string }>();

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

  /** A destination as logs name it. */
  private named(destination: string): string {
    return this.observer?.names?.destination(destination) ?? destination;
  }

  /** An error as logs show it. */
  private errText(err: unknown): string {
    const text = describeError(err);
    return this.observer?.names?.text(text) ?? text;
  }

  /**
   * Entries a notifier reported sent but can no longer vouch for go back into the queue, in their
   * place: they are sent again (or folded into a digest) when the path is back. People may see a
   * line twice; they never miss one.
   */
  private resend(destination: string, ids: readonly number[], why: string): void {
    const n = this.outbox.requeue(ids);
    if (n === 0) return;
    this.log.warn({ event: 'resend_unconfirmed', destination: this.named(destination), entries: n, why }, `${n} notification(s) reported sent to ${this.named(destination)} were never confirmed (${why}); queued to send again`);
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
      .catch((err) => this.log.error({ event: 'dispatcher_crashed', destination: this.named(destination), err: this.errText(err) }, 'dispatcher worker stopped'))
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

  /**
   * One worker per destination, supervised: a delivery failure is the notifier's and is retried
   * per entry (below); anything else (the store failing to write, e.g. a full disk) is the
   * worker's own fault. The worker never dies of it: it reports the fault (observer), backs off
   * (1 s doubling to 30 s) and carries on, and clears the fault at its next good step.
   */
  private async work(destination: string): Promise<void> {
    const notifier = this.notifierFor(destination);
    if (!notifier) {
      this.log.error({ event: 'no_notifier', destination: this.named(destination) }, 'no notifier handles this destination; entries stay queued');
      return;
    }
    const signal = this.abort.signal;
    const w: WorkerState = { failures: 0, faults: 0, sentUnrecorded: new Set() };
    while (!signal.aborted) {
      try {
        await this.step(destination, notifier, w, signal);
        if (w.faults > 0) {
          w.faults = 0;
          this.faulted.delete(destination);
          this.observer?.workerFault?.(destination, undefined);
          this.log.info({ event: 'dispatcher_recovered', destination: this.named(destination) }, 'delivery worker is working again');
        }
      } catch (err) {
        if (signal.aborted) return;
        const delay = backoffDelay(w.faults, { initialMs: 1_000, maxMs: 30_000 });
        w.faults++;
        if (!this.faulted.has(destination)) this.faulted.set(destination, { sinceMs: this.clock.now(), error: describeError(err) });
        this.log.error({ event: 'dispatcher_error', destination: this.named(destination), err: this.errText(err), retry_in_ms: delay, attempt: w.faults }, 'delivery worker hit an error; retrying');
        this.observer?.workerFault?.(destination, err);
        await sleep(this.clock, delay, signal).catch(() => undefined);
      }
    }
  }

  /** Destinations whose worker is failing now, with since when and the error. */
  faults(): ReadonlyMap<string, { sinceMs: number; error: string }> {
    return this.faulted;
  }

  /** One turn of a worker: wait for readiness and a turn, pick an entry, deliver it. */
  private async step(destination: string, notifier: Notifier, w: WorkerState, signal: AbortSignal): Promise<void> {
    if (!notifier.ready(destination)) {
      await this.waitForPoke(destination);
      return;
    }
    // Choose what to send only when it can go: whatever arrives while the path is busy is
    // folded into the same digest instead of a series of small ones.
    if (notifier.awaitTurn) {
      await notifier.awaitTurn(destination, signal);
      if (signal.aborted || !notifier.ready(destination)) return;
    }
    const entry = this.next(destination, notifier);
    if (!entry) {
      await this.waitForPoke(destination);
      return;
    }
    if ('waitMs' in entry) {
      await sleep(this.clock, entry.waitMs, signal).catch(() => undefined);
      return;
    }
    if (w.sentUnrecorded.has(entry.id)) {
      // Delivered, but the store could not record it: record it now instead of sending it again.
      this.recordSent(notifier, entry, entry.lines?.length ?? 0);
      w.sentUnrecorded.delete(entry.id);
      return;
    }
    let lines: readonly string[];
    try {
      lines = await this.deliver(notifier, entry, signal);
    } catch (err) {
      if (signal.aborted || err instanceof StoreWriteError) throw err instanceof StoreWriteError ? err.cause : err;
      await this.failed(destination, notifier, entry, err, w);
      return;
    }
    w.failures = 0;
    w.sentUnrecorded.add(entry.id);
    this.recordSent(notifier, entry, lines.length);
    w.sentUnrecorded.delete(entry.id);
  }

  private async failed(destination: string, notifier: Notifier, entry: OutboxEntry, err: unknown, w: WorkerState): Promise<void> {
    const retryable = !(err instanceof NotifyError) || err.retryable;
    this.outbox.recordFailure(entry.id, describeError(err));
    this.observer?.failed(destination, retryable, err);
    // Pages (email, SMS) stop being retried past the deadline: by then escalation has moved on.
    const expired = !notifier.digestsBacklog && this.clock.now() - entry.createdMs > this.cfg.page_deadline;
    if (!retryable || expired) {
      this.log.error({ event: 'delivery_failed', destination: this.named(destination), entry: entry.id, err: this.errText(err), expired }, expired ? 'delivery still failing at its deadline; given up' : 'delivery failed, not retryable');
      this.outbox.markFailed(entry.id, this.clock.now());
      return;
    }
    const delay = err instanceof NotifyError && err.retryAfterMs !== undefined
      ? Math.max(0, err.retryAfterMs - this.clock.now())
      : backoffDelay(w.failures, { initialMs: 500, maxMs: 30_000 });
    w.failures++;
    this.log.warn({ event: 'delivery_retry', destination: this.named(destination), entry: entry.id, err: this.errText(err), retry_in_ms: delay }, 'delivery interrupted; will resume');
    // Readiness changes (reconnect) poke us earlier than the backoff.
    await this.waitForPoke(destination, delay);
  }

  /** Picks the next entry: one in progress, a fresh one, or a digest of everything pending. */
  private next(destination: string, notifier: Notifier): OutboxEntry | { waitMs: number } | undefined {
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
    // A storm still arriving: wait until it pauses (bounded), so one digest covers it rather than
    // a digest of what had arrived so far and another of the rest.
    const newest = all.reduce((t, e) => Math.max(t, e.createdMs), 0);
    if (now - newest < SETTLE_MS && now - first.createdMs < MAX_SETTLE_MS) return { waitMs: SETTLE_MS - (now - newest) };
    const folded = this.outbox.foldEntries(destination, all, now);
    this.log.info({ event: 'digest', destination: this.named(destination), folded: all.length, stale, backlog, outage }, 'pending notifications folded into a digest');
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

  /**
   * Sends an entry's lines; returns them. Store writes on the way (fixing the lines, progress)
   * that fail are wrapped in StoreWriteError: they are the worker's fault, not the notifier's.
   */
  private async deliver(notifier: Notifier, entry: OutboxEntry, signal: AbortSignal): Promise<readonly string[]> {
    let lines = entry.lines;
    if (lines === null) {
      lines = storeWrite(() => {
        if (entry.message.kind === 'summary') return this.withOutage(entry, notifier, entry.destination).lines as string[];
        const l = notifier.prepare(entry.destination, this.formatter.render(entry.message));
        this.outbox.fixLines(entry.id, l);
        return l;
      });
    }
    await notifier.send(
      {
        destination: entry.destination,
        lines,
        startAt: entry.linesSent,
        entryId: entry.id,
        key: `${entry.id}.${entry.createdMs}`,
        onProgress: (n) => storeWrite(() => this.outbox.recordProgress(entry.id, n)),
      },
      signal,
    );
    return lines;
  }

  private recordSent(notifier: Notifier, entry: OutboxEntry, lineCount: number): void {
    this.outbox.markSent(entry.id, this.clock.now());
    const means = notifier.sentMeans(entry.destination);
    this.log.info({ event: 'sent', destination: this.named(entry.destination), entry: entry.id, kind: entry.message.kind, lines: lineCount - entry.linesSent, queued_ms: this.clock.now() - entry.createdMs, proof: means }, `sent: ${means}`);
    this.observer?.sent(entry.destination, entry.message.kind, lineCount - entry.linesSent, entry.id);
  }
}

/** Per-worker counters. */
interface WorkerState {
  /** Delivery failures in a row (the notifier's). */
  failures: number;
  /** Worker faults in a row (its own: the store). */
  faults: number;
  /** Entries delivered whose "sent" the store has not recorded yet. */
  sentUnrecorded: Set<number>;
}

/** A store write that failed during a delivery: the worker's fault, not the notifier's. */
class StoreWriteError extends Error {}

function storeWrite<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new StoreWriteError('store write failed', { cause: err });
  }
}

