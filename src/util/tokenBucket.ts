import type { Clock } from './clock.js';

/**
 * Token bucket for IRC flood control: `burst` lines may go at once, then `perSecond` lines each
 * second. Servers and bouncers hold back or disconnect clients that send faster (ngircd delays
 * reading, Libera/solanum disconnects with "Excess Flood", ZNC and soju queue the excess and
 * forward it at their own pace), so every line we write takes a token. The rate can be lowered
 * at run time when the path turns out to be slower (see notifiers/irc/pacing.ts).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private rate: number;
  constructor(
    private readonly clock: Clock,
    readonly burst: number,
    perSecond: number,
  ) {
    this.tokens = burst;
    this.last = clock.monotonic();
    this.rate = perSecond;
  }

  /** Lines per second now. */
  get perSecond(): number {
    return this.rate;
  }

  /** Changes the sustained rate (tokens already earned are kept). */
  setRate(perSecond: number): void {
    this.refill();
    this.rate = perSecond;
  }

  private refill(): void {
    const now = this.clock.monotonic();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.rate);
  }

  /** Takes a token if one is available. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until `n` tokens are available (0 if they are now); never more than the burst. */
  waitMs(n = 1): number {
    this.refill();
    const want = Math.min(n, this.burst);
    if (this.tokens >= want) return 0;
    return Math.ceil(((want - this.tokens) / this.rate) * 1000);
  }
}
