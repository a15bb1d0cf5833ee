import type { Config } from '../config/schema.js';
import { cronParser, luxon } from '../util/lazy.js';
import { compileMatchers } from './matchers.js';

type WindowConfig = Config['maintenance'][number];

/** A maintenance window ready to test against a time. */
interface Window {
  name: string;
  matches: (labels: Readonly<Record<string, string>>) => boolean;
  activeAt: (nowMs: number) => boolean;
}

/**
 * Maintenance windows from the config: one-off (from/to) or recurring (a cron expression for the
 * start, in a time zone, plus a duration). Alerts matching an active window are kept but neither
 * posted nor paged.
 */
export class MaintenanceWindows {
  private readonly windows: Window[];
  constructor(cfg: readonly WindowConfig[]) {
    this.windows = cfg.map((w) => ({ name: w.name, matches: compileMatchers(w.match), activeAt: activeTest(w) }));
  }

  /**
   * A predicate for "in maintenance now", with the windows active at `nowMs` worked out once, so a
   * webhook of 10,000 alerts does not evaluate cron expressions 10,000 times.
   */
  predicate(nowMs: number): (labels: Readonly<Record<string, string>>) => boolean {
    const active = this.windows.filter((w) => w.activeAt(nowMs));
    return (labels) => active.some((w) => w.matches(labels));
  }

  /** The name of an active window covering these labels, if any. */
  covering(labels: Readonly<Record<string, string>>, nowMs: number): string | undefined {
    return this.windows.find((w) => w.activeAt(nowMs) && w.matches(labels))?.name;
  }
}

function activeTest(w: WindowConfig): (nowMs: number) => boolean {
  if (w.from !== undefined && w.to !== undefined) {
    const { DateTime } = luxon();
    const from = DateTime.fromISO(w.from, { zone: w.time_zone }).toMillis();
    const to = DateTime.fromISO(w.to, { zone: w.time_zone }).toMillis();
    return (now) => now >= from && now < to;
  }
  const cron = w.cron as string;
  const length = w.duration as number;
  return (now) => {
    // The latest start at or before now; the window is active if it has not run its length yet.
    const it = cronParser().parseExpression(cron, { currentDate: new Date(now + 1), tz: w.time_zone });
    const start = it.prev().getTime();
    return now - start < length;
  };
}

