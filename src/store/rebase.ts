import type { Db } from './db.js';

/**
 * After a wall-clock step, the stored times that measure durations still to run (the next
 * escalation step, an acknowledgement's lapse, a bundle window, a silence's end, a page's
 * deadline) are moved by the step, so every wait keeps its remaining length: a clock stepped back
 * an hour does not hold a page for an hour, and one stepped forward does not page early. Only
 * live and recent rows are touched (history older than two days keeps its times).
 */
const REBASE: ReadonlyArray<{ table: string; set: string[]; where: string }> = [
  { table: 'incidents', set: ['opened_ms', 'acked_ms', 'next_due_ms', 'held_since_ms', 'steps_base_ms'], where: "state != 'resolved'" },
  { table: 'pages', set: ['created_ms', 'not_before_ms'], where: 'created_ms > @cutoff' },
  { table: 'outbox', set: ['created_ms', 'done_ms'], where: "state = 'pending' OR created_ms > @cutoff" },
  { table: 'silences', set: ['created_ms', 'expires_ms'], where: 'expires_ms > @cutoff' },
  { table: 'group_state', set: ['queued_ms'], where: 'queued_ms > @cutoff' },
  { table: 'alerts', set: ['first_seen_ms', 'updated_ms'], where: "status = 'firing'" },
  { table: 'probe_state', set: ['since_ms', 'last_ms'], where: '1 = 1' },
  { table: 'heartbeats', set: ['last_ms', 'failed_ms'], where: '1 = 1' },
];

const RECENT_MS = 2 * 24 * 60 * 60_000;

/** Moves live and recent stored times by `stepMs` (the wall clock's step), in one transaction. */
export function rebaseTimes(db: Db, stepMs: number, nowMs: number): number {
  const cutoff = nowMs - stepMs - RECENT_MS;
  return db.transaction(() => {
    let rows = 0;
    for (const r of REBASE) {
      const set = r.set.map((c) => `${c} = ${c} + @step`).join(', ');
      rows += db.prepare(`UPDATE ${r.table} SET ${set} WHERE ${r.where}`).run({ step: stepMs, cutoff }).changes;
    }
    return rows;
  })();
}
