import { randomBytes } from 'node:crypto';
import type { Logger } from '../../observability/logger.js';
import type { Clock, TimerHandle } from '../../util/clock.js';

/** What the canary needs from the connection. */
export interface CanaryDeps {
  clock: Clock;
  log: Logger;
  intervalMs: number;
  timeoutMs: number;
  /**
   * Queues a background line (spare flood token, deferred at most `maxDeferMs`, or `busyDeferMs`
   * while alert lines wait; see SendQueue.push); `onWritten` runs when written.
   */
  sendBackground(line: string, maxDeferMs: number, onWritten: () => void, busyDeferMs: number): Promise<void>;
  /** Our nick now. */
  nick(): string;
  /** A count taken when a canary is written (lines written so far), handed back with onOk. */
  mark(): number;
  /** A canary came back after `rttMs` (measured from when it was written); `mark` as taken then. */
  onOk(rttMs: number, mark: number): void;
  /** A canary written in the current upstream epoch did not come back. */
  onLost(): void;
}

interface InFlight {
  writtenMs: number;
  mark: number;
  epoch: number;
  timeout: TimerHandle | undefined;
}

/** After a lost canary, the next one goes this soon (recovery is confirmed fast, not 2 min later). */
const RETRY_AFTER_LOSS_MS = 10_000;
/**
 * Under sustained alert traffic there is never a spare token, so a canary goes at its deadline and
 * takes the token the next alert was waiting for: ZNC at its defaults forwards one line per 2 s,
 * so that alert took 4 s instead of 2 s (measured: one sample in 30 or 100). While alert
 * lines wait, a canary past its interval therefore waits for them to drain, up to this many
 * intervals after it was queued. Dead links are found by liveness.ts (echoes, PINGs), not here.
 */
const BUSY_DEFER_INTERVALS = 2;
/** Lost canaries stay recognisable (a late echo still proves the path), ten at most. */
const REMEMBERED = 10;

/**
 * The canary: a PRIVMSG to our own nick. The network (behind the bouncer) delivers it back, so it
 * only returns if the whole path works: bouncer, its upstream link and the network.
 *
 * - It is a background line: it takes a spare flood token, so a steady stream of alerts is never
 *   delayed by it; without a spare token it waits one interval, and while alert lines wait, for
 *   them to drain (at most BUSY_DEFER_INTERVALS intervals).
 * - Timeouts count from when it was written, not when it was queued.
 * - Epochs: each time the bouncer reports its upstream back, the epoch moves on and canaries sent
 *   before are void. A canary sent while ZNC was off its network would otherwise time out after
 *   the network returned and mark a healthy path down until the next canary.
 */
export class Canary {
  private readonly inFlight = new Map<string, InFlight>();
  private next: TimerHandle | undefined;
  /** When the next canary is due (while one is scheduled). */
  private nextDueMs: number | undefined;
  private epoch = 0;
  private running = false;
  /** A canary is in the send queue, not yet written. */
  private queued = false;

  constructor(private readonly d: CanaryDeps) {}

  /** Starts on a registered link: the first canary soon, then every interval. */
  start(firstInMs = Math.min(5_000, this.d.intervalMs)): void {
    this.running = true;
    this.schedule(firstInMs);
  }

  /** Stops (link gone): nothing in flight can fail any more. */
  stop(): void {
    this.running = false;
    this.d.clock.clearTimeout(this.next);
    this.next = undefined;
    this.nextDueMs = undefined;
    for (const f of this.inFlight.values()) this.d.clock.clearTimeout(f.timeout);
    this.inFlight.clear();
  }

  /** The bouncer is back on its network: canaries from before are void; check again soon. */
  newEpoch(checkInMs: number): void {
    this.epoch++;
    for (const f of this.inFlight.values()) {
      this.d.clock.clearTimeout(f.timeout);
      f.timeout = undefined;
    }
    if (this.running) this.schedule(checkInMs);
  }

  /**
   * Lines were just written that only a canary can prove reached the network: make sure one goes
   * within `withinMs` (it still takes only a spare token), instead of up to a whole interval later.
   */
  confirmSoon(withinMs: number): void {
    // A canary already queued (not yet written) goes after these lines and confirms them too;
    // queuing more would only pile up canaries that are forced out at their deadline, each one
    // costing an alert a slot in the bouncer's queue.
    if (!this.running || this.queued) return;
    const due = this.d.clock.monotonic() + withinMs;
    if (this.nextDueMs === undefined || this.nextDueMs > due) this.schedule(withinMs);
  }

  /** Sends one now (e.g. to confirm a recovery). */
  sendNow(): void {
    if (this.running) this.schedule(0);
  }

  /** A line from our own nick came back (not the bouncer's echo); true when it was a canary. */
  onReturn(text: string): boolean {
    const f = this.inFlight.get(text);
    if (!f) return false;
    const now = this.d.clock.monotonic();
    // Any canary coming back proves the path; those written before it are settled too.
    for (const [token, g] of this.inFlight) {
      if (g.writtenMs <= f.writtenMs) {
        this.d.clock.clearTimeout(g.timeout);
        this.inFlight.delete(token);
      }
    }
    this.d.onOk(now - f.writtenMs, f.mark);
    return true;
  }

  private schedule(ms: number): void {
    this.d.clock.clearTimeout(this.next);
    this.nextDueMs = this.d.clock.monotonic() + ms;
    this.next = this.d.clock.setTimeout(() => {
      this.next = undefined;
      this.nextDueMs = undefined;
      this.send();
    }, ms);
  }

  private send(): void {
    if (!this.running) return;
    this.schedule(this.d.intervalMs);
    if (this.queued) return; // the last one still waits for a spare token; it will do
    const token = `lifeline-canary ${randomBytes(6).toString('hex')}`;
    const epoch = this.epoch;
    this.queued = true;
    this.d
      .sendBackground(`PRIVMSG ${this.d.nick()} :${token}`, this.d.intervalMs, () => {
        this.queued = false;
        if (!this.running) return;
        const f: InFlight = { writtenMs: this.d.clock.monotonic(), mark: this.d.mark(), epoch, timeout: undefined };
        this.inFlight.set(token, f);
        if (this.inFlight.size > REMEMBERED) {
          const [oldest, g] = this.inFlight.entries().next().value as [string, InFlight];
          this.d.clock.clearTimeout(g.timeout);
          this.inFlight.delete(oldest);
        }
        f.timeout = this.d.clock.setTimeout(() => this.lost(token, f), this.d.timeoutMs);
      }, BUSY_DEFER_INTERVALS * this.d.intervalMs)
      .catch(() => {
        this.queued = false; // link dropped before it was written: nothing to measure
      });
  }

  private lost(token: string, f: InFlight): void {
    f.timeout = undefined;
    if (!this.running || !this.inFlight.has(token) || f.epoch !== this.epoch) return;
    this.d.log.warn({ event: 'irc_canary_lost', timeout_ms: this.d.timeoutMs }, 'canary message did not come back');
    this.d.onLost();
    if (this.running) this.schedule(Math.min(RETRY_AFTER_LOSS_MS, this.d.intervalMs));
  }
}
