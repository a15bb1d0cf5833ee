import type { Config } from '../config/schema.js';
import { cronParser, luxon } from '../util/lazy.js';
import { compileMatchers } from './matchers.js';

type WindowConfig = Config['maintenance'][number];

/** A maintenance window ready to test against a time. */
interface Window {
  name: string;
  matches: (labels: Readonly<Record<string, string>>) => boolean;
  activeAt: (nowMs: number) => boolean;
  /** The next time after `nowMs` the window starts or ends, if it ever does again. */
  nextChange: (nowMs: number) => number | undefined;
  /** When the window last ended at or before `nowMs`, if it has. */
  lastEnd: (nowMs: number) => number | undefined;
}

/**
 * Maintenance windows from the config: one-off (from/to) or recurring (a cron expression for the
 * start, in a time zone, plus a duration). Alerts matching an active window are kept but neither
 * posted nor paged.
 */
export class MaintenanceWindows {
  private readonly windows: Window[];
  constructor(cfg: readonly WindowConfig[]) {
    this.windows = cfg.map((w) => ({ name: w.name, matches: compileMatchers(w.match), ...timing(w) }));
  }

  /**
   * A predicate for "in maintenance now", with the windows active at `nowMs` worked out once, so a
   * webhook of 10,000 alerts does not evaluate cron expressions 10,000 times.
   */
  predicate(nowMs: number): (labels: Readonly<Record<string, string>>) => boolean {
    const active = this.windows.filter((w) => w.activeAt(nowMs));
    return (labels) => active.some((w) => w.matches(labels));
  }

  /** The names of the windows active at `nowMs`. */
  activeNames(nowMs: number): Set<string> {
    return new Set(this.windows.filter((w) => w.activeAt(nowMs)).map((w) => w.name));
  }

  /** Whether the named window covers these labels (whether or not it is active). */
  matchesWindow(name: string, labels: Readonly<Record<string, string>>): boolean {
    return this.windows.find((w) => w.name === name)?.matches(labels) ?? false;
  }

  /** The names of the windows that ended within `withinMs` before `nowMs` and are not active again. */
  endedWithin(nowMs: number, withinMs: number): string[] {
    return this.windows.filter((w) => !w.activeAt(nowMs) && (w.lastEnd(nowMs) ?? -Infinity) >= nowMs - withinMs).map((w) => w.name);
  }

  /** The next time after `nowMs` any window starts or ends. */
  nextChange(nowMs: number): number | undefined {
    let next: number | undefined;
    for (const w of this.windows) {
      const t = w.nextChange(nowMs);
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  /** The name of an active window covering these labels, if any. */
  covering(labels: Readonly<Record<string, string>>, nowMs: number): string | undefined {
    return this.windows.find((w) => w.activeAt(nowMs) && w.matches(labels))?.name;
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

