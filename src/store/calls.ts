import type { Db } from './db.js';

/** How a call ended for escalation: key 1, key 2, or anything else (busy, no answer, hung up). */
export type CallOutcome = 'acknowledged' | 'declined' | 'unanswered';

/** A call Lifeline placed. */
export interface CallRow {
  outboxId: number;
  callSid: string | null;
  person: string;
  createdMs: number;
  /** What Twilio last reported (queued, ringing, in-progress, completed, busy, no-answer, failed, canceled). */
  status: string;
  digits: string | null;
  outcome: CallOutcome | null;
  endedMs: number | null;
}

function toCall(r: Record<string, unknown>): CallRow {
  return {
    outboxId: Number(r['outbox_id']),
    callSid: (r['call_sid'] as string | null) ?? null,
    person: String(r['person']),
    createdMs: Number(r['created_ms']),
    status: String(r['status']),
    digits: (r['digits'] as string | null) ?? null,
    outcome: (r['outcome'] as CallOutcome | null) ?? null,
    endedMs: r['ended_ms'] === null ? null : Number(r['ended_ms']),
  };
}

/** Calls placed, keyed by the outbox message that asked for them (the id in Twilio's callback URLs). */
export class CallStore {
  constructor(private readonly db: Db) {}

  /** Records a call Twilio accepted. */
  placed(outboxId: number, callSid: string, person: string, nowMs: number): void {
    this.db.prepare('INSERT OR REPLACE INTO calls (outbox_id, call_sid, person, created_ms) VALUES (?, ?, ?, ?)').run(outboxId, callSid, person, nowMs);
  }

  get(outboxId: number): CallRow | undefined {
    const r = this.db.prepare('SELECT * FROM calls WHERE outbox_id = ?').get(outboxId) as Record<string, unknown> | undefined;
    return r ? toCall(r) : undefined;
  }

  /**
   * Acts on the key press `digits` of gather `gather` of call `callSid` once: the first time, runs
   * `act` in the same transaction as recording it (so a failed action can be retried) and returns
   * its result; every later press for that gather (a replay: Twilio's signature carries no
   * timestamp) returns the digits handled before and changes nothing.
   */
  keyOnce<T>(callSid: string, gather: string, digits: string, nowMs: number, act: () => T): { first: true; result: T } | { first: false; handledDigits: string } {
    return this.db.transaction(() => {
      const claimed = this.db.prepare('INSERT INTO voice_keys (call_sid, gather, digits, handled_ms) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(callSid, gather, digits, nowMs).changes > 0;
      if (!claimed) {
        const r = this.db.prepare('SELECT digits FROM voice_keys WHERE call_sid = ? AND gather = ?').get(callSid, gather) as { digits: string };
        return { first: false as const, handledDigits: r.digits };
      }
      return { first: true as const, result: act() };
    })();
  }

  /** Records a key press; the first decisive one (1 or 2) sets the outcome. */
  pressed(outboxId: number, digits: string, outcome: CallOutcome | null): void {
    this.db.prepare('UPDATE calls SET digits = ?, outcome = COALESCE(outcome, ?) WHERE outbox_id = ?').run(digits, outcome, outboxId);
  }

  /**
   * Records the call's end; returns the row as it was before (undefined when the call is unknown
   * or had already ended: Twilio may post the same callback twice).
   */
  ended(outboxId: number, status: string, nowMs: number): CallRow | undefined {
    return this.db.transaction(() => {
      const before = this.get(outboxId);
      if (!before || before.endedMs !== null) return undefined;
      this.db.prepare("UPDATE calls SET status = ?, ended_ms = ?, outcome = COALESCE(outcome, 'unanswered') WHERE outbox_id = ?").run(status, nowMs, outboxId);
      return before;
    })();
  }

  /** Records a status that does not end the call (ringing, in-progress). */
  progressed(outboxId: number, status: string): void {
    this.db.prepare('UPDATE calls SET status = ? WHERE outbox_id = ? AND ended_ms IS NULL').run(status, outboxId);
  }

  /** Calls placed since `sinceMs`, by how they ended (still running: neither). */
  summarySince(sinceMs: number): { placed: number; acknowledged: number; declined: number; unanswered: number } {
    const r = this.db
      .prepare(
        `SELECT COUNT(*) AS placed, COUNT(*) FILTER (WHERE outcome = 'acknowledged') AS acknowledged,
                COUNT(*) FILTER (WHERE outcome = 'declined') AS declined, COUNT(*) FILTER (WHERE outcome = 'unanswered') AS unanswered
           FROM calls WHERE created_ms >= ?`,
      )
      .get(sinceMs) as { placed: number; acknowledged: number; declined: number; unanswered: number };
    return { ...r };
  }

  /** The incidents a call was about (its pages). */
  incidentIds(outboxId: number): number[] {
    return (this.db.prepare('SELECT DISTINCT incident_id FROM pages WHERE outbox_id = ?').all(outboxId) as Array<{ incident_id: number }>).map((r) => r.incident_id);
  }
}
