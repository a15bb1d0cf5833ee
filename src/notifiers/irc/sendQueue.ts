import { NotifyError } from '../../errors.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { TokenBucket } from '../../util/tokenBucket.js';

interface Item {
  line: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Lifeline's own send queue (irc-framework writes straight to the socket). Every line waits for a
 * flood-control token; `write` returns false when the link is down, which fails everything queued
 * with a retryable error so the outbox resumes those lines after reconnecting.
 */
export class SendQueue {
  private readonly items: Item[] = [];
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly bucket: TokenBucket,
    private readonly write: (line: string) => boolean,
    private readonly maxDepth = 10_000,
  ) {}

  /** Lines waiting. */
  get depth(): number {
    return this.items.length;
  }

  /** Queues a line; resolves once it is written to the socket. `urgent` lines go first. */
  push(line: string, urgent = false): Promise<void> {
    if (this.items.length >= this.maxDepth) {
      return Promise.reject(new NotifyError('IRC send queue is full', { retryable: true }));
    }
    return new Promise<void>((resolve, reject) => {
      const item = { line, resolve, reject };
      if (urgent) this.items.unshift(item);
      else this.items.push(item);
      this.pump();
    });
  }

  /** Fails every queued line (link lost, shutting down). */
  failAll(reason: string): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.items.splice(0);
    for (const it of items) it.reject(new NotifyError(reason, { retryable: true }));
  }

  /** Sends as many lines as tokens allow, then waits for the next token. */
  pump(): void {
    if (this.timer) return;
    while (this.items.length > 0) {
      const wait = this.bucket.waitMs();
      if (wait > 0) {
        this.timer = this.clock.setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      const item = this.items[0] as Item;
      if (!this.write(item.line)) {
        this.failAll('IRC link is down');
        return;
      }
      this.bucket.tryTake();
      this.items.shift();
      item.resolve();
    }
  }
}
