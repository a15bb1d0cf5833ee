/** What a probe's warning alert (a certificate about to expire, memory running low) should do. */
export type WarningEvent =
  | { status: 'firing'; text: string; /** A new warning is news; only its words changing (numbers) is not. */ news: boolean }
  | { status: 'resolved'; text: string };

/**
 * A warning is read from up results only; a failed run keeps the open one (a down target says
 * nothing about its certificate). It fires when it appears or its words change, and resolves with
 * its last words when an up result has none.
 */
export function warningStep(before: string | null, up: boolean, warning: string | undefined): { warning: string | null; event?: WarningEvent } {
  const now = up ? (warning ?? null) : before;
  if (now !== null && now !== before) return { warning: now, event: { status: 'firing', text: now, news: before === null } };
  if (now === null && before !== null) return { warning: null, event: { status: 'resolved', text: before } };
  return { warning: now };
}
