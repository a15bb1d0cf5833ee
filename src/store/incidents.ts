import { createHash, randomInt } from 'node:crypto';
import { NOTICE_KINDS, stepText, type PageHead, type PageReason, type PagingChannelKind } from '../alerts/pages.js';
import type { Db } from './db.js';
import { headColumns, reasonColumn, reasonColumns, reasonOf, type ReasonColumns } from './pageReasons.js';

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
  /**
   * Its episode, the same text on every Lifeline instance for the same event (escalation/episode.ts);
   * null when only this instance knows the event (its own probes, the IRC path).
   */
  episode: string | null;
  /** Its alert's startsAt as the source gave it, if known. */
  startsAt: string | null;
}

/** A page waiting to be bundled and sent, or already given to the outbox. */
export interface PageRow {
  id: number;
  incidentId: number;
  reason: PageReason;
  channel: PagingChannelKind;
  person: string;
  createdMs: number;
  notBeforeMs: number;
  text: string;
  outboxId: number | null;
  /** Its incident's episode (shared with cluster peers), where read; absent when local. */
  episode?: string;
}

/**
 * What became of a page: waiting (bundling, quiet hours), queued in the outbox, sent, failed, or
 * unknown (its delivery record is older than store.retention and was removed), or sent by a peer
 * instance of the cluster instead of this one (`PageDelivery.sentBy` names it).
 */
export type PageDeliveryState = 'waiting' | 'queued' | 'sent' | 'failed' | 'unknown' | 'peer';

/**
 * A page and its delivery, for the status page and API. "sent" means the provider accepted it
 * (the SMTP server, Twilio's API); whether it reached the phone is not known here.
 */
export interface PageDelivery {
  incidentId: number;
  /** The incident's ack code (what people see and type). */
  incidentCode: string;
  reason: PageReason;
  /** The reason as one short text ("0", "0:undelivered", "oob"): the status API's field, for reading. */
  step: string;
  channel: PagingChannelKind;
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
  /** The peer instance that sent this page, when this instance did not (state 'peer'). */
  sentBy?: string;
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

/**
 * The `n`th candidate ack code of an episode: a hash of the episode text read as a 4-digit number
 * in the code alphabet, so every instance of a cluster gives the same event the same code (a page
 * sent by one instance can be answered at another). n > 0 only after a local collision.
 */
export function episodeCode(episode: string, n: number): string {
  let v = createHash('sha256').update(`${episode}#${n}`).digest().readUInt32BE(0) % CODE_ALPHABET.length ** 4;
  let code = '';
  for (let i = 0; i < 4; i++, v = Math.floor(v / CODE_ALPHABET.length)) code += CODE_ALPHABET[v % CODE_ALPHABET.length];
  return code;
}


/** An incidents row as SQLite returns it (the CHECK constraints hold kind and state to these). */
interface IncidentRecord {
  id: number;
  kind: Incident['kind'];
  fingerprint: string | null;
  title: string;
  severity: string;
  labels: string;
  policy: string;
  state: Incident['state'];
  ack_code: string;
  opened_ms: number;
  acked_ms: number | null;
  acked_by: string | null;
  resolved_ms: number | null;
  next_step: number;
  next_due_ms: number | null;
  held_since_ms: number | null;
  held_ms: number;
  steps_base_ms: number | null;
  group_key: string | null;
  episode: string | null;
  starts_at: string | null;
}

/** A pages row as SQLite returns it. */
interface PageRecord extends ReasonColumns {
  id: number;
  incident_id: number;
  channel: PagingChannelKind;
  person: string;
  created_ms: number;
  not_before_ms: number;
  text: string;
  outbox_id: number | null;
  /** From the incident, where the query joins it. */
  episode?: string | null;
}

/** A page log row: the page, its incident's code, and what became of the message that carried it. */
interface PageLogRecord extends ReasonColumns {
  incident_id: number;
  ack_code: string;
  channel: PagingChannelKind;
  person: string;
  created_ms: number;
  not_before_ms: number;
  outbox_id: number | null;
  message: number | null;
  sent_by_peer: string | null;
  own_state: 'pending' | 'sent' | 'folded' | 'failed' | null;
  summary_state: 'pending' | 'sent' | 'folded' | 'failed' | null;
  done_ms: number | null;
  attempts: number;
  last_error: string | null;
  call_status: string | null;
  call_outcome: NonNullable<PageDelivery['call']>['outcome'];
  sms_status: string | null;
  sms_error: string | null;
}

/** An incident's labels, stored as the JSON object of a LabelSet. */
function parseLabels(json: string): Record<string, string> {
  const labels: Record<string, string> = JSON.parse(json);
  return labels;
}

function toIncident(r: IncidentRecord): Incident {
  return {
    id: r.id,
    kind: r.kind,
    fingerprint: r.fingerprint,
    title: r.title,
    severity: r.severity,
    labels: parseLabels(r.labels),
    policy: r.policy,
    state: r.state,
    ackCode: r.ack_code,
    openedMs: r.opened_ms,
    ackedMs: r.acked_ms,
    ackedBy: r.acked_by,
    resolvedMs: r.resolved_ms,
    nextStep: r.next_step,
    nextDueMs: r.next_due_ms,
    heldSinceMs: r.held_since_ms,
    heldMs: r.held_ms,
    stepsBaseMs: r.steps_base_ms ?? r.opened_ms,
    policyChanged: r.steps_base_ms !== null,
    groupKey: r.group_key,
    episode: r.episode,
    startsAt: r.starts_at,
  };
}

function toPage(r: PageRecord): PageRow {
  return {
    id: r.id,
    incidentId: r.incident_id,
    reason: reasonOf(r),
    channel: r.channel,
    person: r.person,
    createdMs: r.created_ms,
    notBeforeMs: r.not_before_ms,
    text: r.text,
    outboxId: r.outbox_id,
    ...(r.episode != null ? { episode: r.episode } : {}),
  };
}

function toDelivery(r: PageLogRecord): PageDelivery {
  // A folded message's fate is its summary's; a summary already removed by retention is unknown.
  const st = r.own_state === 'folded' ? r.summary_state : r.own_state;
  const state: PageDeliveryState = r.sent_by_peer !== null ? 'peer' : r.outbox_id === null ? 'waiting' : st === null ? 'unknown' : st === 'sent' ? 'sent' : st === 'failed' ? 'failed' : 'queued';
  const reason = reasonOf(r);
  return {
    incidentId: r.incident_id,
    incidentCode: r.ack_code,
    reason,
    step: stepText(reason),
    channel: r.channel,
    person: r.person,
    createdMs: r.created_ms,
    notBeforeMs: r.not_before_ms,
    state,
    doneMs: r.done_ms,
    attempts: r.attempts,
    error: r.last_error,
    ...(r.sent_by_peer !== null ? { sentBy: r.sent_by_peer } : {}),
    receipt: r.sms_status === null ? null : { status: r.sms_status, errorCode: r.sms_error },
    call: r.call_status === null ? null : { status: r.call_status, outcome: r.call_outcome },
    message: r.message,
  };
}

/** SQL true for a page that is a notice (see isNotice: a notice sent again another way is a page). */
const IS_NOTICE = `(p.reason IN (${NOTICE_KINDS.map((k) => `'${reasonColumn(k)}'`).join(', ')}) AND p.undelivered = 0 AND p.fallbacks = 0)`;

const PAGE_LOG_SQL = `SELECT p.incident_id, i.ack_code, p.reason, p.step_index, p.detail, p.undelivered, p.fallbacks, p.channel, p.person, p.created_ms, p.not_before_ms, p.outbox_id, p.sent_by_peer,
        COALESCE(o.folded_into, o.id) AS message, o.state AS own_state, f.state AS summary_state, COALESCE(f.done_ms, o.done_ms) AS done_ms,
        COALESCE(f.attempts, o.attempts, 0) AS attempts, COALESCE(f.last_error, o.last_error) AS last_error,
        c.status AS call_status, c.outcome AS call_outcome,
        (SELECT s.status FROM sms_messages s WHERE s.outbox_id = p.outbox_id ORDER BY s.sent_ms DESC LIMIT 1) AS sms_status,
        (SELECT s.error_code FROM sms_messages s WHERE s.outbox_id = p.outbox_id ORDER BY s.sent_ms DESC LIMIT 1) AS sms_error
   FROM pages p JOIN incidents i ON i.id = p.incident_id LEFT JOIN outbox o ON o.id = p.outbox_id LEFT JOIN outbox f ON f.id = o.folded_into
        LEFT JOIN calls c ON c.outbox_id = p.outbox_id
  WHERE ? IS NULL OR p.incident_id IN (SELECT value FROM json_each(?))
  ORDER BY p.id DESC LIMIT ?`;

/** Every statement the store runs, typed by its parameters and rows, prepared once. */
function statements(db: Db) {
  const incidents = <P extends unknown[]>(sql: string) => db.prepare<P, IncidentRecord>(sql);
  const pages = <P extends unknown[]>(sql: string) => db.prepare<P, PageRecord>(sql);
  return {
    live: incidents<[Incident['kind'], string | null]>("SELECT * FROM incidents WHERE kind = ? AND COALESCE(fingerprint, '') = COALESCE(?, '') AND state != 'resolved'"),
    codeHolder: db.prepare<[string], { id: number; state: Incident['state']; resolved_ms: number | null }>('SELECT id, state, resolved_ms FROM incidents WHERE ack_code = ?'),
    liveAmong: incidents<[string]>("SELECT * FROM incidents WHERE kind = 'alert' AND state != 'resolved' AND fingerprint IN (SELECT value FROM json_each(?))"),
    retireCode: db.prepare<[number]>("UPDATE incidents SET ack_code = ack_code || '-' || id WHERE id = ?"),
    insert: db.prepare<[Incident['kind'], string | null, string, string, string, string, string, number, number | null, string | null, string | null, string | null]>(
      "INSERT INTO incidents (kind, fingerprint, title, severity, labels, policy, state, ack_code, opened_ms, next_step, next_due_ms, group_key, episode, starts_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, 0, ?, ?, ?, ?)",
    ),
    addAlias: db.prepare<[string, number]>('INSERT OR IGNORE INTO incident_code_aliases (code, incident_id) VALUES (?, ?)'),
    aliasHolders: incidents<[string]>('SELECT i.* FROM incident_code_aliases a JOIN incidents i ON i.id = a.incident_id WHERE a.code = ? ORDER BY i.id DESC'),
    byEpisode: incidents<[string]>('SELECT * FROM incidents WHERE episode = ? ORDER BY id DESC LIMIT 1'),
    moveEpisode: db.prepare<[string, string, number]>('UPDATE incidents SET episode = ?, ack_code = ? WHERE id = ?'),
    unsentTexts: db.prepare<[number], { id: number; text: string }>('SELECT id, text FROM pages WHERE incident_id = ? AND outbox_id IS NULL AND sent_by_peer IS NULL'),
    setText: db.prepare<[string, number]>('UPDATE pages SET text = ? WHERE id = ?'),
    markByPeer: db.prepare<[string, number]>('UPDATE pages SET sent_by_peer = ? WHERE id = ? AND outbox_id IS NULL'),
    get: incidents<[number]>('SELECT * FROM incidents WHERE id = ?'),
    byCode: incidents<[string]>('SELECT * FROM incidents WHERE ack_code = ?'),
    unresolved: incidents<[number]>("SELECT * FROM incidents WHERE state != 'resolved' ORDER BY opened_ms DESC LIMIT ?"),
    resolvedSince: incidents<[number, number]>("SELECT * FROM incidents WHERE state = 'resolved' AND resolved_ms >= ? ORDER BY resolved_ms DESC LIMIT ?"),
    setSeverity: db.prepare<[string, string, number]>('UPDATE incidents SET severity = ?, labels = ? WHERE id = ?'),
    switchPolicy: db.prepare<[string, number, number, number | null, number]>('UPDATE incidents SET policy = ?, steps_base_ms = ?, held_ms = 0, next_step = ?, next_due_ms = ? WHERE id = ?'),
    countUnresolved: db.prepare<[], { open: number; acked: number }>("SELECT COUNT(*) FILTER (WHERE state = 'open') AS open, COUNT(*) FILTER (WHERE state = 'acked') AS acked FROM incidents WHERE state != 'resolved'"),
    due: incidents<[number]>("SELECT * FROM incidents WHERE state != 'resolved' AND held_since_ms IS NULL AND next_due_ms IS NOT NULL AND next_due_ms <= ? ORDER BY next_due_ms"),
    nextDue: db.prepare<[], { t: number | null }>("SELECT MIN(next_due_ms) AS t FROM incidents WHERE state != 'resolved' AND held_since_ms IS NULL AND next_due_ms IS NOT NULL"),
    unresolvedAlerts: incidents<[]>("SELECT * FROM incidents WHERE kind = 'alert' AND state != 'resolved' ORDER BY id"),
    unresolvedInGroup: incidents<[string]>("SELECT * FROM incidents WHERE group_key = ? AND state != 'resolved' ORDER BY id"),
    hold: db.prepare<[number, number]>('UPDATE incidents SET held_since_ms = ? WHERE id = ? AND held_since_ms IS NULL'),
    release: db.prepare<[{ id: number; now: number }]>(
      `UPDATE incidents SET next_due_ms = next_due_ms + MAX(0, @now - held_since_ms), held_ms = held_ms + MAX(0, @now - held_since_ms), held_since_ms = NULL
        WHERE id = @id AND held_since_ms IS NOT NULL`,
    ),
    setSchedule: db.prepare<[number, number | null, number]>('UPDATE incidents SET next_step = ?, next_due_ms = ? WHERE id = ?'),
    ack: db.prepare<[number, string, number | null, number]>("UPDATE incidents SET state = 'acked', acked_ms = ?, acked_by = ?, next_due_ms = ? WHERE id = ?"),
    setAckedBy: db.prepare<[string, number]>("UPDATE incidents SET acked_by = ? WHERE id = ? AND state = 'acked'"),
    unack: db.prepare<[number, number]>("UPDATE incidents SET state = 'open', acked_ms = NULL, acked_by = NULL, next_due_ms = ? WHERE id = ?"),
    relapse: db.prepare<[number]>("UPDATE incidents SET state = 'open', acked_ms = NULL, acked_by = NULL WHERE id = ?"),
    resolve: db.prepare<[number, number]>("UPDATE incidents SET state = 'resolved', resolved_ms = ?, next_due_ms = NULL WHERE id = ?"),
    addPage: db.prepare<[ReasonColumns & { incident_id: number; channel: PagingChannelKind; person: string; now: number; not_before: number; text: string }]>(
      `INSERT OR IGNORE INTO pages (incident_id, reason, step_index, detail, undelivered, fallbacks, channel, person, created_ms, not_before_ms, text)
       VALUES (@incident_id, @reason, @step_index, @detail, @undelivered, @fallbacks, @channel, @person, @now, @not_before, @text)`,
    ),
    pageLog: db.prepare<[number | null, string, number], PageLogRecord>(PAGE_LOG_SQL),
    pagesOfMessage: pages<[number]>('SELECT p.*, i.episode FROM pages p JOIN incidents i ON i.id = p.incident_id WHERE p.outbox_id = ? ORDER BY p.id'),
    // The head: a step by its index whatever its policy or severity, else the named kind; any reroute.
    pagedOn: db.prepare<[{ incident: number; head: string; index: number; channel: PagingChannelKind; person: string }], { one: number }>(
      `SELECT 1 AS one FROM pages WHERE incident_id = @incident AND channel = @channel AND person = @person
          AND (CASE WHEN reason IN ('step', 'raised', 'switched') THEN 'step' ELSE reason END) = @head AND COALESCE(step_index, -1) = @index LIMIT 1`,
    ),
    unsentPages: pages<[]>('SELECT p.*, i.episode FROM pages p JOIN incidents i ON i.id = p.incident_id WHERE p.outbox_id IS NULL AND p.sent_by_peer IS NULL AND i.held_since_ms IS NULL ORDER BY p.id'),
    markSent: db.prepare<[number, number]>('UPDATE pages SET outbox_id = ? WHERE id = ?'),
    unlinkMessage: db.prepare<[number]>('UPDATE pages SET outbox_id = NULL WHERE outbox_id = ?'),
    dropUnsent: db.prepare<[number]>('DELETE FROM pages WHERE incident_id = ? AND outbox_id IS NULL AND sent_by_peer IS NULL'),
    // Paged by this instance or by a peer: either way the person heard of it.
    pagedRecipients: db.prepare<[number], { channel: PagingChannelKind; person: string }>('SELECT DISTINCT channel, person FROM pages WHERE incident_id = ? AND (outbox_id IS NOT NULL OR sent_by_peer IS NOT NULL)'),
    lastSent: db.prepare<[PagingChannelKind, string], { t: number | null }>(
      `SELECT MAX(o.created_ms) AS t FROM pages p JOIN outbox o ON o.id = p.outbox_id WHERE p.channel = ? AND p.person = ? AND NOT ${IS_NOTICE}`,
    ),
    pendingShared: pages<[]>("SELECT p.*, i.episode FROM pages p JOIN incidents i ON i.id = p.incident_id JOIN outbox o ON o.id = p.outbox_id WHERE o.state = 'pending' AND i.episode IS NOT NULL"),
    stuckPages: pages<[PagingChannelKind]>("SELECT p.* FROM pages p JOIN outbox o ON o.id = p.outbox_id WHERE p.channel = ? AND o.state = 'pending'"),
    // A message taken out of the queue unsent (Outbox.markCovered: folded into nothing) did not go.
    countSentSince: db.prepare<[string, number], { n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE destination = ? AND created_ms >= ? AND kind = 'page' AND NOT (state = 'folded' AND folded_into IS NULL)"),
    lastPagedOn: incidents<[PagingChannelKind, string]>(
      'SELECT i.* FROM pages p JOIN incidents i ON i.id = p.incident_id WHERE p.channel = ? AND p.person = ? AND p.outbox_id IS NOT NULL ORDER BY p.id DESC LIMIT 1',
    ),
  };
}

/** Incidents and pages in the database. Every method is synchronous and safe inside a transaction. */
export class IncidentStore {
  private readonly q;
  constructor(db: Db) {
    this.q = statements(db);
  }

  /** Opens an incident unless one is already live for the same kind and fingerprint. */
  /**
   * Opens an incident unless one is already live for the same kind and fingerprint. With an
   * `episode` its ack code is the episode's (episodeCode), the same on every instance; when a
   * local incident people may still answer holds that code, the next candidate is taken and the
   * episode's own code is kept as an alias (see Acks.ack for when the alias answers).
   */
  open(i: { kind: Incident['kind']; fingerprint: string | null; title: string; severity: string; labels: Record<string, string>; policy: string; nowMs: number; firstDueMs: number | null; groupKey?: string; episode?: string; startsAt?: string }): Incident | undefined {
    if (this.q.live.get(i.kind, i.fingerprint)) return undefined;
    const code = this.freeCode(i.episode, i.nowMs);
    const id = Number(this.q.insert.run(i.kind, i.fingerprint, i.title, i.severity, JSON.stringify(i.labels), i.policy, code, i.nowMs, i.firstDueMs, i.groupKey ?? null, i.episode ?? null, i.startsAt ?? null).lastInsertRowid);
    if (i.episode !== undefined && code !== episodeCode(i.episode, 0)) this.q.addAlias.run(episodeCode(i.episode, 0), id);
    return this.get(id);
  }

  /**
   * An ack code no incident people may still answer holds: the episode's (its nth candidate after
   * a collision), or a random one without an episode. An old holder's code is retired.
   */
  private freeCode(episode: string | undefined, nowMs: number): string {
    for (let attempt = 0; attempt < 50; attempt++) {
      const code = episode !== undefined ? episodeCode(episode, attempt) : Array.from({ length: 4 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
      const holder = this.q.codeHolder.get(code);
      if (holder) {
        const answerable = holder.state !== 'resolved' || (holder.resolved_ms ?? 0) > nowMs - CODE_QUARANTINE_MS;
        if (answerable) continue;
        this.q.retireCode.run(holder.id);
      }
      return code;
    }
    throw new Error('could not find a free ack code: more than 900,000 incidents are open or resolved within 24 h');
  }

  /**
   * Moves an open incident to another episode (a peer's earlier one of the same event,
   * escalation/episodeAgreement.ts): it takes that episode's ack code (as open does), keeps its
   * old code as an alias (it may be posted in IRC already), and the pages not yet sent carry the
   * new code (the code as a whole word in their subject and lines). Returns the moved incident.
   */
  moveEpisode(id: number, episode: string, nowMs: number): Incident | undefined {
    const inc = this.get(id);
    if (!inc || inc.episode === episode) return inc;
    const code = this.freeCode(episode, nowMs);
    this.q.moveEpisode.run(episode, code, id);
    this.q.addAlias.run(inc.ackCode, id);
    if (code !== episodeCode(episode, 0)) this.q.addAlias.run(episodeCode(episode, 0), id);
    const word = new RegExp(`\\b${inc.ackCode}\\b`, 'g');
    for (const p of this.q.unsentTexts.all(id)) this.q.setText.run(p.text.replace(word, code), p.id);
    return this.get(id);
  }

  /** An incident by its id. */
  get(id: number): Incident | undefined {
    const r = this.q.get.get(id);
    return r ? toIncident(r) : undefined;
  }

  /** An incident by its ack code (case-insensitive). */
  byCode(code: string): Incident | undefined {
    const r = this.q.byCode.get(code.toUpperCase());
    return r ? toIncident(r) : undefined;
  }

  /** Incidents that carry `code` as an alias (their episode's code elsewhere), newest first. */
  aliasHolders(code: string): Incident[] {
    return this.q.aliasHolders.all(code.toUpperCase()).map(toIncident);
  }

  /** Gives an incident a second ack code (its episode's code on a peer). */
  addAlias(code: string, incidentId: number): void {
    this.q.addAlias.run(code.toUpperCase(), incidentId);
  }

  /** The newest incident of an episode, if any. */
  byEpisode(episode: string): Incident | undefined {
    const r = this.q.byEpisode.get(episode);
    return r ? toIncident(r) : undefined;
  }

  /** Records that peer `peer` sent these pages (this instance did not): they are done here. */
  markPagesByPeer(ids: readonly number[], peer: string): void {
    for (const id of ids) this.q.markByPeer.run(peer, id);
  }

  /** The live (not resolved) incident of a kind and fingerprint. */
  live(kind: Incident['kind'], fingerprint: string | null): Incident | undefined {
    const r = this.q.live.get(kind, fingerprint);
    return r ? toIncident(r) : undefined;
  }

  /**
   * Live alert incidents among `fingerprints`, by fingerprint: one query for a whole batch (a
   * webhook of 100,000 alerts must not cost 100,000 look-ups).
   */
  liveAlerts(fingerprints: readonly string[]): Map<string, Incident> {
    const out = new Map<string, Incident>();
    for (let i = 0; i < fingerprints.length; i += 50_000) {
      for (const r of this.q.liveAmong.all(JSON.stringify(fingerprints.slice(i, i + 50_000)))) out.set(r.fingerprint ?? '', toIncident(r));
    }
    return out;
  }

  /** Incidents not resolved, newest first. */
  unresolved(limit = 1000): Incident[] {
    return this.q.unresolved.all(limit).map(toIncident);
  }

  /** Incidents resolved since `sinceMs`, the last resolved first, at most `limit` (index incidents_resolved). */
  resolvedSince(sinceMs: number, limit: number): Incident[] {
    return this.q.resolvedSince.all(sinceMs, limit).map(toIncident);
  }

  /** Changes an incident's severity (its alert turned critical, or back), with the alert's new labels. */
  setSeverity(id: number, severity: string, labels: Record<string, string>): void {
    this.q.setSeverity.run(severity, JSON.stringify(labels), id);
  }

  /** Moves an incident to another policy whose steps count from `baseMs`, starting at `nextStep`. */
  switchPolicy(id: number, policy: string, baseMs: number, nextStep: number, nextDueMs: number | null): void {
    this.q.switchPolicy.run(policy, baseMs, nextStep, nextDueMs, id);
  }

  /** How many incidents are open, and how many acknowledged. */
  countUnresolved(): { open: number; acked: number } {
    const r = this.q.countUnresolved.get() ?? { open: 0, acked: 0 };
    return { open: r.open, acked: r.acked };
  }

  /** Incidents whose next step is due (held ones wait for their release). */
  due(nowMs: number): Incident[] {
    return this.q.due.all(nowMs).map(toIncident);
  }

  /** Earliest due time of any unresolved incident not held. */
  nextDue(): number | undefined {
    return this.q.nextDue.get()?.t ?? undefined;
  }

  /** Every unresolved alert incident, oldest first (to decide which a silence or window holds). */
  unresolvedAlerts(): Incident[] {
    return this.q.unresolvedAlerts.all().map(toIncident);
  }

  /** Unresolved incidents opened by one group notification (its groupKey), oldest first. */
  unresolvedInGroup(groupKey: string): Incident[] {
    return this.q.unresolvedInGroup.all(groupKey).map(toIncident);
  }

  /** Holds an incident from now: its steps and unsent pages wait. */
  hold(id: number, nowMs: number): void {
    this.q.hold.run(nowMs, id);
  }

  /**
   * Releases a held incident: its next step (or an acknowledgement's lapse) moves later by the
   * time it was held, so escalation resumes where it was held, with the same waits ahead of it.
   */
  release(id: number, nowMs: number): void {
    this.q.release.run({ id, now: nowMs });
  }

  /** Sets the step that runs next and when (null: none). */
  setSchedule(id: number, nextStep: number, nextDueMs: number | null): void {
    this.q.setSchedule.run(nextStep, nextDueMs, id);
  }

  /** Acknowledges; `relapseMs`: when the acknowledgement lapses (null: never). */
  ack(id: number, by: string, nowMs: number, relapseMs: number | null): void {
    this.q.ack.run(nowMs, by, relapseMs, id);
  }

  /** Names who acknowledged an acked incident (the ack that holds across the cluster). */
  setAckedBy(id: number, by: string): void {
    this.q.setAckedBy.run(by, id);
  }

  /** Takes an acknowledgement back; the next step is due at `nowMs`. */
  unack(id: number, nowMs: number): void {
    this.q.unack.run(nowMs, id);
  }

  /** Re-opens an incident whose acknowledgement lapsed. */
  relapse(id: number): void {
    this.q.relapse.run(id);
  }

  /** Resolves an incident; no step is due any more. */
  resolve(id: number, nowMs: number): void {
    this.q.resolve.run(nowMs, id);
  }

  /** Records a page; false when that (incident, reason, channel, person) was already paged. */
  addPage(p: { incidentId: number; reason: PageReason; channel: PagingChannelKind; person: string; nowMs: number; notBeforeMs: number; text: string }): boolean {
    const r = this.q.addPage.run({ ...reasonColumns(p.reason), incident_id: p.incidentId, channel: p.channel, person: p.person, now: p.nowMs, not_before: p.notBeforeMs, text: p.text });
    return r.changes > 0;
  }

  /**
   * Pages with their delivery state, newest first: of the given incidents, or of all. A page
   * bundled into an outbox message follows that message (and the summary it was folded into).
   */
  pageLog(limit: number, incidentIds?: readonly number[]): PageDelivery[] {
    return this.q.pageLog.all(incidentIds ? 1 : null, JSON.stringify(incidentIds ?? []), limit).map(toDelivery);
  }

  /** The pages one outbox message carried (a bundle). */
  pagesOfMessage(outboxId: number): PageRow[] {
    return this.q.pagesOfMessage.all(outboxId).map(toPage);
  }

  /** Whether a page about `head` (any policy, severity or reroute of it) went to (channel, person) for an incident. */
  pagedOn(incidentId: number, head: PageHead, channel: PagingChannelKind, person: string): boolean {
    return this.q.pagedOn.get({ incident: incidentId, ...headColumns(head), channel, person }) !== undefined;
  }

  /** Pages not yet given to the outbox, oldest first; a held incident's pages wait for its release. */
  unsentPages(): PageRow[] {
    return this.q.unsentPages.all().map(toPage);
  }

  /** Records that pages went into one outbox message. */
  markPagesSent(ids: readonly number[], outboxId: number): void {
    for (const id of ids) this.q.markSent.run(outboxId, id);
  }

  /**
   * Makes the pages an outbox message carried unsent again (the message was taken out of the
   * queue undelivered, see PageBundler.takeBackShared): the bundler decides them anew.
   */
  unlinkMessage(outboxId: number): number {
    return this.q.unlinkMessage.run(outboxId).changes;
  }

  /** Drops pages not yet sent for an incident (it was acknowledged or resolved meanwhile). */
  dropUnsent(incidentId: number): void {
    this.q.dropUnsent.run(incidentId);
  }

  /** (channel, person) pairs that were sent a page about an incident. */
  pagedRecipients(incidentId: number): Array<{ channel: PagingChannelKind; person: string }> {
    return this.q.pagedRecipients.all(incidentId);
  }

  /** When the last bundle of pages (notices not counted) went to (channel, person), from the outbox. */
  lastSentMs(channel: PagingChannelKind, person: string): number | undefined {
    return this.q.lastSent.get(channel, person)?.t ?? undefined;
  }

  /** Pages of episodes shared with cluster peers given to the outbox and not delivered yet (their claims are renewed). */
  pendingSharedPages(): PageRow[] {
    return this.q.pendingShared.all().map(toPage);
  }

  /** Pages given to the outbox on a channel and still waiting there (for failover). */
  stuckPages(channel: PagingChannelKind): PageRow[] {
    return this.q.stuckPages.all(channel).map(toPage);
  }

  /** Outbox messages sent to a destination since a time (SMS budgets; survives restarts). */
  countSentSince(destination: string, sinceMs: number): number {
    return this.q.countSentSince.get(destination, sinceMs)?.n ?? 0;
  }

  /** The most recent incident paged to a person by SMS (for a bare "ACK" reply). */
  lastPagedBySms(person: string): Incident | undefined {
    const r = this.q.lastPagedOn.get('sms', person);
    return r ? toIncident(r) : undefined;
  }
}
