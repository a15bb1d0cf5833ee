import { matcherList, type Matcher } from '../policy/matchers.js';
import type { Db } from './db.js';
import { silenceKey } from './silenceKey.js';

export { silenceKey } from './silenceKey.js';

/** A silence set from IRC. */
export interface Silence {
  id: number;
  matchers: readonly Matcher[];
  createdBy: string;
  createdMs: number;
  expiresMs: number;
  /** Who ended it early; undefined while it runs, or when it ran out. */
  endedBy?: string;
}

function toSilence(r: Record<string, unknown>): Silence {
  // Versions before 11 stored an object ({ name: value, name: "~regex" }); now a list of matchers.
  const stored = JSON.parse(String(r['matchers'])) as Matcher[] | Record<string, string>;
  return {
    id: Number(r['id']),
    matchers: matcherList(stored),
    createdBy: String(r['created_by']),
    createdMs: Number(r['created_ms']),
    expiresMs: Number(r['expires_ms']),
    ...(r['ended_by'] !== null && r['ended_by'] !== undefined ? { endedBy: String(r['ended_by']) } : {}),
  };
}

/**
 * A silence as instances in several regions share it (cluster messages silence and unsilence):
 * `id` is its key on every instance, the local row number is not.
 */
export interface SharedSilence {
  id: string;
  matchers: readonly Matcher[];
  createdBy: string;
  createdMs: number;
  expiresMs: number;
}

/** A stored silence as it is shared. */
export function sharedSilence(s: Silence): SharedSilence {
  return { id: silenceKey(s), matchers: s.matchers, createdBy: s.createdBy, createdMs: s.createdMs, expiresMs: s.expiresMs };
}

/**
 * Silences: label matchers with an expiry, stored in the database. The store only keeps them;
 * what a silence does (mute new alerts, hold open incidents, release them when it ends) is
 * pipeline/mutes.ts.
 */
export class SilenceStore {
  constructor(private readonly db: Db) {}

  add(matchers: readonly Matcher[], by: string, nowMs: number, expiresMs: number): Silence {
    const key = silenceKey({ createdMs: nowMs, createdBy: by, matchers });
    const id = Number(this.db.prepare('INSERT INTO silences (matchers, created_by, created_ms, expires_ms, cluster_key) VALUES (?, ?, ?, ?, ?)').run(JSON.stringify(matchers), by, nowMs, expiresMs, key).lastInsertRowid);
    return { id, matchers, createdBy: by, createdMs: nowMs, expiresMs };
  }

  /** Runs `fn` in one transaction (a silence and its cluster message are written together). */
  atomic<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** The stored silence with this shared key (silences.cluster_key), if any. */
  byKey(key: string): Silence | undefined {
    const r = this.db.prepare('SELECT * FROM silences WHERE cluster_key = ? ORDER BY id LIMIT 1').get(key) as Record<string, unknown> | undefined;
    return r ? toSilence(r) : undefined;
  }

  /**
   * Stores a peer's silence unless a silence with its key is stored already; returns the stored
   * one and whether it is new. A silence that is over at `nowMs` is stored as released: it held
   * nothing here.
   */
  addShared(s: SharedSilence, nowMs: number): { silence: Silence; added: boolean } {
    // By the key of what it holds, not the id it came with: one silence is one row whatever a peer sent.
    const key = silenceKey(s);
    const known = this.byKey(key);
    if (known) return { silence: known, added: false };
    const id = Number(
      this.db
        .prepare('INSERT INTO silences (matchers, created_by, created_ms, expires_ms, released, cluster_key) VALUES (?, ?, ?, ?, ?, ?)')
        .run(JSON.stringify(s.matchers), s.createdBy, s.createdMs, s.expiresMs, s.expiresMs <= nowMs ? 1 : 0, key).lastInsertRowid,
    );
    return { silence: { id, matchers: s.matchers, createdBy: s.createdBy, createdMs: s.createdMs, expiresMs: s.expiresMs }, added: true };
  }

  /**
   * Merges an end made elsewhere, stamped `hlc` (cluster/hlc.ts formatHlc text, which sorts as it
   * compares): the end with the earliest hybrid logical clock timestamp wins (the instance name in
   * it breaks ties), so every instance keeps the same end whatever order the ends arrive in and
   * whatever their wall clocks say. A silence that ran out on its own (no end stamped) takes an
   * end made before it ran out; one ended by a version before 18 (no stamp) keeps the old rule:
   * the earlier wall-clock end, then the smaller `ended_by`. Returns whether the silence changed
   * (it ends at `endedMs` now, by `by`).
   */
  mergeEnd(id: number, by: string, endedMs: number, hlc: string): boolean {
    const r = this.db
      .prepare(
        `UPDATE silences SET expires_ms = @ended, ended_by = @by, ended_hlc = @hlc WHERE id = @id AND (
           CASE WHEN ended_hlc IS NOT NULL THEN ended_hlc > @hlc
                ELSE expires_ms > @ended OR (expires_ms = @ended AND ended_by IS NOT NULL AND ended_by > @by) END)`,
      )
      .run({ ended: endedMs, by, hlc, id });
    return r.changes > 0;
  }

  /** Stamps the end of a silence ended here (end) with its cluster message's timestamp, for mergeEnd. */
  stampEnd(id: number, hlc: string): void {
    this.db.prepare('UPDATE silences SET ended_hlc = ? WHERE id = ?').run(hlc, id);
  }

  /** Ends an active silence now; the silence as it was, or undefined when there is no active silence with that id. */
  end(id: number, by: string, nowMs: number): Silence | undefined {
    const r = this.db.prepare('UPDATE silences SET expires_ms = ?, ended_by = ? WHERE id = ? AND expires_ms > ? RETURNING *').get(nowMs, by, id, nowMs) as Record<string, unknown> | undefined;
    return r ? toSilence(r) : undefined;
  }

  active(nowMs: number): Silence[] {
    return (this.db.prepare('SELECT * FROM silences WHERE expires_ms > ? ORDER BY id').all(nowMs) as Array<Record<string, unknown>>).map(toSilence);
  }

  /** Silences that have ended (ran out or were ended) and whose hold was not released yet. */
  endedUnreleased(nowMs: number): Silence[] {
    return (this.db.prepare('SELECT * FROM silences WHERE expires_ms <= ? AND released = 0 ORDER BY id').all(nowMs) as Array<Record<string, unknown>>).map(toSilence);
  }

  /** Records that what these silences held was released. */
  markReleased(ids: readonly number[]): void {
    const st = this.db.prepare('UPDATE silences SET released = 1 WHERE id = ?');
    for (const id of ids) st.run(id);
  }

  /** When the next active silence runs out, if any does. */
  nextExpiry(nowMs: number): number | undefined {
    const r = this.db.prepare('SELECT MIN(expires_ms) AS t FROM silences WHERE expires_ms > ?').get(nowMs) as { t: number | null };
    return r.t ?? undefined;
  }
}
