import type { AlertBatch } from '../alerts/alert.js';
import type { EscalationEngine } from '../escalation/engine.js';
import type { MaintenanceWindows } from '../policy/maintenance.js';
import type { RepeatFilter } from '../store/repeat.js';
import type { SilenceStore } from '../store/silences.js';
import { labelValue } from '../alerts/labels.js';
import { groupMessageOf } from '../alerts/messages.js';
import type { AlertStore } from '../store/alerts.js';
import type { Db } from '../store/db.js';
import type { Outbox } from '../store/outbox.js';

/** What ingest needs. */
export interface IngestDeps {
  db: Db;
  alerts: AlertStore;
  silences: SilenceStore;
  maintenance: MaintenanceWindows;
  escalation: EscalationEngine;
  repeats: RepeatFilter;
  outbox: Outbox;
  /** Destinations of each route ("irc:#alerts", "console"). */
  routes: ReadonlyMap<string, readonly string[]>;
}

/** What one batch did: alerts taken in, and destinations that got a message. */
export interface IngestResult {
  alerts: number;
  queued: string[];
}

/**
 * The pipeline every source feeds, in one SQLite transaction (so a 200 from the webhook means all
 * of it is on disk):
 *
 *   record (every alert, state changes) ─► mute (silences, maintenance windows)
 *     ─► escalate (incidents for paging alerts) ─► route (repeat filter, outbox per destination)
 *
 * Returns the destinations to wake; the caller pokes the dispatcher after the commit.
 */
export function makeIngest(d: IngestDeps): (route: string, batch: AlertBatch, now: number) => IngestResult {
  return d.db.transaction((route: string, batch: AlertBatch, now: number): IngestResult => {
    const { changes } = d.alerts.record(route, batch, now);
    const silenced = d.silences.predicate(now);
    const inMaintenance = d.maintenance.predicate(now);
    const live = batch.alerts.filter((a) => !silenced(a.labels) && !inMaintenance(a.labels));
    if (live.length === 0) return { alerts: batch.alerts.length, queued: [] };
    const byFp = new Map(live.map((a) => [a.fingerprint, a]));
    const changed = changes.flatMap((c) => {
      const a = byFp.get(c.fingerprint);
      return a ? [{ fingerprint: a.fingerprint, status: a.status, labels: a.labels, summary: labelValue(a.annotations, 'summary') ?? '' }] : [];
    });
    d.escalation.onAlerts(batch, changed, now);
    // The alert line carries the ack code of the incident it belongs to, so people can act on it.
    const msg = groupMessageOf({ ...batch, alerts: live }, (fp) => d.escalation.ackCodeFor(fp, batch.groupKey));
    const queued: string[] = [];
    for (const dest of d.routes.get(route) ?? []) {
      if (!d.repeats.admit(dest, msg, now)) continue;
      d.outbox.enqueue(dest, msg, now);
      queued.push(dest);
    }
    return { alerts: batch.alerts.length, queued };
  });
}
