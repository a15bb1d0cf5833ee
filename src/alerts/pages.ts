/**
 * Why a page was sent, as a typed value: escalation decides pages by these, the store keeps them
 * in typed columns (migration 13), and the status page names them. Grafana OnCall records every
 * escalation step's outcome as a typed log record the same way; a reason is never a string that is
 * split or matched with LIKE.
 */

/** The ways escalation can page a person, out of band from IRC (escalation/channels/ describes each). */
export type PagingChannelKind = 'email' | 'sms' | 'voice';

/** Every paging channel kind, in the order channels are listed (config, status, daily note). */
export const PAGING_CHANNEL_KINDS: readonly PagingChannelKind[] = ['email', 'sms', 'voice'];

/** Whether a word (a notifier's kind, a config value) names a paging channel. */
export function isPagingChannelKind(word: string): word is PagingChannelKind {
  return (PAGING_CHANNEL_KINDS as readonly string[]).includes(word);
}

/** A policy step that came due: its index in the incident's policy (0: the first step). */
export interface StepReason {
  kind: 'step';
  index: number;
}

/**
 * The incident turned critical while open: whoever step `index` paged is paged again at once with
 * the new words (one page per severity it rose to).
 */
export interface RaisedReason {
  kind: 'raised';
  index: number;
  severity: string;
}

/** A severity change moved the incident to another policy: that policy's step `index` came due. */
export interface SwitchedReason {
  kind: 'switched';
  index: number;
  policy: string;
}

/** Pages about one thing, each sent once per channel and person. */
export type PageOrigin =
  | StepReason
  | RaisedReason
  | SwitchedReason
  /** The monitoring path (IRC) is down: the page about the path itself. */
  | { kind: 'path' }
  /** An alert paged by email and SMS at once while the path cannot carry it. */
  | { kind: 'outOfBand' }
  /** Notice: the incident resolved. */
  | { kind: 'resolved' }
  /** Notice: the path incident ended (the path carries alerts again). */
  | { kind: 'restored' }
  /** Notice: the incident is no longer critical. */
  | { kind: 'lowered' };

/**
 * What a page is "about" when asking whether a person was already reached on a channel: the
 * step by its index (whatever policy or severity), or the named kind.
 */
export type PageHead = StepReason | Exclude<PageOrigin, StepReason | RaisedReason | SwitchedReason>;

/** Why a page was sent. */
export type PageReason =
  | PageOrigin
  /** An SMS carrying the page `of` did not reach the phone: sent again on the next channel. */
  | { kind: 'undelivered'; of: PageHead }
  /** The page `of` was stuck on a channel that kept failing: sent again on its fallback channel. */
  | { kind: 'fallback'; of: PageReason };

/** The kinds that are notices: sent at once, never bundled with or delaying pages. */
export const NOTICE_KINDS: ReadonlyArray<PageOrigin['kind']> = ['resolved', 'restored', 'lowered'];
const NOTICES: ReadonlySet<PageReason['kind']> = new Set(NOTICE_KINDS);

/** Whether a page is a notice (resolved, restored, lowered); a notice sent again another way is a page. */
export function isNotice(r: PageReason): boolean {
  return NOTICES.has(r.kind);
}

/** The step or named kind a page is about (its policy, severity and reroutes left out). */
export function headOf(r: PageReason): PageHead {
  switch (r.kind) {
    case 'fallback':
      return headOf(r.of);
    case 'undelivered':
      return r.of;
    case 'raised':
    case 'switched':
      return { kind: 'step', index: r.index };
    default:
      return r;
  }
}

/** The reason of a page sent again after an SMS carrying it was not delivered. */
export function undelivered(of: PageReason): PageReason {
  return { kind: 'undelivered', of: headOf(of) };
}

/** Words of the named kinds in `stepText`. */
const NAMED: Readonly<Record<Exclude<PageHead['kind'], 'step'>, string>> = { path: 'path', outOfBand: 'oob', resolved: 'resolved', restored: 'restored', lowered: 'lowered' };

/**
 * The page's reason as one short text for the status API (`pages[].step`), as earlier versions
 * wrote it: "0", "0:critical" (raised, or the step of the policy it switched to), "oob", "path",
 * "resolved", "0:undelivered", "0:fallback". For reading only: nothing parses it.
 */
export function stepText(r: PageReason): string {
  switch (r.kind) {
    case 'step':
      return String(r.index);
    case 'raised':
      return `${r.index}:${r.severity}`;
    case 'switched':
      return `${r.index}:${r.policy}`;
    case 'undelivered':
      return `${stepText(r.of)}:undelivered`;
    case 'fallback':
      return `${stepText(r.of)}:fallback`;
    default:
      return NAMED[r.kind];
  }
}

/** What people read on the status page: "step 1" for a policy's first step, named kinds in words. */
export function reasonWords(r: PageReason): string {
  switch (r.kind) {
    case 'step':
      return `step ${r.index + 1}`;
    case 'raised':
      return `step ${r.index + 1} (${r.severity})`;
    case 'switched':
      return `step ${r.index + 1} (${r.policy})`;
    case 'undelivered':
      return `${reasonWords(r.of)} (undelivered)`;
    case 'fallback':
      return `${reasonWords(r.of)} (fallback)`;
    case 'path':
      return 'IRC path down';
    case 'outOfBand':
      return 'out of band (IRC down)';
    default:
      return NAMED[r.kind];
  }
}
