import { randomInt } from 'node:crypto';
import type { Db } from './db.js';

/** The paging channels a page row can name (escalation/channels.ts describes each). */
export type PagingChannel = 'email' | 'sms' | 'voice';

/** Page steps that are notices (resolved, restored): sent at once, never bundled with or delaying pages. */
export const NOTICE_STEPS: ReadonlySet<string> = new Set(['resolved', 'restored', 'lowered']);

/** An incident: what escalation pages about, acknowledges and resolves. */
export interface Incident {
  id: number;
  kind: 'alert' | 'path';
  fingerprint: string | null;
  title: string;
  severity: string;
  labels: Record<string, string>;
  policy: string;
  state: 'open' | 'acked' | 'resolved';
  ackCode: string;
  openedMs: number;
  ackedMs: number | null;
  ackedBy: string | null;
  resolvedMs: number | null;
  nextStep: number;
  nextDueMs: number | null;
  /** Since when a silence or maintenance window holds it (no step runs, no page goes); null when not held. */
  heldSinceMs: number | null;
  /** Time held so far, released holds only: later steps are due this much later. */
  heldMs: number;
  /** When its policy's steps count from: its opening, or when a severity change moved it to another policy. */
  stepsBaseMs: number;
  /** Whether a severity change moved it to another policy than the one it opened with. */
  policyChanged: boolean;
  /** The group notification that opened it (Alertmanager's groupKey, a probe's name), if known. */
  groupKey: string | null;
}

/** A page waiting to be bundled and sent, or already given to the outbox. */
export interface PageRow {
  id: number;
  incidentId: number;
  step: string;
  channel: PagingChannel;
  person: string;
  createdMs: number;
  notBeforeMs: number;
  text: string;
  outboxId: number | null;
}

/**
 * What became of a page: waiting (bundling, quiet hours), queued in the outbox, sent, failed, or
 * unknown (its delivery record is older than store.retention and was removed).
 */
export type PageDeliveryState = 'waiting' | 'queued' | 'sent' | 'failed' | 'unknown';

/**
 * A page and its delivery, for the status page and API. "sent" means the provider accepted it
 * (the SMTP server, Twilio's API); whether it reached the phone is not known here.
 */
export interface PageDelivery {
  incidentId: number;
  /** The incident's ack code (what people see and type). */
  incidentCode: string;
  step: string;
  channel: PagingChannel;
  person: string;
  createdMs: number;
  notBeforeMs: number;
  state: PageDeliveryState;
  /** When it was sent or given up on. */
  doneMs: number | null;
  /** Failed attempts so far. */
  attempts: number;
  /** The last attempt's error, if any. */
  error: string | null;
  /** For a voice page: what Twilio last reported of the call and how it ended for escalation. */
  call: { status: string; outcome: 'acknowledged' | 'declined' | 'unanswered' | null } | null;
  /** For an SMS sent with receipts: Twilio's last MessageStatus and ErrorCode. */
  receipt: { status: string; errorCode: string | null } | null;
  /**
   * The outbox message that carried it (the summary it was folded into, if it was): pages bundled
   * into one message share it. Null while it waits.
   */
  message: number | null;
}

// Unambiguous characters for ack codes (no 0/O, 1/I/L): 31^4 = 923,521 codes.
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/**
 * Ack codes need only be unique among incidents people may still answer: open and acked ones,
 * and those resolved within this time (a late "ACK 7KQ2" then reads "already resolved" instead of
 * acknowledging a stranger). An older incident's code is retired ("7KQ2-1234", which nobody can
 * type) when a new incident draws it, so codes never run out however much history is kept.
 */
export const CODE_QUARANTINE_MS = 24 * 60 * 60_000;

function toIncident(r: Record<string, unknown>): Incident {
  return {
    id: Number(r['id']),
    kind: r['kind'] as Incident['kind'],
    fingerprint: (r['fingerprint'] as string | null) ?? null,
    title: String(r['title']),
    severity: String(r['severity']),
    labels: JSON.parse(String(r['labels'])) as Record<string, string>,
    policy: String(r['policy']),
    state: r['state'] as Incident['state'],
    ackCode: String(r['ack_code']),
    openedMs: Number(r['opened_ms']),
    ackedMs: r['acked_ms'] === null ? null : Number(r['acked_ms']),
    ackedBy: (r['acked_by'] as string | null) ?? null,
    resolvedMs: r['resolved_ms'] === null ? null : Number(r['resolved_ms']),
    nextStep: Number(r['next_step']),
    nextDueMs: r['next_due_ms'] === null ? null : Number(r['next_due_ms']),
    heldSinceMs: r['held_since_ms'] === null || r['held_since_ms'] === undefined ? null : Number(r['held_since_ms']),
    heldMs: Number(r['held_ms'] ?? 0),
    stepsBaseMs: r['steps_base_ms'] === null || r['steps_base_ms'] === undefined ? Number(r['opened_ms']) : Number(r['steps_base_ms']),
    policyChanged: r['steps_base_ms'] !== null && r['steps_base_ms'] !== undefined,
    groupKey: (r['group_key'] as string | null | undefined) ?? null,
  };
}

function toPage(r: Record<string, unknown>): PageRow {
  return {
    id: Number(r['id']),
    incidentId: Number(r['incident_id']),
    step: String(r['step']),
    channel: r['channel'] as PageRow['channel'],
    person: String(r['person']),
    createdMs: Number(r['created_ms']),
    notBeforeMs: Number(r['not_before_ms']),
    text: String(r['text']),
    outboxId: r['outbox_id'] === null ? null : Number(r['outbox_id']),
  };
}

/** Incidents and pages in the database. Every method is synchronous and safe inside a transaction. */
export class IncidentStore {
  private readonly liveStmt;
  private readonly codeHolder;
  private readonly liveAmong;
  private readonly retireCode;
  constructor(private readonly db: Db) {
    this.liveStmt = db.prepare("SELECT * FROM incidents WHERE kind = ? AND COALESCE(fingerprint, '') = COALESCE(?, '') AND state != 'resolved'");
    this.codeHolder = db.prepare<[string], { id: number; state: string; resolved_ms: number | null }>('SELECT id, state, resolved_ms FROM incidents WHERE ack_code = ?');
    this.liveAmong = db.prepare("SELECT * FROM incidents WHERE kind = 'alert' AND state != 'resolved' AND fingerprint IN (SELECT value FROM json_each(?))");
    this.retireCode = db.prepare("UPDATE incidents SET ack_code = ack_code || '-' || id WHERE id = ?");
  }

  /** Opens an incident unless one is already live for the same kind and fingerprint. */
  open(i: { kind: Incident['kind']; fingerprint: string | null; title: string; severity: string; labels: Record<string, string>; policy: string; nowMs: number; firstDueMs: number | null; groupKey?: string }): Incident | undefined {
    if (this.liveStmt.get(i.kind, i.fingerprint)) return undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      const code = Array.from({ length: 4 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
      const holder = this.codeHolder.get(code);
      if (holder) {
        const answerable = holder.state !== 'resolved' || (holder.resolved_ms ?? 0) > i.nowMs - CODE_QUARANTINE_MS;
        if (answerable) continue;
        this.retireCode.run(holder.id);
      }
      const id = Number(
        this.db
          .prepare("INSERT INTO incidents (kind, fingerprint, title, severity, labels, policy, state, ack_code, opened_ms, next_step, next_due_ms, group_key) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, 0, ?, ?)")
          .run(i.kind, i.fingerprint, i.title, i.severity, JSON.stringify(i.labels), i.policy, code, i.nowMs, i.firstDueMs, i.groupKey ?? null).lastInsertRowid,
      );
      return this.get(id);
    }
    throw new Error('could not find a free ack code: more than 900,000 incidents are open or resolved within 24 h');
  }

  get(id: number): Incident | undefined {
    const r = this.db.prepare('SELECT * FROM incidents WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return r ? toIncident(r) : undefined;
  }

  /** An incident by its ack code (case-insensitive). */
  byCode(code: string): Incident | undefined {
    const r = this.db.prepare('SELECT * FROM incidents WHERE ack_code = ?').get(code.toUpperCase()) as Record<string, unknown> | undefined;
    return r ? toIncident(r) : undefined;
  }

  /** The live (not resolved) incident of a kind and fingerprint. */
  live(kind: Incident['kind'], fingerprint: string | null): Incident | undefined {
    const r = this.liveStmt.get(kind, fingerprint) as Record<string, unknown> | undefined;
    return r ? toIncident(r) : undefined;
  }

  /**
   * Live alert incidents among `fingerprints`, by fingerprint: one query for a whole batch (a
   * webhook of 100,000 alerts must not cost 100,000 look-ups).
   */
  liveAlerts(fingerprints: readonly string[]): Map<string, Incident> {
    const out = new Map<string, Incident>();
    for (let i = 0; i < fingerprints.length; i += 50_000) {
      const rows = this.liveAmong.all(JSON.stringify(fingerprints.slice(i, i + 50_000))) as Record<string, unknown>[];
      for (const r of rows) out.set(String(r['fingerprint']), toIncident(r));
    }
    return out;
  }

  /** Incidents not resolved, newest first. */
  unresolved(limit = 1000): Incident[] {
    return (this.db.prepare("SELECT * FROM incidents WHERE state != 'resolved' ORDER BY opened_ms DESC LIMIT ?").all(limit) as Record<string, unknown>[]).map(toIncident);
  }

  /** Incidents resolved since `sinceMs`, the last resolved first, at most `limit` (index incidents_resolved). */
  resolvedSince(sinceMs: number, limit: number): Incident[] {
    return (this.db.prepare("SELECT * FROM incidents WHERE state = 'resolved' AND resolved_ms >= ? ORDER BY resolved_ms DESC LIMIT ?").all(sinceMs, limit) as Record<string, unknown>[]).map(toIncident);
  }

  /** Changes an incident's severity (its alert turned critical, or back), with the alert's new labels. */
  setSeverity(id: number, severity: string, labels: Record<string, string>): void {
    this.db.prepare('UPDATE incidents SET severity = ?, labels = ? WHERE id = ?').run(severity, JSON.stringify(labels), id);
  }

  /** Moves an incident to another policy whose steps count from `baseMs`, starting at `nextStep`. */
  switchPolicy(id: number, policy: string, baseMs: number, nextStep: number, nextDueMs: number | null): void {
    this.db.prepare('UPDATE incidents SET policy = ?, steps_base_ms = ?, held_ms = 0, next_step = ?, next_due_ms = ? WHERE id = ?').run(policy, baseMs, nextStep, nextDueMs, id);
  }

  /** How many incidents are open, and how many acknowledged. */
  countUnresolved(): { open: number; acked: number } {
    const r = this.db.prepare("SELECT COUNT(*) FILTER (WHERE state = 'open') AS open, COUNT(*) FILTER (WHERE state = 'acked') AS acked FROM incidents WHERE state != 'resolved'").get() as { open: number; acked: number };
    return { open: r.open, acked: r.acked };
  }

  /** Incidents whose next step is due (held ones wait for their release). */
  due(nowMs: number): Incident[] {
    return (this.db.prepare("SELECT * FROM incidents WHERE state != 'resolved' AND held_since_ms IS NULL AND next_due_ms IS NOT NULL AND next_due_ms <= ? ORDER BY next_due_ms").all(nowMs) as Record<string, unknown>[]).map(toIncident);
  }

  /** Earliest due time of any unresolved incident not held. */
  nextDue(): number | undefined {
    const r = this.db.prepare("SELECT MIN(next_due_ms) AS t FROM incidents WHERE state != 'resolved' AND held_since_ms IS NULL AND next_due_ms IS NOT NULL").get() as { t: number | null };
    return r.t ?? undefined;
  }

  /** Every unresolved alert incident, oldest first (to decide which a silence or window holds). */
  unresolvedAlerts(): Incident[] {
    return (this.db.prepare("SELECT * FROM incidents WHERE kind = 'alert' AND state != 'resolved' ORDER BY id").all() as Record<string, unknown>[]).map(toIncident);
  }

  /** Unresolved incidents opened by one group notification (its groupKey), oldest first. */
  unresolvedInGroup(groupKey: string): Incident[] {
    return (this.db.prepare("SELECT * FROM incidents WHERE group_key = ? AND state != 'resolved' ORDER BY id").all(groupKey) as Record<string, unknown>[]).map(toIncident);
  }

  /** Holds an incident from now: its steps and unsent pages wait. */
  hold(id: number, nowMs: number): void {
    this.db.prepare('UPDATE incidents SET held_since_ms = ? WHERE id = ? AND held_since_ms IS NULL').run(nowMs, id);
  }

  /**
   * Releases a held incident: its next step (or an acknowledgement's lapse) moves later by the
   * time it was held, so escalation resumes where it was held, with the same waits ahead of it.
   */
  release(id: number, nowMs: number): void {
    this.db
      .prepare(
        `UPDATE incidents SET next_due_ms = next_due_ms + MAX(0, @now - held_since_ms), held_ms = held_ms + MAX(0, @now - held_since_ms), held_since_ms = NULL
          WHERE id = @id AND held_since_ms IS NOT NULL`,
      )
      .run({ id, now: nowMs });
  }

  setSchedule(id: number, nextStep: number, nextDueMs: number | null): void {
    this.db.prepare('UPDATE incidents SET next_step = ?, next_due_ms = ? WHERE id = ?').run(nextStep, nextDueMs, id);
  }

  ack(id: number, by: string, nowMs: number, relapseMs: number | null): void {
    this.db.prepare("UPDATE incidents SET state = 'acked', acked_ms = ?, acked_by = ?, next_due_ms = ? WHERE id = ?").run(nowMs, by, relapseMs, id);
  }

  unack(id: number, nowMs: number): void {
    this.db.prepare("UPDATE incidents SET state = 'open', acked_ms = NULL, acked_by = NULL, next_due_ms = ? WHERE id = ?").run(nowMs, id);
  }

  /** Re-opens an incident whose acknowledgement lapsed. */
  relapse(id: number): void {
    this.db.prepare("UPDATE incidents SET state = 'open', acked_ms = NULL, acked_by = NULL WHERE id = ?").run(id);
  }

  resolve(id: number, nowMs: number): void {
    this.db.prepare("UPDATE incidents SET state = 'resolved', resolved_ms = ?, next_due_ms = NULL WHERE id = ?").run(nowMs, id);
  }

  /** Records a page; false when that (incident, step, channel, person) was already paged. */
  addPage(p: { incidentId: number; step: string; channel: PageRow['channel']; person: string; nowMs: number; notBeforeMs: number; text: string }): boolean {
    const r = this.db
      .prepare('INSERT OR IGNORE INTO pages (incident_id, step, channel, person, created_ms, not_before_ms, text) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(p.incidentId, p.step, p.channel, p.person, p.nowMs, p.notBeforeMs, p.text);
    return r.changes > 0;
  }

  /**
   * Pages with their delivery state, newest first: of the given incidents, or of all. A page
   * bundled into an outbox message follows that message (and the summary it was folded into).
   */
  pageLog(limit: number, incidentIds?: readonly number[]): PageDelivery[] {
    const rows = this.db
      .prepare(
        `SELECT p.incident_id, i.ack_code, p.step, p.channel, p.person, p.created_ms, p.not_before_ms, p.outbox_id,
                COALESCE(o.folded_into, o.id) AS message, o.state AS own_state, f.state AS summary_state, COALESCE(f.done_ms, o.done_ms) AS done_ms,
                COALESCE(f.attempts, o.attempts, 0) AS attempts, COALESCE(f.last_error, o.last_error) AS last_error,
                c.status AS call_status, c.outcome AS call_outcome,
                (SELECT s.status FROM sms_messages s WHERE s.outbox_id = p.outbox_id ORDER BY s.sent_ms DESC LIMIT 1) AS sms_status,
                (SELECT s.error_code FROM sms_messages s WHERE s.outbox_id = p.outbox_id ORDER BY s.sent_ms DESC LIMIT 1) AS sms_error
           FROM pages p JOIN incidents i ON i.id = p.incident_id LEFT JOIN outbox o ON o.id = p.outbox_id LEFT JOIN outbox f ON f.id = o.folded_into
                LEFT JOIN calls c ON c.outbox_id = p.outbox_id
          WHERE ? IS NULL OR p.incident_id IN (SELECT value FROM json_each(?))
          ORDER BY p.id DESC LIMIT ?`,
      )
      .all(incidentIds ? 1 : null, JSON.stringify(incidentIds ?? []), limit) as Array<Record<string, unknown>>;
    return rows.map((r) => {
      // A folded message's fate is its summary's; a summary already removed by retention is unknown.
      const st = r['own_state'] === 'folded' ? (r['summary_state'] as string | null) : (r['own_state'] as string | null);
      const state: PageDeliveryState = r['outbox_id'] === null ? 'waiting' : st === null ? 'unknown' : st === 'sent' ? 'sent' : st === 'failed' ? 'failed' : 'queued';
      return {
        incidentId: Number(r['incident_id']),
        incidentCode: String(r['ack_code']),
        step: String(r['step']),
        channel: r['channel'] as PagingChannel,
        person: String(r['person']),
        createdMs: Number(r['created_ms']),
        notBeforeMs: Number(r['not_before_ms']),
        state,
        doneMs: r['done_ms'] === null ? null : Number(r['done_ms']),
        attempts: Number(r['attempts']),
        error: (r['last_error'] as string | null) ?? null,
        receipt: r['sms_status'] === null || r['sms_status'] === undefined ? null : { status: String(r['sms_status']), errorCode: (r['sms_error'] as string | null) ?? null },
        call: r['call_status'] === null || r['call_status'] === undefined ? null : { status: String(r['call_status']), outcome: (r['call_outcome'] as NonNullable<PageDelivery['call']>['outcome']) ?? null },
        message: r['message'] === null || r['message'] === undefined ? null : Number(r['message']),
      };
    });
  }

  /** The pages one outbox message carried (a bundle). */
  pagesOfMessage(outboxId: number): PageRow[] {
    return (this.db.prepare('SELECT * FROM pages WHERE outbox_id = ? ORDER BY id').all(outboxId) as Record<string, unknown>[]).map(toPage);
  }

  /** Whether (incident, step, channel, person) was paged, with or without a ":…" suffix on the step. */
  pagedOn(incidentId: number, step: string, channel: PagingChannel, person: string): boolean {
    return this.db.prepare("SELECT 1 FROM pages WHERE incident_id = ? AND (step = ? OR step LIKE ? || ':%') AND channel = ? AND person = ? LIMIT 1").get(incidentId, step, step, channel, person) !== undefined;
  }

  /** Pages not yet given to the outbox, oldest first; a held incident's pages wait for its release. */
  unsentPages(): PageRow[] {
    return (this.db.prepare('SELECT p.* FROM pages p JOIN incidents i ON i.id = p.incident_id WHERE p.outbox_id IS NULL AND i.held_since_ms IS NULL ORDER BY p.id').all() as Record<string, unknown>[]).map(toPage);
  }

  markPagesSent(ids: readonly number[], outboxId: number): void {
    const st = this.db.prepare('UPDATE pages SET outbox_id = ? WHERE id = ?');
    for (const id of ids) st.run(outboxId, id);
  }

  /** Drops pages not yet sent for an incident (it was acknowledged or resolved meanwhile). */
  dropUnsent(incidentId: number, exceptSteps: readonly string[] = []): void {
    const rows = this.db.prepare('SELECT id, step FROM pages WHERE incident_id = ? AND outbox_id IS NULL').all(incidentId) as Array<{ id: number; step: string }>;
    const del = this.db.prepare('DELETE FROM pages WHERE id = ?');
    for (const r of rows) if (!exceptSteps.includes(r.step)) del.run(r.id);
  }

  /** (channel, person) pairs that were sent a page about an incident. */
  pagedRecipients(incidentId: number): Array<{ channel: PageRow['channel']; person: string }> {
    return this.db.prepare('SELECT DISTINCT channel, person FROM pages WHERE incident_id = ? AND outbox_id IS NOT NULL').all(incidentId) as Array<{ channel: PageRow['channel']; person: string }>;
  }

  /** When the last bundle of pages (notices not counted) went to (channel, person), from the outbox. */
  lastSentMs(channel: PageRow['channel'], person: string): number | undefined {
    const r = this.db
      .prepare(`SELECT MAX(o.created_ms) AS t FROM pages p JOIN outbox o ON o.id = p.outbox_id WHERE p.channel = ? AND p.person = ? AND p.step NOT IN (${[...NOTICE_STEPS].map(() => '?').join(', ')})`)
      .get(channel, person, ...NOTICE_STEPS) as { t: number | null };
    return r.t ?? undefined;
  }

  /** Pages given to the outbox on a channel and still waiting there (for failover). */
  stuckPages(channel: PageRow['channel']): PageRow[] {
    return (this.db.prepare("SELECT p.* FROM pages p JOIN outbox o ON o.id = p.outbox_id WHERE p.channel = ? AND o.state = 'pending'").all(channel) as Record<string, unknown>[]).map(toPage);
  }

  /** Outbox messages sent to a destination since a time (SMS budgets; survives restarts). */
  countSentSince(destination: string, sinceMs: number): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE destination = ? AND created_ms >= ? AND kind = 'page'").get(destination, sinceMs) as { n: number }).n;
  }

  /** The most recent incident paged to a person by SMS (for a bare "ACK" reply). */
  lastPagedBySms(person: string): Incident | undefined {
    const r = this.db
      .prepare("SELECT i.* FROM pages p JOIN incidents i ON i.id = p.incident_id WHERE p.channel = 'sms' AND p.person = ? AND p.outbox_id IS NOT NULL ORDER BY p.id DESC LIMIT 1")
      .get(person) as Record<string, unknown> | undefined;
    return r ? toIncident(r) : undefined;
  }
}
