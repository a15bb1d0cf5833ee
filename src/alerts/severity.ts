/**
 * The one severity table. Alertmanager puts no rule on the `severity` label, so rule authors use
 * several words for the same level ("critical" and "page"; "error" and "high"; "warning" and
 * "warn"). Every module that ranks, colours or decides by severity asks here, so two parts of
 * Lifeline can never disagree about which of two alerts is the worse (a call once read a warning
 * out as "the worst" because one of four tables ranked "page" below it).
 */

/** The levels Lifeline tells apart, most severe first. */
export type SeverityLevel = 'critical' | 'error' | 'warning' | 'info' | 'unknown';

const LEVELS: readonly SeverityLevel[] = ['critical', 'error', 'warning', 'info', 'unknown'];

const WORDS: ReadonlyMap<string, SeverityLevel> = new Map([
  ['critical', 'critical'],
  ['page', 'critical'],
  ['error', 'error'],
  ['high', 'error'],
  ['warning', 'warning'],
  ['warn', 'warning'],
  ['info', 'info'],
]);

/** The level of a severity label's value (case-insensitive); anything else is "unknown". */
export function severityLevel(severity: string): SeverityLevel {
  return WORDS.get(severity.toLowerCase()) ?? 'unknown';
}

/** A sort key: 0 for the most severe level, larger for less severe ones; unknown words last. */
export function severityRank(severity: string): number {
  return LEVELS.indexOf(severityLevel(severity));
}

/** Compares two severities for sorting, most severe first. */
export function bySeverity(a: string, b: string): number {
  return severityRank(a) - severityRank(b);
}

/** Whether a severity always pages at once, quiet hours or not ("critical", "page"). */
export function isCritical(severity: string): boolean {
  return severityLevel(severity) === 'critical';
}
