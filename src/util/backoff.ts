/**
 * Capped exponential backoff with jitter ("equal jitter": half the delay is fixed, half random),
 * so a fleet of watchdogs does not reconnect to a recovering bouncer in lockstep, and the delay
 * never drops to zero.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Multiplier per attempt; 2 doubles. */
  factor?: number;
}

/** Delay before attempt `attempt` (0-based). `random` returns [0, 1). */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const factor = opts.factor ?? 2;
  const exp = Math.min(opts.maxMs, opts.initialMs * Math.pow(factor, Math.min(attempt, 60)));
  const half = exp / 2;
  return Math.round(half + random() * half);
}
