import type { AlertStore } from '../store/alerts.js';
import type { Outbox } from '../store/outbox.js';
import type { Clock } from '../util/clock.js';
import { MAX_SUMMARY_ALERTS, outageSummary, type OutageInfo } from '../alerts/messages.js';

/** What queuing the outage summaries needs. */
export interface OutageSummaryDeps {
  alerts: AlertStore;
  outbox: Outbox;
  clock: Clock;
  /** The channels that get a summary of an outage. */
  destinations: readonly string[];
  /** Wakes the dispatcher for a destination. */
  poke(destination: string): void;
  /** Alerts that fire by design (a dead man's switch's Watchdog): neither listed nor counted. */
  quietNames?: readonly string[];
}

/**
 * When a path outage that paged people ends: queues one summary per channel (it folds in whatever
 * waited meanwhile, see Dispatcher) and says what happened meanwhile, for the "restored" note.
 * Runs inside the engine's transaction; the dispatcher is woken after it commits.
 */
export function queueOutageSummaries(d: OutageSummaryDeps, o: OutageInfo): { fired: number; resolved: number; firingNow: number } {
  const firing = d.alerts.firing(MAX_SUMMARY_ALERTS, d.quietNames);
  const firingNow = d.alerts.countByStatus(d.quietNames).firing;
  const now = d.clock.now();
  for (const dest of d.destinations) {
    d.outbox.enqueue(dest, outageSummary(o, firing, firingNow), now);
    d.clock.setTimeout(() => d.poke(dest), 0);
  }
  return { ...d.alerts.changesBetween(o.fromMs, o.toMs), firingNow };
}
