import { matcherList, type Matcher } from '../policy/matchers.js';
import type { Db } from './db.js';

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
 * Silences: label matchers with an expiry, stored in the database. The store only keeps them;
 * what a silence does (mute new alerts, hold open incidents, release them when it ends) is
 * pipeline/mutes.ts.
 */
export class SilenceStore {
  constructor(private readonly db: Db) {}

  add(matchers: readonly Matcher[], by: string, nowMs: number, expiresMs: number): Silence {
    const id = Number(this.db.prepare('INSERT INTO silences (matchers, created_by, created_ms, expires_ms) VALUES (?, ?, ?, ?)').run(JSON.stringify(matchers), by, nowMs, expiresMs).lastInsertRowid);
    return { id, matchers, createdBy: by, createdMs: nowMs, expiresMs };
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
