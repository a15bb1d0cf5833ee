import type { Db } from './db.js';

/** An SMS Lifeline sent with a delivery-receipt callback. */
export interface SmsMessageRow {
  messageSid: string;
  outboxId: number;
  person: string;
  sentMs: number;
  /** Twilio's last MessageStatus: queued, sending, sent, delivered, undelivered, failed. */
  status: string;
  errorCode: string | null;
  settled: 'delivered' | 'rerouted' | null;
}

function toRow(r: Record<string, unknown>): SmsMessageRow {
  return {
    messageSid: String(r['message_sid']),
    outboxId: Number(r['outbox_id']),
    person: String(r['person']),
    sentMs: Number(r['sent_ms']),
    status: String(r['status']),
    errorCode: (r['error_code'] as string | null) ?? null,
    settled: (r['settled'] as SmsMessageRow['settled']) ?? null,
  };
}

/** Statuses after which an SMS will not reach the phone. */
export const SMS_FAILED: ReadonlySet<string> = new Set(['undelivered', 'failed']);

/** The delivery log of SMS sent with receipts (sms.status_url). */
export class SmsMessageStore {
  constructor(private readonly db: Db) {}

  /** Records an SMS Twilio accepted. */
  sent(outboxId: number, messageSid: string, person: string, nowMs: number): void {
    this.db.prepare('INSERT OR IGNORE INTO sms_messages (message_sid, outbox_id, person, sent_ms, updated_ms) VALUES (?, ?, ?, ?, ?)').run(messageSid, outboxId, person, nowMs, nowMs);
  }

  get(messageSid: string): SmsMessageRow | undefined {
    const r = this.db.prepare('SELECT * FROM sms_messages WHERE message_sid = ?').get(messageSid) as Record<string, unknown> | undefined;
    return r ? toRow(r) : undefined;
  }

  /**
   * Records a receipt. Returns what it settles now: "delivered", "failed" (undelivered or failed:
   * the caller moves the page on), or undefined (in progress, an unknown message, or already
   * settled: Twilio may post late or twice, and statuses can arrive out of order).
   */
  receipt(messageSid: string, status: string, errorCode: string | null, nowMs: number): { row: SmsMessageRow; settles: 'delivered' | 'failed' | undefined } | undefined {
    return this.db.transaction(() => {
      const row = this.get(messageSid);
      if (!row) return undefined;
      // A delivered message stays delivered (statuses may arrive out of order, "sent" after "delivered").
      if (row.settled === 'delivered') return { row, settles: undefined };
      const verdict: 'delivered' | 'failed' | undefined = status === 'delivered' ? 'delivered' : SMS_FAILED.has(status) ? 'failed' : undefined;
      // Once moved on, only the record changes: the page already went another way. A late
      // "delivered" still counts for the channel's health.
      const settles = row.settled === 'rerouted' ? (verdict === 'delivered' ? 'delivered' : undefined) : verdict;
      const settled = verdict === 'delivered' ? 'delivered' : verdict === 'failed' ? 'rerouted' : row.settled;
      this.db.prepare('UPDATE sms_messages SET status = ?, error_code = COALESCE(?, error_code), updated_ms = ?, settled = ? WHERE message_sid = ?').run(status, errorCode, nowMs, settled, messageSid);
      return { row, settles };
    })();
  }

  /** Unsettled messages sent at or before `cutoffMs` (no receipt in time), oldest first. */
  overdue(cutoffMs: number, limit = 500): SmsMessageRow[] {
    return (this.db.prepare('SELECT * FROM sms_messages WHERE settled IS NULL AND sent_ms <= ? ORDER BY sent_ms LIMIT ?').all(cutoffMs, limit) as Record<string, unknown>[]).map(toRow);
  }

  /** Marks a message moved on (no receipt in time). False when it had been settled meanwhile. */
  rerouted(messageSid: string, nowMs: number): boolean {
    return this.db.prepare("UPDATE sms_messages SET settled = 'rerouted', updated_ms = ? WHERE message_sid = ? AND settled IS NULL").run(nowMs, messageSid).changes > 0;
  }

  /** When the oldest unsettled message was sent. */
  oldestUnsettled(): number | undefined {
    const r = this.db.prepare('SELECT MIN(sent_ms) AS t FROM sms_messages WHERE settled IS NULL').get() as { t: number | null };
    return r.t ?? undefined;
  }
}
