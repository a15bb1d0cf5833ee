import { fold } from '../alerts/digest.js';
import type { NoticeTag, OutboxMessage } from '../alerts/messages.js';
import type { Db } from './db.js';

/** A row of the outbox. */
export interface OutboxEntry {
  id: number;
  destination: string;
  createdMs: number;
  message: OutboxMessage;
  /** Wire lines, fixed at the first delivery attempt so a resumed delivery continues the same text. */
  lines: string[] | null;
  linesSent: number;
}

interface Row {
  id: number;
  destination: string;
  created_ms: number;
  payload: string;
  lines: string | null;
  lines_sent: number;
}

/**
 * The durable outbox: messages per destination ("irc:#alerts", "console"), kept on disk until
 * delivered. Delivery is resumable line by line. Bounded per destination: past `maxPending`
 * entries, the oldest pending ones are folded into one summary (coalesced by fingerprint).
 */
export class Outbox {
  private readonly insert;
  private readonly pendingStmt;
  private readonly countPending;
  private readonly countAll;
  private readonly setLines;
  private readonly progress;
  private readonly done;
  private readonly markFolded;
  private readonly failed;
  private readonly covered;
  private readonly attempt;
  private readonly byId;
  private readonly destinations;
  private readonly noticeSince;
  private readonly requeueStmt;

  constructor(
    private readonly db: Db,
    private readonly maxPending: number,
  ) {
    this.insert = db.prepare('INSERT INTO outbox (destination, kind, group_key, payload, created_ms) VALUES (?, ?, ?, ?, ?)');
    this.pendingStmt = db.prepare<[string, number], Row>(
      "SELECT id, destination, created_ms, payload, lines, lines_sent FROM outbox WHERE destination = ? AND state = 'pending' ORDER BY id LIMIT ?",
    );
    this.countPending = db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE destination = ? AND state = 'pending'");
    this.countAll = db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'");
    this.setLines = db.prepare('UPDATE outbox SET lines = ? WHERE id = ?');
    this.progress = db.prepare('UPDATE outbox SET lines_sent = ? WHERE id = ?');
    this.done = db.prepare("UPDATE outbox SET state = 'sent', done_ms = ?, lines_sent = COALESCE(json_array_length(lines), lines_sent) WHERE id = ?");
    this.requeueStmt = db.prepare("UPDATE outbox SET state = 'pending', done_ms = NULL, lines = NULL, lines_sent = 0 WHERE id = ? AND state = 'sent'");
    this.failed = db.prepare("UPDATE outbox SET state = 'failed', done_ms = ? WHERE id = ?");
    this.covered = db.prepare("UPDATE outbox SET state = 'folded', done_ms = ?, folded_into = NULL WHERE id = ? AND state = 'pending' AND lines_sent = 0");
    this.attempt = db.prepare('UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?');
    this.markFolded = db.prepare("UPDATE outbox SET state = 'folded', done_ms = ?, folded_into = ? WHERE id = ?");
    this.byId = db.prepare<[number], Row & { state: string }>('SELECT id, destination, created_ms, payload, lines, lines_sent, state FROM outbox WHERE id = ?');
    this.noticeSince = db.prepare<[string, number, string], { id: number }>(
      "SELECT id FROM outbox WHERE destination = ? AND kind = 'text' AND created_ms >= ? AND json_extract(payload, '$.tag') = ? LIMIT 1",
    );
    this.destinations = db.prepare<[], { destination: string }>("SELECT DISTINCT destination FROM outbox WHERE state = 'pending'");
  }

  /** Queues a message. Call inside the ingest transaction. Folds the oldest entries when over the bound. */
  enqueue(destination: string, message: OutboxMessage, now: number): number {
    const groupKey = message.kind === 'group' ? message.groupKey : null;
    const id = Number(this.insert.run(destination, message.kind, groupKey, JSON.stringify(message), now).lastInsertRowid);
    const n = this.countPending.get(destination)?.n ?? 0;
    if (n > this.maxPending) {
      // Fold the older half, keeping the newest messages individually; entries already being
      // delivered (lines_sent > 0) are left alone so a delivery in progress is never cut.
      // Pages and notices are never folded: only alert groups (and earlier summaries) can be.
      const victims = this.pending(destination, Math.ceil(n / 2)).filter((e) => e.linesSent === 0 && e.id !== id && (e.message.kind === 'group' || e.message.kind === 'summary'));
      if (victims.length > 1) this.foldEntries(destination, victims, now);
    }
    return id;
  }

  /** Pending entries of a destination, oldest first. */
  pending(destination: string, limit = 1_000_000): OutboxEntry[] {
    return this.pendingStmt.all(destination, limit).map(toEntry);
  }

  /** Number of pending entries, for one destination or all. */
  pendingCount(destination?: string): number {
    return destination === undefined ? this.countAll.get()?.n ?? 0 : this.countPending.get(destination)?.n ?? 0;
  }

  /** Whether a notice with `tag` was queued for a destination since `sinceMs`. */
  hasNoticeSince(destination: string, tag: NoticeTag, sinceMs: number): boolean {
    return this.noticeSince.get(destination, sinceMs, tag) !== undefined;
  }

  /** Destinations with pending entries. */
  pendingDestinations(): string[] {
    return this.destinations.all().map((r) => r.destination);
  }

  /** Fixes the wire lines of an entry before its first line goes out. */
  fixLines(id: number, lines: readonly string[]): void {
    this.setLines.run(JSON.stringify(lines), id);
  }

  /** Records that the first `linesSent` lines of an entry are on the wire. */
  recordProgress(id: number, linesSent: number): void {
    this.progress.run(linesSent, id);
  }

  /** Marks an entry delivered. */
  markSent(id: number, now: number): void {
    this.done.run(now, id);
  }

  /**
   * Puts sent entries back to pending, to be rendered and sent again from their first line.
   * Returns how many were requeued (entries already folded or failed stay as they are).
   */
  requeue(ids: readonly number[]): number {
    return this.db.transaction(() => ids.reduce((n, id) => n + this.requeueStmt.run(id).changes, 0))();
  }

  /** Records a failed attempt and its error, for the delivery log. */
  recordFailure(id: number, error: string): void {
    this.attempt.run(error.slice(0, 500), id);
  }

  /** Marks an entry given up (a failure that retrying cannot fix). */
  markFailed(id: number, now: number): void {
    this.failed.run(now, id);
  }

  /**
   * Takes a pending entry out of the queue without sending it: another instance posted it (a
   * standby's held IRC line, src/cluster/ircStandby.ts). Stored as folded with no entry folded
   * into: never counted as sent by this instance. False when it was no longer pending.
   */
  markCovered(id: number, now: number): boolean {
    return this.covered.run(now, id).changes === 1;
  }

  /** One entry by id (any state), for tests and diagnostics. */
  get(id: number): (OutboxEntry & { state: string }) | undefined {
    const r = this.byId.get(id);
    return r ? { ...toEntry(r), state: r.state } : undefined;
  }

  /**
   * Replaces `entries` by one pending summary entry, atomically, and returns it. The summary keeps
   * the position of the oldest folded entry's creation time.
   */
  foldEntries(destination: string, entries: readonly OutboxEntry[], now: number): OutboxEntry {
    return this.db.transaction(() => {
      const summary = fold(entries.map((e) => ({ createdMs: e.createdMs, message: e.message })));
      const createdMs = entries.length > 0 ? summary.sinceMs : now;
      const id = Number(this.insert.run(destination, 'summary', null, JSON.stringify(summary), createdMs).lastInsertRowid);
      for (const e of entries) this.markFolded.run(now, id, e.id);
      return { id, destination, createdMs, message: summary, lines: null, linesSent: 0 };
    })();
  }
}

function toEntry(r: Row): OutboxEntry {
  return {
    id: r.id,
    destination: r.destination,
    createdMs: r.created_ms,
    message: JSON.parse(r.payload) as OutboxMessage,
    lines: r.lines === null ? null : (JSON.parse(r.lines) as string[]),
    linesSent: r.lines_sent,
  };
}
