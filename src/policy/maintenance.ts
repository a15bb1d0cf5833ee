import type { Config } from '../config/schema.js';
import { cronParser, luxon } from '../util/lazy.js';
import { compileMatchers } from './matchers.js';

/** One maintenance window as configured (the `maintenance` section's entry). */
export type WindowConfig = Config['maintenance'][number];

/** A maintenance window ready to test against a time. */
interface Window {
  /** Unique among all windows here: the name for this instance's own, peer and name for a peer's. */
  id: string;
  name: string;
  /** The peer whose config it comes from; null: this instance's config. */
  peer: string | null;
  matches: (labels: Readonly<Record<string, string>>) => boolean;
  activeAt: (nowMs: number) => boolean;
  /** The next time after `nowMs` the window starts or ends, if it ever does again. */
  nextChange: (nowMs: number) => number | undefined;
  /** When the window last ended at or before `nowMs`, if it has. */
  lastEnd: (nowMs: number) => number | undefined;
}

/** A window in force, and where it comes from. */
export interface ActiveWindow {
  readonly name: string;
  /** The peer whose config holds it (a cluster, issue 23); null: this instance's own config. */
  readonly peer: string | null;
}

function compile(w: WindowConfig, peer: string | null): Window {
  // Peer names hold no NUL (cluster.name), config names none a person can type: ids never clash.
  return { id: peer === null ? w.name : `${peer}\u0000${w.name}`, name: w.name, peer, matches: compileMatchers(w.match), ...timing(w) };
}

/**
 * Maintenance windows: one-off (from/to) or recurring (a cron expression for the start, in a time
 * zone, plus a duration). Alerts matching an active window are kept but neither posted nor paged.
 * This instance's own come from its config; in a cluster, each peer's configured windows are added
 * (setPeer: the peer's latest set replaces its earlier one), so a window configured on any
 * instance holds on all (pipeline/sharedMaintenance.ts).
 */
export class MaintenanceWindows {
  private readonly own: readonly Window[];
  private readonly peers = new Map<string, readonly Window[]>();
  private all: readonly Window[];

  constructor(cfg: readonly WindowConfig[]) {
    this.own = cfg.map((w) => compile(w, null));
    this.all = this.own;
  }

  /**
   * Replaces the windows `peer` configured with its latest set ([]: it has none now). Throws when
   * one of them cannot be read here (a pattern or cron expression this version refuses), naming
   * it; the peer's earlier set then stays.
   */
  setPeer(peer: string, cfg: readonly WindowConfig[]): void {
    const compiled = cfg.map((w) => {
      try {
        const c = compile(w, peer);
        // Evaluated once now, so a cron expression or time zone this version cannot read fails here
        // (the set is refused) and not later in every webhook's mute check.
        c.activeAt(0);
        c.nextChange(0);
        return c;
      } catch (err) {
        throw new Error(`maintenance window "${w.name}" of peer ${peer}: ${(err as Error).message}`, { cause: err });
      }
    });
    this.peers.set(peer, compiled);
    this.all = [...this.own, ...[...this.peers.values()].flat()];
  }

  /**
   * A predicate for "in maintenance now", with the windows active at `nowMs` worked out once, so a
   * webhook of 10,000 alerts does not evaluate cron expressions 10,000 times.
   */
  predicate(nowMs: number): (labels: Readonly<Record<string, string>>) => boolean {
    const active = this.all.filter((w) => w.activeAt(nowMs));
    return (labels) => active.some((w) => w.matches(labels));
  }

  /** The windows active at `nowMs`, each with where it comes from (the status page). */
  active(nowMs: number): ActiveWindow[] {
    return this.all.filter((w) => w.activeAt(nowMs)).map((w) => ({ name: w.name, peer: w.peer }));
  }

  /**
   * The windows active at `nowMs` by id, each with its label test: what a window held can still be
   * released after it is gone (a peer's set that no longer has it).
   */
  activeTests(nowMs: number): Map<string, (labels: Readonly<Record<string, string>>) => boolean> {
    return new Map(this.all.filter((w) => w.activeAt(nowMs)).map((w) => [w.id, w.matches]));
  }

  /** The label tests of the windows that ended within `withinMs` before `nowMs` and are not active again. */
  endedWithin(nowMs: number, withinMs: number): Array<(labels: Readonly<Record<string, string>>) => boolean> {
    return this.all.filter((w) => !w.activeAt(nowMs) && (w.lastEnd(nowMs) ?? -Infinity) >= nowMs - withinMs).map((w) => w.matches);
  }

  /** The next time after `nowMs` any window starts or ends. */
  nextChange(nowMs: number): number | undefined {
    let next: number | undefined;
    for (const w of this.all) {
      const t = w.nextChange(nowMs);
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  /** The name of an active window covering these labels, if any. */
  covering(labels: Readonly<Record<string, string>>, nowMs: number): string | undefined {
    return this.all.find((w) => w.activeAt(nowMs) && w.matches(labels))?.name;
  }
}

function timing(w: WindowConfig): Pick<Window, 'activeAt' | 'nextChange' | 'lastEnd'> {
  if (w.from !== undefined && w.to !== undefined) {
    const { DateTime } = luxon();
    const from = DateTime.fromISO(w.from, { zone: w.time_zone }).toMillis();
    const to = DateTime.fromISO(w.to, { zone: w.time_zone }).toMillis();
    return { activeAt: (now) => now >= from && now < to, nextChange: (now) => (now < from ? from : now < to ? to : undefined), lastEnd: (now) => (to <= now ? to : undefined) };
  }
  const cron = w.cron as string;
  const length = w.duration as number;
  // The latest start at or before now; the window is active if it has not run its length yet.
  const lastStart = (now: number): number => cronParser().parseExpression(cron, { currentDate: new Date(now + 1), tz: w.time_zone }).prev().getTime();
  return {
    activeAt: (now) => now - lastStart(now) < length,
    lastEnd: (now) => {
      const end = lastStart(now) + length;
      return end <= now ? end : lastStart(lastStart(now) - 1) + length;
    },
    nextChange: (now) => {
      const end = lastStart(now) + length;
      const nextStart = cronParser().parseExpression(cron, { currentDate: new Date(now), tz: w.time_zone }).next().getTime();
      return end > now ? Math.min(end, nextStart) : nextStart;
    },
  };
}

