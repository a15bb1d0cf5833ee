import type { DampedState } from './outcome.js';

/** A probe's thresholds: failures_to_open and successes_to_resolve. */
export interface DampLimits {
  openAfter: number;
  resolveAfter: number;
}

/** What one run means once damped. */
export type DampVerdict =
  /** Up now: the first result after the start (unknown), or enough successes in a row while down. */
  | 'recovered'
  /** Enough failures in a row while not down: the alert opens, unless a cause explains it (policy/dependencies.ts). */
  | 'threshold'
  /** Failed again while down: whatever explained it may have changed (policy/dependencies.ts). */
  | 'failedWhileDown'
  /** Nothing to decide: a blip, a success while up, a success short of resolving. */
  | 'none';

/** The counts flap damping keeps. */
export type DampCounts = Pick<DampedState, 'status' | 'failures' | 'successes'>;

/**
 * Flap damping: a probe's alert opens after `openAfter` failures in a row and resolves after
 * `resolveAfter` successes in a row; one success resets the failures and one failure the
 * successes. The status itself is left to the caller: an open may still wait for a cause.
 */
export function damp(s: DampCounts, up: boolean, l: DampLimits): { counts: Pick<DampedState, 'failures' | 'successes'>; verdict: DampVerdict } {
  if (up) {
    const counts = { failures: 0, successes: s.successes + 1 };
    const verdict = s.status === 'unknown' || (s.status === 'down' && counts.successes >= l.resolveAfter) ? 'recovered' : 'none';
    return { counts, verdict };
  }
  const counts = { failures: s.failures + 1, successes: 0 };
  if (s.status !== 'down') return { counts, verdict: counts.failures >= l.openAfter ? 'threshold' : 'none' };
  return { counts, verdict: 'failedWhileDown' };
}
