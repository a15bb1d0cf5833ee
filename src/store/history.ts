import type { Db } from './db.js';

/*
 * The history the status page shows, read from what the store keeps anyway (no table of its own):
 * a probe's alert changes (alert_events naming the probe: changes of its down alert, firing when
 * it went down, resolved when it came back; a change is stored only when the status changes), and
 * the IRC
 * path's incidents (kind 'path': opened when the path broke, resolved when it carried again).
 * Both are kept for store.retention (30 days by default).
 */

/** A probe alert's change of status. */
export interface ProbeEvent {
  /** The probe's name (an inferred cause's alert: "~ENDPOINT"). */
  probe: string;
  status: 'firing' | 'resolved';
  atMs: number;
}

/** A time the IRC path was down: one path incident; `toMs` null while it lasts. */
export interface PathDownPeriod {
  fromMs: number;
  toMs: number | null;
}

/** Reads the probe and IRC path history. Two indexed queries, each bounded by a row limit. */
export class HistoryStore {
  private readonly eventsStmt;
  private readonly pathStmt;
  constructor(db: Db) {
    // alert_events_at (at_ms) narrows to the window; probes' down alerts only (their changes name the probe).
    this.eventsStmt = db.prepare<[number, number], { probe: string; status: string; at_ms: number }>(
      'SELECT probe, status, at_ms FROM alert_events WHERE at_ms >= ? AND probe IS NOT NULL ORDER BY at_ms DESC, id DESC LIMIT ?',
    );
    // The live one by incidents_live_fp (kind), the resolved ones by incidents_resolved: no scan of all incidents.
    this.pathStmt = db.prepare<[number, number], { opened_ms: number; resolved_ms: number | null }>(
      `SELECT opened_ms, resolved_ms FROM (
         SELECT opened_ms, resolved_ms FROM incidents WHERE state != 'resolved' AND kind = 'path'
         UNION ALL
         SELECT opened_ms, resolved_ms FROM incidents WHERE state = 'resolved' AND resolved_ms >= ? AND kind = 'path'
       ) ORDER BY opened_ms LIMIT ?`,
    );
  }

  /**
   * Probe alert changes since `sinceMs`, oldest first: the newest `limit` of them (beyond that,
   * the oldest are left out; a probe's state before its first change read is still known).
   */
  probeEvents(sinceMs: number, limit: number): ProbeEvent[] {
    return this.eventsStmt.all(sinceMs, limit).reverse().map((r) => ({ probe: r.probe, status: r.status === 'resolved' ? 'resolved' : 'firing', atMs: r.at_ms }));
  }

  /** The IRC path's down periods that reach into the time since `sinceMs`, oldest first, at most `limit`. */
  pathDowns(sinceMs: number, limit: number): PathDownPeriod[] {
    return this.pathStmt.all(sinceMs, limit).map((r) => ({ fromMs: r.opened_ms, toMs: r.resolved_ms }));
  }
}
