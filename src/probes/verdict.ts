import { formatDuration } from '../config/duration.js';
import type { ProbesConfig } from '../config/probeSchema.js';

/**
 * How many regions must see a target down before it is down (probe key `confirm`, default all):
 * every region that has a fresh result (`all`), one (`any`), or at least this many.
 */
export type Confirm = ProbesConfig['confirm'];

/**
 * How old a region's latest result may be and still count: two intervals plus the timeout, so one
 * run lost or late (jitter is ±10 %) does not drop a region's vote, and a region whose probe
 * stopped running drops out within about two intervals.
 */
export function maxResultAgeMs(intervalMs: number, timeoutMs: number): number {
  return 2 * intervalMs + timeoutMs;
}

/** A region's latest result for one probe. */
export interface RegionObservation {
  up: boolean;
  /** Why it failed, in the probe's words ("no HTTP answer"); ignored when up. */
  reason: string;
  /** When the probe run finished (epoch ms, the observing region's clock). */
  atMs: number;
}

/** What one region knows about one probe. */
export interface RegionResult {
  region: string;
  /** Whether that region's Lifeline is heard (peer heartbeat within `peer_timeout`); our own region always is. */
  reachable: boolean;
  /** Its latest result, if it has run the probe at all. */
  latest: RegionObservation | undefined;
}

/** Why a region's result is not a vote. */
export type NotCountedWhy = { why: 'unreachable' } | { why: 'no_result' } | { why: 'stale'; ageMs: number };

/** A region whose result does not count, and why. */
export type NotCounted = NotCountedWhy & { region: string };

/** A region that sees the target down, and why. */
export interface RegionDown {
  region: string;
  reason: string;
}

/**
 * The verdict from every region together:
 * - `down`: down from enough regions (see `confirm`): one incident, one page;
 * - `warning`: down from some regions and up from others, too few to confirm: the path from those
 *   regions is broken, or the target is, and people should know which;
 * - `up`: no fresh result says down;
 * - `unknown`: no region has a fresh result (all unreachable or stale): nothing to say.
 */
export interface Verdict {
  kind: 'down' | 'warning' | 'up' | 'unknown';
  /** Regions that see it down, sorted by name. */
  down: RegionDown[];
  /** Regions that see it up, sorted by name. */
  up: string[];
  /** Regions whose result is not a vote, sorted by name. */
  notCounted: NotCounted[];
  /** How many down votes a `down` verdict needed here. */
  needed: number;
  /** One line for people: "wiki.example.org: no HTTP answer from eu-west; up from us-east". */
  text: string;
}

/** What the verdict is taken from. */
export interface VerdictInput {
  /** The target as people know it (probe name or host). */
  target: string;
  confirm: Confirm;
  regions: readonly RegionResult[];
  nowMs: number;
  /**
   * A result older than this is stale and not a vote (a region whose probe stopped running must
   * not hold a verdict up or down): maxResultAgeMs of the probe's interval and timeout.
   */
  maxAgeMs: number;
}

/** Down votes needed: `all` = every voter; `any` = 1; N = N, or every voter when fewer than N can vote. */
function needed(confirm: Confirm, voters: number): number {
  if (confirm === 'any') return 1;
  // Fewer regions than N can tell (the others unreachable or stale): a partition must not hide an
  // outage, so the regions that can tell decide alone (duplicates over loss).
  if (confirm === 'all') return Math.max(1, voters);
  return Math.max(1, Math.min(confirm, voters));
}

const byRegion = <T extends { region: string }>(a: T, b: T): number => (a.region < b.region ? -1 : a.region > b.region ? 1 : 0);

/**
 * The verdict on one probe from the latest result of each region. Unreachable regions, regions
 * with no result and stale results are not votes: they neither confirm nor deny, and the text
 * says which regions were not counted. Pure: the caller brings the clock reading.
 */
export function regionVerdict(input: VerdictInput): Verdict {
  const down: RegionDown[] = [];
  const up: string[] = [];
  const notCounted: NotCounted[] = [];
  for (const r of [...input.regions].sort(byRegion)) {
    const o = r.latest;
    if (!r.reachable) notCounted.push({ region: r.region, why: 'unreachable' });
    else if (o === undefined) notCounted.push({ region: r.region, why: 'no_result' });
    else if (input.nowMs - o.atMs > input.maxAgeMs) notCounted.push({ region: r.region, why: 'stale', ageMs: input.nowMs - o.atMs });
    else if (o.up) up.push(r.region);
    else down.push({ region: r.region, reason: o.reason });
  }
  const need = needed(input.confirm, down.length + up.length);
  const kind: Verdict['kind'] = down.length + up.length === 0 ? 'unknown' : down.length >= need ? 'down' : down.length > 0 ? 'warning' : 'up';
  return { kind, down, up, notCounted, needed: need, text: verdictText(input.target, kind, down, up, notCounted) };
}

/** "no HTTP answer from eu-west, ap-south; refused from us-east; up from us-west; not counted: ..." */
function verdictText(target: string, kind: Verdict['kind'], down: RegionDown[], up: string[], notCounted: NotCounted[]): string {
  const parts: string[] = [];
  const reasons = new Map<string, string[]>();
  for (const d of down) reasons.set(d.reason, [...(reasons.get(d.reason) ?? []), d.region]);
  for (const [reason, regions] of reasons) parts.push(`${reason} from ${regions.join(', ')}`);
  if (up.length > 0) parts.push(`up from ${up.join(', ')}`);
  if (kind === 'unknown') parts.push('no fresh result from any region');
  if (notCounted.length > 0) parts.push(`not counted: ${notCounted.map((n) => `${n.region} (${notCountedWords(n)})`).join(', ')}`);
  return `${target}: ${parts.join('; ')}`;
}

function notCountedWords(n: NotCounted): string {
  switch (n.why) {
    case 'unreachable':
      return 'unreachable';
    case 'no_result':
      return 'no result yet';
    case 'stale':
      return `last result ${formatDuration(n.ageMs)} old`;
  }
}
