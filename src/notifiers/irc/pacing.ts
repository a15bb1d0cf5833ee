import type { IrcConfig } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import type { TokenBucket } from '../../util/tokenBucket.js';

/** Lines Lifeline may send at once, then lines per second. */
export interface FloodProfile {
  burst: number;
  linesPerSecond: number;
}

/**
 * What each kind of far end lets through, so Lifeline's own queue (not the bouncer's) holds any
 * backlog and can fold it into a digest:
 *  - ZNC 1.8 at its defaults: FloodRate 2.00 (seconds per line: a timer adds one send every
 *    FloodRate seconds) and FloodBurst 9. Measured here (Debian 1.8.2 in front of ngircd), a client
 *    that has just attached gets four lines through at once — ZNC's own attach traffic spent the
 *    rest — then one line every 2 s; faster lines wait in ZNC's queue, invisible to the client.
 *  - soju: a token bucket of 10 lines, one every 2 s (its upstreamMessageDelay/Burst constants).
 *  - The bouncer's own upstream lines (its keepalive PINGs, JOIN/MODE when a client attaches) take
 *    slots in that same queue and Lifeline cannot see them. Pacing at exactly 0.5 line/s left
 *    Lifeline one slot ahead of ZNC for good (measured: each line written within 6 ms of its
 *    webhook, then held 2 s inside ZNC), so a canary on a "spare" token delayed the next alert by
 *    a whole slot. Lifeline therefore paces 10 % under the bouncer's rate: the bouncer keeps
 *    headroom, and what Lifeline counts as spare is spare upstream too.
 *  - a server directly: 1 line/s after a burst of 5 stays under the flood limits of common ircds
 *    (ngircd lets a client through at 3 lines/s; solanum's default is stricter in bursts).
 * `irc.flood` overrides these when the bouncer is configured differently.
 */
export const FLOOD_PROFILES: Readonly<Record<IrcConfig['bouncer'], FloodProfile>> = Object.freeze({
  znc: { burst: 4, linesPerSecond: 0.45 },
  soju: { burst: 10, linesPerSecond: 0.45 },
  none: { burst: 5, linesPerSecond: 1 },
});

/** The flood profile in force: the configured one, else the bouncer's known defaults. */
export function floodProfile(cfg: Pick<IrcConfig, 'bouncer' | 'flood'>): FloodProfile {
  const base = FLOOD_PROFILES[cfg.bouncer];
  return { burst: cfg.flood.burst ?? base.burst, linesPerSecond: cfg.flood.lines_per_second ?? base.linesPerSecond };
}

/** Slowest pace Lifeline lowers itself to. */
const MIN_RATE = 0.1;

/**
 * Learns the path's real pace from the canary: a canary is written with a spare token, so when it
 * comes back much later than one line's worth of the path's pace, lines are waiting inside the
 * bouncer, i.e. Lifeline sends faster than the path carries. The rate is then halved (never below
 * 0.1 line/s); quick round trips raise it back step by step up to the profile's rate.
 */
export class Pacer {
  constructor(
    private readonly bucket: TokenBucket,
    private readonly profile: FloodProfile,
    private readonly log: Logger,
  ) {}

  /** The rate now, lines per second. */
  get rate(): number {
    return this.bucket.perSecond;
  }

  /** Feeds a canary round trip. */
  onCanaryRtt(rttMs: number): void {
    const r = this.bucket.perSecond;
    const oneLineMs = 1000 / r;
    if (rttMs > 2 * oneLineMs + 1000) {
      const next = Math.max(MIN_RATE, r / 2);
      if (next < r) {
        this.bucket.setRate(next);
        this.log.warn({ event: 'irc_pace_lowered', rtt_ms: rttMs, lines_per_second: next }, `canary took ${rttMs} ms: the path holds lines back, pacing at ${next} lines/s`);
      }
    } else if (rttMs < 1000 && r < this.profile.linesPerSecond) {
      const next = Math.min(this.profile.linesPerSecond, r + 0.1);
      this.bucket.setRate(next);
      this.log.info({ event: 'irc_pace_raised', rtt_ms: rttMs, lines_per_second: next }, `path keeps up again, pacing at ${next} lines/s`);
    }
  }
}
