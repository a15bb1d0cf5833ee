import type { Db } from './db.js';

/** A peer region's latest verdict on one probe (migration 17). */
export interface StoredPeerVerdict {
  region: string;
  probe: string;
  up: boolean;
  reason: string;
  sinceMs: number;
  /** The hybrid logical clock of the message that carried it (formatted, sorts as it orders). */
  hlc: string;
}

interface Row {
  region: string;
  probe: string;
  up: number;
  reason: string;
  since_ms: number;
  hlc: string;
}

/** The peers' latest probe verdicts: one row per region and probe, the newest by HLC wins. */
export class PeerVerdictStore {
  private readonly put;
  private readonly byProbe;

  constructor(db: Db) {
    this.put = db.prepare(
      `INSERT INTO cluster_verdicts (region, probe, up, reason, since_ms, hlc) VALUES (@region, @probe, @up, @reason, @since_ms, @hlc)
       ON CONFLICT (region, probe) DO UPDATE SET up = excluded.up, reason = excluded.reason, since_ms = excluded.since_ms, hlc = excluded.hlc
       WHERE excluded.hlc > cluster_verdicts.hlc`,
    );
    this.byProbe = db.prepare<[string], Row>('SELECT region, probe, up, reason, since_ms, hlc FROM cluster_verdicts WHERE probe = ?');
  }

  /** Stores a verdict unless a newer one of that region is stored; true when stored. */
  save(v: StoredPeerVerdict): boolean {
    return this.put.run({ region: v.region, probe: v.probe, up: v.up ? 1 : 0, reason: v.reason, since_ms: v.sinceMs, hlc: v.hlc }).changes === 1;
  }

  /** Every peer region's latest verdict on a probe. */
  of(probe: string): StoredPeerVerdict[] {
    return this.byProbe.all(probe).map((r) => ({ region: r.region, probe: r.probe, up: r.up === 1, reason: r.reason, sinceMs: r.since_ms, hlc: r.hlc }));
  }
}
