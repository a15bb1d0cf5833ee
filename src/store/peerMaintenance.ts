import type { WindowConfig } from '../policy/maintenance.js';
import type { Db } from './db.js';

/** A peer's latest set of configured maintenance windows. */
export interface PeerWindowSet {
  readonly peer: string;
  /** The hybrid logical clock timestamp of the message that carried it (formatHlc text, sorts as it compares). */
  readonly hlc: string;
  readonly windows: readonly WindowConfig[];
}

/**
 * The peer_maintenance table (migration 18): each cluster peer's latest set of configured
 * maintenance windows (issue 23). Kept across restarts: the message that carried a set is applied
 * once and not read again, and a peer that is down keeps its last set in force.
 */
export class PeerMaintenanceStore {
  constructor(private readonly db: Db) {}

  /** Stores a peer's set when it is newer (by `hlc`) than the one stored; returns whether it was. */
  put(set: PeerWindowSet, nowMs: number): boolean {
    const r = this.db
      .prepare(
        `INSERT INTO peer_maintenance (peer, hlc, windows, received_ms) VALUES (@peer, @hlc, @windows, @now)
         ON CONFLICT (peer) DO UPDATE SET hlc = excluded.hlc, windows = excluded.windows, received_ms = excluded.received_ms WHERE excluded.hlc > peer_maintenance.hlc`,
      )
      .run({ peer: set.peer, hlc: set.hlc, windows: JSON.stringify(set.windows), now: nowMs });
    return r.changes > 0;
  }

  /** Whether a set of `peer` stamped `hlc` is newer than the one stored (or none is). */
  isNewer(peer: string, hlc: string): boolean {
    const r = this.db.prepare('SELECT hlc FROM peer_maintenance WHERE peer = ?').get(peer) as { hlc: string } | undefined;
    return r === undefined || hlc > r.hlc;
  }

  /** Every peer's stored set. */
  all(): PeerWindowSet[] {
    const rows = this.db.prepare('SELECT peer, hlc, windows FROM peer_maintenance ORDER BY peer').all() as Array<{ peer: string; hlc: string; windows: string }>;
    return rows.map((r) => ({ peer: r.peer, hlc: r.hlc, windows: JSON.parse(r.windows) as WindowConfig[] }));
  }
}
