import type { Clock } from './clock.js';

/**
 * Token bucket for IRC flood control: `burst` lines may go at once, then `perSecond` lines each
 * second. Servers penalise clients that send faster (ngircd delays reading, Libera/solanum and
 * ZNC's upstream side disconnect with "Excess Flood"), so every line we write takes a token.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly clock: Clock,
    readonly burst: number,
    readonly perSecond: number,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.perSecond);
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

  /** Milliseconds until a token is available (0 if one is available now). */
  waitMs(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}
