import { NotifyError } from '../../errors.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { TokenBucket } from '../../util/tokenBucket.js';

/**
 * What a line is for, which decides its turn:
 *  - `alert`: outbox deliveries (alerts, digests, notices) always go first;
 *  - `reply`: answers to commands, only when no alert line waits;
 *  - `background`: canaries and keep-alive PINGs. They only use a *spare* token (the bucket holds
 *    at least two), so a steady stream of alerts is never delayed by them, but they wait at most
 *    `maxDeferMs` so the path is still checked under sustained load.
 */
export type LineClass = 'alert' | 'reply' | 'background';

interface Item {
  line: string;
  cls: LineClass;
  queuedMs: number;
  maxDeferMs: number;
  onWritten: (() => void) | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
}

const ORDER: readonly LineClass[] = ['alert', 'reply', 'background'];

/**
 * Lifeline's own send queue (irc-framework writes straight to the socket). Every line waits for a
 * flood-control token; the bucket is paced at what the path really carries (see pacing.ts), so a
 * backlog waits here, where the outbox can fold it into a digest, not inside the bouncer.
 * `write` returns false when the link is down, which fails everything queued with a retryable
 * error so the outbox resumes those lines after reconnecting.
 */
export class SendQueue {
  private readonly items = new Map<LineClass, Item[]>(ORDER.map((c) => [c, []]));
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly bucket: TokenBucket,
    private readonly write: (line: string) => boolean,
    private readonly maxDepth = 10_000,
  ) {}

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
   * most `maxDeferMs`.
   */
  push(line: string, cls: LineClass = 'alert', maxDeferMs = 0, onWritten?: () => void): Promise<void> {
    if (this.depth >= this.maxDepth) {
      return Promise.reject(new NotifyError('IRC send queue is full', { retryable: true }));
    }
    return new Promise<void>((resolve, reject) => {
      (this.items.get(cls) as Item[]).push({ line, cls, queuedMs: this.clock.now(), maxDeferMs, onWritten, resolve, reject });
      // Re-plan: a timer armed for a deferred background line must not hold back a new alert.
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.pump();
    });
  }

  /**
   * Resolves when an alert line pushed now would be written at once: no alert line waits and a
   * flood token is there. The dispatcher waits for this before it picks what to send, so a
   * backlog is folded into a digest at the last moment and covers everything that arrived.
   * Resolves early when `signal` aborts.
   */
  whenWritable(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (signal?.aborted || (this.depthOf('alert') === 0 && this.bucket.waitMs() === 0)) {
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

  /** The line to write next, if its turn has come; otherwise how long to wait. */
  private pick(): { item: Item } | { waitMs: number } | undefined {
    const now = this.clock.now();
    const wait = this.bucket.waitMs();
    const bg = (this.items.get('background') as Item[])[0];
    // A background line past its deferral goes next, even under sustained load.
    if (bg && now - bg.queuedMs >= bg.maxDeferMs) return wait > 0 ? { waitMs: wait } : { item: bg };
    for (const cls of ['alert', 'reply'] as const) {
      const head = (this.items.get(cls) as Item[])[0];
      if (head) return wait > 0 ? { waitMs: wait } : { item: head };
    }
    if (!bg) return undefined;
    // Otherwise only with a spare token: one left over after the next line an alert might need.
    const spare = this.bucket.burst >= 2 ? this.bucket.waitMs(2) : wait;
    if (spare === 0) return { item: bg };
    return { waitMs: Math.min(spare, bg.queuedMs + bg.maxDeferMs - now) };
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
