import type { Clock } from '../util/clock.js';
import type { Logger } from './logger.js';

/** Lines per window before the rest are only counted. */
const BURST = 5;
/** Window length (monotonic). */
const WINDOW_MS = 60_000;

/**
 * A warning that anyone on the network can trigger (a forged Twilio callback, say) is logged at
 * most BURST times a minute; the rest are counted and the count rides on the next line logged
 * (`suppressed`). Two hundred forged posts make a handful of lines, not two hundred, and cannot
 * flood the log or hold the event loop writing it.
 */
export class RateLimitedWarn {
  private windowStart = Number.NEGATIVE_INFINITY;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly burst = BURST,
    private readonly windowMs = WINDOW_MS,
  ) {}

  /** Logs `fields` and `msg` at warn unless the burst for this window is spent; true when logged. */
  warn(fields: Record<string, unknown>, msg: string): boolean {
    const now = this.clock.monotonic();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.burst) {
      this.suppressed++;
      return false;
    }
    this.inWindow++;
    const extra = this.suppressed > 0 ? { suppressed: this.suppressed } : {};
    this.log.warn({ ...fields, ...extra }, this.suppressed > 0 ? `${msg} (${this.suppressed} more like it not logged)` : msg);
    this.suppressed = 0;
    return true;
  }
}
