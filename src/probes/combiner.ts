import type { ProbeConfig, ProbesConfig } from '../config/probeSchema.js';
import { regionVerdict, type Confirm, type RegionResult } from './verdict.js';

/*
 * Verdicts from more than one place (issue 23). Each region's Lifeline runs every probe; what its
 * damped state says (up or down, why, since when) is its region's verdict. The combiner joins this
 * region's verdict with the peers' latest ones into the one verdict that alerts: down from enough
 * regions (`confirm`) is the probe's down alert; down from some and up from others is a warning
 * naming the regions. Without a cluster there is no combiner and a probe alerts on its own
 * region's verdict alone, as it always has.
 */

/** One region's verdict on a probe: its damped state. */
export interface RegionVerdict {
  up: boolean;
  /** Why it is down, in the probe's words; ignored when up. */
  reason: string;
  /** Since when it is in this state (epoch ms, that region's clock). */
  sinceMs: number;
}

/** A region's verdict as the combiner sees it. */
export interface RegionVote {
  region: string;
  /** Whether that region's Lifeline is heard now (this region's always is). */
  reachable: boolean;
  /** Its verdict; undefined when it has none yet (never ran the probe, or just started). */
  verdict: RegionVerdict | undefined;
}

/** What the regions together say about a probe. */
export type Combined =
  /** Down from enough regions: the probe's down alert, starting when the first of them saw it down. */
  | { readonly kind: 'down'; readonly text: string; readonly startsAtMs: number }
  /** Down from some regions, up from others: a warning naming them. */
  | { readonly kind: 'warning'; readonly text: string }
  | { readonly kind: 'up'; readonly text: string }
  /** No region has a verdict: nothing changes. */
  | { readonly kind: 'unknown'; readonly text: string };

/**
 * Joins the regions' verdicts with regionVerdict. A region's verdict stands until it says
 * otherwise (verdicts are sent on change), so it never goes stale: it counts while its region is
 * heard and not while it is not. The down alert's start is the earliest down region's since: every
 * instance derives the same one, so all of them open the same incident episode.
 */
export function combineVotes(target: string, confirm: Confirm, votes: readonly RegionVote[]): Combined {
  const regions: RegionResult[] = votes.map((v) => ({
    region: v.region,
    reachable: v.reachable,
    // atMs 0 with an unbounded age: the verdict's age never matters (see above).
    latest: v.verdict ? { up: v.verdict.up, reason: v.verdict.reason, atMs: 0 } : undefined,
  }));
  const r = regionVerdict({ target, confirm, regions, nowMs: 0, maxAgeMs: Number.POSITIVE_INFINITY });
  if (r.kind !== 'down') return { kind: r.kind, text: r.text };
  const downRegions = new Set(r.down.map((d) => d.region));
  const since = votes.filter((v) => downRegions.has(v.region) && v.verdict !== undefined).map((v) => v.verdict?.sinceMs ?? Number.POSITIVE_INFINITY);
  return { kind: 'down', text: r.text, startsAtMs: Math.min(...since) };
}

/** A probe's `confirm`: its own, else its group's (probes.groups), else probes.confirm. */
export function probeConfirm(config: ProbesConfig, cfg: ProbeConfig): Confirm {
  return cfg.confirm ?? (cfg.group !== undefined ? config.groups[cfg.group]?.confirm : undefined) ?? config.confirm;
}

/**
 * What the probe engine asks of the cluster about verdicts (src/cluster/verdicts.ts implements
 * it). Injected into the outcome runner only with a `cluster` section.
 */
export interface VerdictCombiner {
  /** This region's verdict on `probe` changed: tell the peers. */
  local(probe: string, v: RegionVerdict): void;
  /** Every region's verdict on a probe together; `own` is this region's (undefined: none yet). */
  combine(cfg: ProbeConfig, target: string, own: RegionVerdict | undefined): Combined;
  /** Calls `fn` when a peer's verdict or a peer's reachability changed (combine again). */
  onChange(fn: () => void): void;
}
