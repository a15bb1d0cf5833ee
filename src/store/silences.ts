import type { LabelSet } from '../alerts/labels.js';
import { compileMatchers } from '../policy/matchers.js';
import type { Db } from './db.js';

/** A silence set from IRC. */
export interface Silence {
  id: number;
  matchers: Record<string, string>;
  createdBy: string;
  createdMs: number;
  expiresMs: number;
}

/**
 * Silences: label matchers with an expiry, stored in the database. A silenced alert is kept in the
 * alert store but neither posted to IRC nor paged.
 */
export class SilenceStore {
  constructor(private readonly db: Db) {}

  add(matchers: Record<string, string>, by: string, nowMs: number, expiresMs: number): Silence {
    const id = Number(this.db.prepare('INSERT INTO silences (matchers, created_by, created_ms, expires_ms) VALUES (?, ?, ?, ?)').run(JSON.stringify(matchers), by, nowMs, expiresMs).lastInsertRowid);
    return { id, matchers, createdBy: by, createdMs: nowMs, expiresMs };
  }

  /** Ends an active silence now; false when there is no active silence with that id. */
  end(id: number, nowMs: number): boolean {
    return this.db.prepare('UPDATE silences SET expires_ms = ? WHERE id = ? AND expires_ms > ?').run(nowMs, id, nowMs).changes > 0;
  }

  active(nowMs: number): Silence[] {
    return (this.db.prepare('SELECT * FROM silences WHERE expires_ms > ? ORDER BY id').all(nowMs) as Array<Record<string, unknown>>).map((r) => ({
      id: Number(r['id']),
      matchers: JSON.parse(String(r['matchers'])) as Record<string, string>,
      createdBy: String(r['created_by']),
      createdMs: Number(r['created_ms']),
      expiresMs: Number(r['expires_ms']),
    }));
  }

  /**
   * A predicate for "silenced now", compiled once for a batch of alerts. A silence stored by an
   * older version with a pattern RE2 refuses (lookaround, backreferences) matches nothing: for a
   * watchdog, an alert shown is better than one hidden by a rule that can no longer be read.
   */
  predicate(nowMs: number): (labels: LabelSet) => boolean {
    const tests = this.active(nowMs).flatMap((s) => {
      try {
        return [compileMatchers(s.matchers)];
      } catch {
        return [];
      }
    });
    return (labels) => tests.some((t) => t(labels));
  }
}
