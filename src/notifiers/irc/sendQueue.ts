import { NotifyError } from '../../errors.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { TokenBucket } from '../../util/tokenBucket.js';

/**
 * What a line is for, which decides its turn:
 *  - `alert`: outbox deliveries (alerts, digests, notices) always go first;
 *  - `reply`: answers to commands, only when no alert line waits *and* the outbox is not waiting
 *    for a token (see `whenWritable`); at most `maxReplies` wait, none longer than `replyMaxWaitMs`
 *    (an answer minutes late is noise, and a backlog of them must never hold up an alert);
 *  - `background`: canaries and keep-alive PINGs. They only use a *spare* token (the bucket holds
 *    at least two), so a steady stream of alerts is never delayed by them, but they wait at most
 *    `maxDeferMs` so the path is still checked under sustained load. A line may allow more
 *    (`busyDeferMs`) while alert lines wait: it then goes once they are written, or at that bound.
 */
export type LineClass = 'alert' | 'reply' | 'background';

interface Item {
  line: string;
  cls: LineClass;
  queuedMs: number;
  maxDeferMs: number;
  busyDeferMs: number;
  onWritten: (() => void) | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
}

const ORDER: readonly LineClass[] = ['alert', 'reply', 'background'];

/** How long a token stays reserved for the outbox after `whenWritable` resolves (its pick is synchronous). */
const RESERVE_MS = 250;

/** Limits of the send queue. */
export interface SendQueueLimits {
  /** Lines of all classes that may wait. */
  maxDepth: number;
  /** Reply lines that may wait; more are refused at once. */
  maxReplies: number;
  /** A reply that has waited this long is dropped instead of written. */
  replyMaxWaitMs: number;
}

const DEFAULT_LIMITS: SendQueueLimits = { maxDepth: 10_000, maxReplies: 20, replyMaxWaitMs: 30_000 };

/**
 * Lifeline's own send queue (irc-framework writes straight to the socket). Every line waits for a
 * flood-control token; the bucket is paced at what the path really carries (see pacing.ts), so a
 * backlog waits here, where the outbox can fold it into a digest, not inside the bouncer.
 * `write` returns false when the link is down, which fails everything queued with a retryable
 * error so the outbox resumes those lines after reconnecting. `heldBack` names why one line cannot
 * be written now though the link is up (IRC: a channel we are not in); that line alone fails,
 * retryable and unwritten, and takes no token.
 */
export class SendQueue {
  private readonly items = new Map<LineClass, Item[]>(ORDER.map((c) => [c, []]));
  private timer: TimerHandle | undefined;
  /** Outbox turns being waited for; while any, tokens are kept for them (replies wait). */
  private alertWaiters = 0;
  /** After a turn is granted, tokens stay reserved until this time or until the alert line comes. */
  private reservedUntil = 0;
  private readonly limits: SendQueueLimits;
  /** Replies dropped (queue full or waited too long), since start. */
  droppedReplies = 0;

  constructor(
    private readonly clock: Clock,
    private readonly bucket: TokenBucket,
    private readonly write: (line: string) => boolean,
    limits: Partial<SendQueueLimits> = {},
    private readonly heldBack: (line: string) => string | undefined = () => undefined,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Lines waiting in Lifeline (not yet written to the socket), all classes. */
  get depth(): number {
    let n = 0;
    for (const q of this.items.values()) n += q.length;
    return n;
  }

  /** Lines of one class waiting. */
  depthOf(cls: LineClass): number {
    return (this.items.get(cls) as Item[]).length;
  }

  /**
   * Queues a line; resolves once it is written to the socket (`onWritten` runs at that moment,
   * synchronously, for callers that time the line). Background lines wait for a spare token, at
   * most `maxDeferMs`; past that, while alert lines wait (see `alertsBusy`), at most `busyDeferMs`
   * (never less than `maxDeferMs`).
   */
  push(line: string, cls: LineClass = 'alert', maxDeferMs = 0, onWritten?: () => void, busyDeferMs = maxDeferMs): Promise<void> {
    if (this.depth >= this.limits.maxDepth) {
      return Promise.reject(new NotifyError('IRC send queue is full', { retryable: true }));
    }
    if (cls === 'reply' && this.depthOf('reply') >= this.limits.maxReplies) {
      this.droppedReplies++;
      return Promise.reject(new NotifyError(`reply dropped: ${this.limits.maxReplies} replies already wait`, { retryable: false }));
    }
    if (cls === 'alert') this.reservedUntil = 0;
    return new Promise<void>((resolve, reject) => {
      (this.items.get(cls) as Item[]).push({ line, cls, queuedMs: this.clock.monotonic(), maxDeferMs, busyDeferMs: Math.max(maxDeferMs, busyDeferMs), onWritten, resolve, reject });
      // Re-plan: a timer armed for a deferred background line must not hold back a new alert.
      this.replan();
    });
  }

  private replan(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pump();
  }

  /**
   * Resolves when an alert line pushed now would be written at once: no alert line waits and a
   * flood token is there. The dispatcher waits for this before it picks what to send, so a
   * backlog is folded into a digest at the last moment and covers everything that arrived.
   * Resolves early when `signal` aborts.
   *
   * While it waits, replies and spare-token background lines do not take tokens, and after it
   * resolves the token stays reserved for RESERVE_MS: otherwise a stream of replies takes each
   * token the moment it appears and the outbox never gets its turn (measured: 289 `!help`
   * replies held a critical alert back 304 s).
   */
  whenWritable(signal?: AbortSignal): Promise<void> {
    this.alertWaiters++;
    return new Promise((resolve) => {
      const check = (): void => {
        if (signal?.aborted || (this.depthOf('alert') === 0 && this.bucket.waitMs() === 0)) {
          this.alertWaiters--;
          this.reservedUntil = this.clock.monotonic() + RESERVE_MS;
          this.replan();
          resolve();
          return;
        }
        // The next token, or (if alert lines wait) the moment one of them takes it.
        this.clock.setTimeout(check, Math.max(1, this.bucket.waitMs()));
      };
      check();
    });
  }

  /** Drops waiting lines of one class (e.g. replies nobody needs any more); they reject. */
  drop(cls: LineClass, reason: string, keep: (line: string) => boolean = () => false): number {
    const q = this.items.get(cls) as Item[];
    const gone = q.filter((it) => !keep(it.line));
    this.items.set(cls, q.filter((it) => keep(it.line)));
    for (const it of gone) it.reject(new NotifyError(reason, { retryable: false }));
    return gone.length;
  }

  /** Fails every queued line (link lost, shutting down). */
  failAll(reason: string): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const cls of ORDER) {
      const items = (this.items.get(cls) as Item[]).splice(0);
      for (const it of items) it.reject(new NotifyError(reason, { retryable: true }));
    }
  }

  /** Rejects replies that waited longer than `replyMaxWaitMs`. */
  private dropStaleReplies(now: number): void {
    const q = this.items.get('reply') as Item[];
    while (q.length > 0 && now - (q[0] as Item).queuedMs > this.limits.replyMaxWaitMs) {
      this.droppedReplies++;
      (q.shift() as Item).reject(new NotifyError(`reply dropped: not sent within ${Math.round(this.limits.replyMaxWaitMs / 1000)} s`, { retryable: false }));
    }
  }

  /**
   * Alert lines want the next tokens: one waits here, the outbox waits for its turn, or it was just
   * granted one and is about to push its line.
   */
  private alertsBusy(now: number): boolean {
    return this.depthOf('alert') > 0 || this.alertWaiters > 0 || now < this.reservedUntil;
  }

  /** When a background line goes even without a spare token. */
  private deadline(bg: Item, busy: boolean): number {
    return bg.queuedMs + (busy ? bg.busyDeferMs : bg.maxDeferMs);
  }

  /** The line to write next, if its turn has come; otherwise how long to wait. */
  private pick(): { item: Item } | { waitMs: number } | undefined {
    const now = this.clock.monotonic();
    const wait = this.bucket.waitMs();
    this.dropStaleReplies(now);
    const bg = (this.items.get('background') as Item[])[0];
    const busy = this.alertsBusy(now);
    // A background line past its deferral goes next, even under sustained load.
    if (bg && now >= this.deadline(bg, busy)) return wait > 0 ? { waitMs: wait } : { item: bg };
    const alert = (this.items.get('alert') as Item[])[0];
    if (alert) return wait > 0 ? { waitMs: wait } : { item: alert };
    // The outbox is waiting for a token or about to use the one it was granted: keep it free.
    if (this.alertWaiters > 0) return bg ? { waitMs: Math.max(1, this.deadline(bg, busy) - now) } : undefined;
    if (now < this.reservedUntil) return { waitMs: this.reservedUntil - now };
    const reply = (this.items.get('reply') as Item[])[0];
    if (reply) return wait > 0 ? { waitMs: wait } : { item: reply };
    if (!bg) return undefined;
    // Otherwise only with a spare token: one left over after the next line an alert might need.
    const spare = this.bucket.burst >= 2 ? this.bucket.waitMs(2) : wait;
    if (spare === 0) return { item: bg };
    return { waitMs: Math.min(spare, this.deadline(bg, false) - now) };
  }

  /** Sends as many lines as tokens allow, then waits for the next token. */
  pump(): void {
    if (this.timer) return;
    for (let guard = 0; guard < 100_000; guard++) {
      const p = this.pick();
      if (!p) return;
      if ('waitMs' in p) {
        this.timer = this.clock.setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.max(1, p.waitMs));
        return;
      }
      const item = p.item;
      const held = this.heldBack(item.line);
      if (held !== undefined) {
        (this.items.get(item.cls) as Item[]).shift();
        item.reject(new NotifyError(held, { retryable: true }));
        continue;
      }
      if (!this.write(item.line)) {
        this.failAll('IRC link is down');
        return;
      }
      this.bucket.tryTake();
      (this.items.get(item.cls) as Item[]).shift();
      item.onWritten?.();
      item.resolve();
    }
  }
}
