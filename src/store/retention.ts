import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Db } from './db.js';

/**
 * What history is deleted once older than `store.retention`, and by which column. Open incidents,
 * pending notifications, firing alerts and active silences are never touched: every rule names a
 * finished state. Pages go with their incident (pages reference incidents).
 */
const RULES: ReadonlyArray<{ table: string; where: string }> = [
  { table: 'pages', where: "incident_id IN (SELECT id FROM incidents WHERE state = 'resolved' AND resolved_ms < @cutoff)" },
  { table: 'incident_code_aliases', where: "incident_id IN (SELECT id FROM incidents WHERE state = 'resolved' AND resolved_ms < @cutoff)" },
  // An episode's acks and unacks go together, once its newest is past the cutoff: pruning by row
  // could keep an older ack while dropping the later unack that undid it.
  { table: 'episode_actions', where: 'episode IN (SELECT episode FROM episode_actions GROUP BY episode HAVING MAX(at_ms) < @cutoff)' },
  { table: 'incidents', where: "state = 'resolved' AND resolved_ms < @cutoff AND id NOT IN (SELECT incident_id FROM pages)" },
  { table: 'outbox', where: "state != 'pending' AND done_ms < @cutoff" },
  { table: 'alerts', where: "status = 'resolved' AND updated_ms < @cutoff" },
  { table: 'alert_events', where: 'at_ms < @cutoff' },
  { table: 'receipts', where: 'received_ms < @cutoff' },
  { table: 'silences', where: 'expires_ms < @cutoff' },
  { table: 'calls', where: 'ended_ms < @cutoff' },
  // A handled key press is kept as long as its call (a replay of a deleted call gets 404 anyway).
  { table: 'voice_keys', where: 'handled_ms < @cutoff AND call_sid NOT IN (SELECT call_sid FROM calls WHERE call_sid IS NOT NULL)' },
  { table: 'sms_messages', where: 'settled IS NOT NULL AND updated_ms < @cutoff' },
];

/** Rows deleted per transaction: small, so the webhook's writes never wait long for the lock. */
const BATCH = 2_000;
/** Batches per run; what is left waits for the next run (a first run on a huge store is spread out). */
const MAX_BATCHES = 500;

/** Deletes history older than the retention time, in small batches that yield to other work. */
export class Retention {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = RULES.map((r) => ({ table: r.table, stmt: db.prepare(`DELETE FROM ${r.table} WHERE rowid IN (SELECT rowid FROM ${r.table} WHERE ${r.where} LIMIT ${BATCH})`) }));
  }

  /** One run: deletes what is older than `cutoffMs`, yielding between batches. Returns rows deleted per table. */
  async prune(cutoffMs: number, yieldNow: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    let batches = 0;
    for (const { table, stmt } of this.stmts) {
      deleted[table] = 0;
      for (;;) {
        if (batches++ >= MAX_BATCHES) return deleted;
        const n = this.db.transaction(() => stmt.run({ cutoff: cutoffMs }).changes)();
        deleted[table] += n;
        if (n < BATCH) break;
        await yieldNow();
      }
    }
    return deleted;
  }
}

/** How often history is pruned, and how soon after start the first time. */
const EVERY_MS = 60 * 60_000;
const FIRST_AFTER_MS = 60_000;

/**
 * Prunes history hourly (first a minute after start). Returns a stop function that waits for a
 * run in progress, so the database is never closed under it.
 */
export function scheduleRetention(d: { db: Db; clock: Clock; log: Logger; retentionMs: number }): () => Promise<void> {
  const retention = new Retention(d.db);
  let timer: TimerHandle | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = (): void => {
    running = (async () => {
      try {
        const deleted = await retention.prune(d.clock.now() - d.retentionMs);
        const total = Object.values(deleted).reduce((a, b) => a + b, 0);
        if (total > 0) d.log.info({ event: 'retention_pruned', ...deleted }, `deleted ${total} history row(s) older than store.retention`);
      } catch (err) {
        d.log.error({ event: 'retention_failed', err: describeError(err) }, 'pruning old history failed; will try again in an hour');
      }
    })();
    void running.finally(() => {
      running = undefined;
      if (!stopped) timer = d.clock.setTimeout(run, EVERY_MS);
    });
  };
  timer = d.clock.setTimeout(run, FIRST_AFTER_MS);
  return async () => {
    stopped = true;
    d.clock.clearTimeout(timer);
    await running;
  };
}
