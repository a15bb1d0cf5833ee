import type { DampedState } from './outcome.js';
import type { DampLimits } from './flapDamping.js';

/**
 * A run that changes nothing decisive refreshes the stored last result at most this often. Writing
 * every run cost a synchronous fsync each: with 2,000 probes that was a third of Lifeline's CPU.
 */
export const REFRESH_MS = 5 * 60_000;

/**
 * Everything in a probe's state that decides its alerts: failures count towards opening only
 * while it is not down, successes towards resolving only while it is; counts past their
 * threshold decide nothing more. (So a healthy probe's second success is no write.)
 */
export function decisiveKey(s: DampedState, l: DampLimits): string {
  const down = s.status === 'down';
  return `${s.status}|${s.sinceMs}|${down ? '-' : Math.min(s.failures, l.openAfter)}|${down ? Math.min(s.successes, l.resolveAfter) : '-'}|${JSON.stringify(s.behind)}|${JSON.stringify(s.warning)}`;
}

/** What was last written for a probe: its decisive key and when (monotonic ms). */
export interface Saved {
  key: string;
  atMs: number;
}

/**
 * Whether a probe's state is written now: whenever its decisive key changed (so a restart neither
 * pages again nor forgets a "down"), else once REFRESH_MS passed since the last write.
 */
export function writeDue(saved: Saved | undefined, key: string, nowMono: number): boolean {
  return saved?.key !== key || nowMono - saved.atMs >= REFRESH_MS;
}
