import type { Db } from './db.js';

/** One decision waiting to be published to this instance's stream. */
export interface ClusterOutboxRow {
  id: number;
  msgId: string;
  subject: string;
  payload: string;
  createdMs: number;
}

/**
 * The cluster's two tables (migration 15): the outbox of what this instance tells its peers, and
 * the peer messages already applied (de-duplication by Nats-Msg-Id).
 */
export class ClusterStore {
  /** Statements prepared once: the claim path runs them for every page. */
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      enqueue: db.prepare<[string, string, string, number]>('INSERT INTO cluster_outbox (msg_id, subject, payload, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT (msg_id) DO NOTHING'),
      pending: db.prepare<[number], ClusterOutboxRow>('SELECT id, msg_id AS msgId, subject, payload, created_ms AS createdMs FROM cluster_outbox WHERE published_ms IS NULL ORDER BY id LIMIT ?'),
      markPublished: db.prepare<[number, number]>('UPDATE cluster_outbox SET published_ms = ? WHERE id = ?'),
    };
  }

  /**
   * Queues a message. Call it inside the transaction that records the decision, so both hold or
   * neither. Returns false when a message with this id is already queued (a retried decision).
   */
  enqueue(msgId: string, subject: string, payload: string, nowMs: number): boolean {
    return this.q.enqueue.run(msgId, subject, payload, nowMs).changes === 1;
  }

  /** The oldest unpublished messages, in the order they were queued. */
  pending(limit: number): ClusterOutboxRow[] {
    return this.q.pending.all(limit);
  }

  /** The payload of the newest message queued (published or not), if any. */
  newestPayload(): string | undefined {
    return (this.db.prepare('SELECT payload FROM cluster_outbox ORDER BY id DESC LIMIT 1').get() as { payload: string } | undefined)?.payload;
  }

  /** Unpublished messages. */
  pendingCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM cluster_outbox WHERE published_ms IS NULL').get() as { n: number }).n;
  }

  /** Marks a message published (its PubAck came back). */
  markPublished(id: number, nowMs: number): void {
    this.q.markPublished.run(nowMs, id);
  }


  /**
   * Runs `apply` for a peer message unless one with this id was applied before, in one
   * transaction with the record of it: if `apply` throws, neither holds and the redelivery applies
   * it. Returns whether it was applied now.
   */
  applyOnce(msgId: string, peer: string, seq: number, nowMs: number, apply: () => void): boolean {
    return this.db.transaction(() => {
      const r = this.db.prepare('INSERT INTO cluster_seen (msg_id, peer, seq, applied_ms) VALUES (?, ?, ?, ?) ON CONFLICT (msg_id) DO NOTHING').run(msgId, peer, seq, nowMs);
      if (r.changes === 0) return false;
      apply();
      return true;
    })();
  }

  /** The highest stream sequence applied from a peer (0: none). */
  appliedSeq(peer: string): number {
    return (this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM cluster_seen WHERE peer = ?').get(peer) as { s: number }).s;
  }

  /** Deletes published outbox rows and applied-message records older than `beforeMs`, at most `limit` of each. */
  prune(beforeMs: number, limit = 1000): number {
    const a = this.db.prepare('DELETE FROM cluster_outbox WHERE id IN (SELECT id FROM cluster_outbox WHERE published_ms IS NOT NULL AND published_ms < ? LIMIT ?)').run(beforeMs, limit);
    const b = this.db.prepare('DELETE FROM cluster_seen WHERE msg_id IN (SELECT msg_id FROM cluster_seen WHERE applied_ms < ? LIMIT ?)').run(beforeMs, limit);
    return a.changes + b.changes;
  }
}

/** One instance's claim on a step of an incident. */
export interface ClaimRow {
  readonly instance: string;
  readonly leaseUntilMs: number;
  readonly sentMs: number | undefined;
}

/** The cluster_claims table (migration 15): claims and sends of every instance, by (incident, step). */
export class ClaimStore {
  /** Statements prepared once: every page of a shared episode reads and writes claims. */
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      claims: db.prepare<[string, string], { instance: string; leaseUntilMs: number; sentMs: number | null }>('SELECT instance, lease_until_ms AS leaseUntilMs, sent_ms AS sentMs FROM cluster_claims WHERE incident = ? AND step = ?'),
      putClaim: db.prepare<[string, string, string, number]>(
        'INSERT INTO cluster_claims (incident, step, instance, lease_until_ms) VALUES (?, ?, ?, ?) ON CONFLICT (incident, step, instance) DO UPDATE SET lease_until_ms = MAX(lease_until_ms, excluded.lease_until_ms)',
      ),
      putSent: db.prepare<[string, string, string, number, number]>(
        'INSERT INTO cluster_claims (incident, step, instance, lease_until_ms, sent_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (incident, step, instance) DO UPDATE SET sent_ms = COALESCE(sent_ms, excluded.sent_ms)',
      ),
    };
  }

  /** Every instance's claim on a step. */
  claims(incident: string, step: string): ClaimRow[] {
    return this.q.claims.all(incident, step).map((r) => ({ instance: r.instance, leaseUntilMs: r.leaseUntilMs, sentMs: r.sentMs ?? undefined }));
  }

  /** Records (or renews) a claim; a later lease wins, a sent mark stays. */
  putClaim(incident: string, step: string, instance: string, leaseUntilMs: number): void {
    this.q.putClaim.run(incident, step, instance, leaseUntilMs);
  }

  /** Records that `instance` sent the step (a send needs no claim first: a peer's sent may arrive alone). */
  putSent(incident: string, step: string, instance: string, sentMs: number): void {
    this.q.putSent.run(incident, step, instance, sentMs, sentMs);
  }

  /** Whether any instance claimed or sent any page of an incident (an episode). */
  any(incident: string): boolean {
    return this.db.prepare('SELECT 1 FROM cluster_claims WHERE incident = ? LIMIT 1').get(incident) !== undefined;
  }

  /** Deletes claims whose lease ended before `beforeMs`, at most `limit`. */
  prune(beforeMs: number, limit = 1000): number {
    return this.db.prepare('DELETE FROM cluster_claims WHERE rowid IN (SELECT rowid FROM cluster_claims WHERE lease_until_ms < ? LIMIT ?)').run(beforeMs, limit).changes;
  }
}
