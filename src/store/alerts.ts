import { ALERT_SOURCES, instanceOf, type Alert, type AlertBatch, type AlertSource } from '../alerts/alert.js';
import { labelValue } from '../alerts/labels.js';
import type { Db } from './db.js';

/** A change of an alert's state recorded while storing a notification. */
/** A status change; from and to both "firing" when a firing alert changed severity. */
export interface AlertChange {
  fingerprint: string;
  from: 'firing' | 'resolved' | 'new';
  to: 'firing' | 'resolved';
}

/*
 * How an alert's incident gets its cluster episode (escalation/episode.ts), stored with the alert
 * (alerts.episode_basis, migration 21) because the flags that say it come from the source only
 * when the alert arrives: an alert a silence or maintenance window held is read back from this
 * table when the mute ends (pipeline/mutes.ts evaluateAgain) and must open the incident of the same
 * episode as its peers', not a local one (two pages). Updated with every notification: a probe's
 * down alert is joined from all regions (shared start) or from this region's verdict alone (none).
 */
type EpisodeBasis = 'shared_start' | 'agreed';

function episodeBasisOf(a: Alert): EpisodeBasis | null {
  if (a.sharedStart === true) return 'shared_start';
  if (a.agreedEpisode === true) return 'agreed';
  return null;
}

function episodeFlagsOf(basis: unknown): Pick<Alert, 'sharedStart' | 'agreedEpisode'> {
  if (basis === 'shared_start') return { sharedStart: true };
  if (basis === 'agreed') return { agreedEpisode: true };
  return {};
}

/** Counts of stored alerts by status, for metrics and /readyz. */
export interface AlertCounts {
  firing: number;
  resolved: number;
}

/**
 * The alert store: received alerts, their state changes and the receipts of the webhooks that
 * carried them. Call `record` inside the caller's transaction so that storing the alerts and
 * queueing their messages commit together.
 */
export class AlertStore {
  private readonly statusAmong;
  private readonly upsert;
  private readonly insertEvent;
  private readonly insertReceipt;
  private readonly counts;
  private readonly countsExcept;
  private readonly firingStmt;
  private readonly firingExceptStmt;
  private readonly changesStmt;
  private readonly probesDownStmt;
  private readonly receiptCount;

  constructor(private readonly db: Db) {
    this.statusAmong = db.prepare<[string], { fingerprint: string; status: 'firing' | 'resolved'; severity: string | null }>(
      "SELECT fingerprint, status, json_extract(labels, '$.severity') AS severity FROM alerts WHERE fingerprint IN (SELECT value FROM json_each(?))",
    );
    // An alert's identity (source, probe, warning) is fixed when it is first stored: an update leaves it.
    this.upsert = db.prepare(`
      INSERT INTO alerts (fingerprint, status, alertname, labels, annotations, starts_at, ends_at, generator_url, first_seen_ms, updated_ms, source, probe, warning, episode_basis)
      VALUES (@fingerprint, @status, @alertname, @labels, @annotations, @startsAt, @endsAt, @generatorURL, @now, @now, @source, @probe, @warning, @episodeBasis)
      ON CONFLICT (fingerprint) DO UPDATE SET
        status = excluded.status, alertname = excluded.alertname, labels = excluded.labels,
        annotations = excluded.annotations, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
        generator_url = excluded.generator_url, updated_ms = excluded.updated_ms, episode_basis = excluded.episode_basis`);
    // The probe a change is about comes from the alert's stored identity (set when first stored).
    this.insertEvent = db.prepare<[string, string, number, number, string]>(
      'INSERT INTO alert_events (fingerprint, status, at_ms, receipt_id, probe) VALUES (?, ?, ?, ?, (SELECT probe FROM alerts WHERE fingerprint = ? AND warning = 0))',
    );
    this.insertReceipt = db.prepare(
      'INSERT INTO receipts (received_ms, route, group_key, status, alert_count, truncated, source) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.firingStmt = db.prepare<[number], { fingerprint: string; alertname: string; labels: string }>("SELECT fingerprint, alertname, labels FROM alerts WHERE status = 'firing' ORDER BY updated_ms DESC LIMIT ?");
    this.firingExceptStmt = db.prepare<[string, number], { fingerprint: string; alertname: string; labels: string }>(
      "SELECT fingerprint, alertname, labels FROM alerts WHERE status = 'firing' AND alertname NOT IN (SELECT value FROM json_each(?)) ORDER BY updated_ms DESC LIMIT ?",
    );
    this.changesStmt = db.prepare<[number, number], { status: string; n: number }>('SELECT status, COUNT(DISTINCT fingerprint) AS n FROM alert_events WHERE at_ms BETWEEN ? AND ? GROUP BY status');
    this.probesDownStmt = db.prepare<[number], { probe: string }>(
      "SELECT DISTINCT probe FROM alert_events WHERE status = 'firing' AND at_ms >= ? AND probe IS NOT NULL ORDER BY probe",
    );
    this.counts = db.prepare<[], { status: string; n: number }>('SELECT status, COUNT(*) AS n FROM alerts GROUP BY status');
    this.countsExcept = db.prepare<[string], { status: string; n: number }>('SELECT status, COUNT(*) AS n FROM alerts WHERE alertname NOT IN (SELECT value FROM json_each(?)) GROUP BY status');
    this.receiptCount = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM receipts');
  }

  /** Stores a notification's alerts and returns the state changes it caused. */
  record(route: string, n: AlertBatch, now: number): { receiptId: number; changes: AlertChange[] } {
    const receiptId = Number(
      this.insertReceipt.run(now, route, n.groupKey, n.status, n.alerts.length, n.truncatedAlerts, n.source).lastInsertRowid,
    );
    const changes: AlertChange[] = [];
    // One query for the batch's current states, not one per alert.
    const known = new Map<string, 'firing' | 'resolved'>();
    const severityOf = new Map<string, string>();
    for (let i = 0; i < n.alerts.length; i += 50_000) {
      const fps = JSON.stringify(n.alerts.slice(i, i + 50_000).map((a) => a.fingerprint));
      for (const r of this.statusAmong.all(fps)) {
        known.set(r.fingerprint, r.status);
        severityOf.set(r.fingerprint, r.severity ?? '');
      }
    }
    for (const a of n.alerts) {
      const before = known.get(a.fingerprint);
      const severityBefore = severityOf.get(a.fingerprint);
      known.set(a.fingerprint, a.status);
      severityOf.set(a.fingerprint, a.labels['severity'] ?? '');
      this.upsert.run({
        fingerprint: a.fingerprint,
        status: a.status,
        alertname: labelValue(a.labels, 'alertname') ?? '',
        labels: JSON.stringify(a.labels),
        annotations: JSON.stringify(a.annotations),
        startsAt: a.startsAt,
        endsAt: a.endsAt,
        generatorURL: a.generatorURL,
        now,
        source: n.source,
        probe: a.probe?.name ?? null,
        warning: a.probe?.warning === true ? 1 : 0,
        episodeBasis: episodeBasisOf(a),
      });
      if (before !== a.status) {
        this.insertEvent.run(a.fingerprint, a.status, now, receiptId, a.fingerprint);
        changes.push({ fingerprint: a.fingerprint, from: before ?? 'new', to: a.status });
      } else if (a.status === 'firing' && severityBefore !== (a.labels['severity'] ?? '')) {
        // Alertmanager's fingerprints cover the labels, so only Lifeline's own alerts (a redundancy
        // group losing its quorum) change severity under one fingerprint.
        changes.push({ fingerprint: a.fingerprint, from: 'firing', to: 'firing' });
      }
    }
    return { receiptId, changes };
  }

  /** The alertname of the alert with this fingerprint when it fires now; undefined when it does not (or is unknown). */
  firingName(fingerprint: string): string | undefined {
    const r = this.db.prepare<[string], { alertname: string }>("SELECT alertname FROM alerts WHERE fingerprint = ? AND status = 'firing'").get(fingerprint);
    return r?.alertname;
  }

  /** Alerts firing now, briefly (at most `limit`, most recently changed first), but those named in `exceptNames` (the Watchdog). */
  firing(limit = 2000, exceptNames: readonly string[] = []): Array<{ fp: string; name: string; instance: string; severity: string }> {
    const rows = exceptNames.length === 0 ? this.firingStmt.all(limit) : this.firingExceptStmt.all(JSON.stringify(exceptNames), limit);
    return rows.map((r) => {
      const labels = JSON.parse(r.labels) as Record<string, string>;
      return { fp: r.fingerprint, name: r.alertname, instance: instanceOf(labels), severity: labels['severity'] ?? '' };
    });
  }

  /**
   * Every alert firing now, whole, with the route, group and source of the notification it
   * started firing in (route '' and its own fingerprint as group when retention removed that
   * record), for evaluating again what a silence or maintenance window held.
   */
  firingAlerts(): Array<{ alert: Alert; route: string; groupKey: string; source: AlertSource }> {
    const rows = this.db
      .prepare(
        `SELECT a.*, r.route, r.group_key FROM alerts a
           LEFT JOIN receipts r ON r.id = (SELECT e.receipt_id FROM alert_events e WHERE e.fingerprint = a.fingerprint ORDER BY e.at_ms DESC, e.id DESC LIMIT 1)
          WHERE a.status = 'firing' ORDER BY a.first_seen_ms`,
      )
      .all() as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      alert: {
        fingerprint: String(r['fingerprint']),
        status: 'firing',
        labels: JSON.parse(String(r['labels'])) as Record<string, string>,
        annotations: JSON.parse(String(r['annotations'])) as Record<string, string>,
        startsAt: String(r['starts_at']),
        endsAt: String(r['ends_at']),
        generatorURL: String(r['generator_url']),
        ...(typeof r['probe'] === 'string' ? { probe: { name: r['probe'], warning: r['warning'] === 1 } } : {}),
        ...episodeFlagsOf(r['episode_basis']),
      },
      route: (r['route'] as string | null) ?? '',
      groupKey: (r['group_key'] as string | null) ?? String(r['fingerprint']),
      source: ALERT_SOURCES.find((s) => s === r['source']) ?? 'alertmanager',
    }));
  }

  /** How many alerts started firing, and how many resolved, within [fromMs, toMs]. */
  changesBetween(fromMs: number, toMs: number): { fired: number; resolved: number } {
    const out = { fired: 0, resolved: 0 };
    for (const r of this.changesStmt.all(fromMs, toMs)) {
      if (r.status === 'firing') out.fired = r.n;
      else if (r.status === 'resolved') out.resolved = r.n;
    }
    return out;
  }

  /** The probes whose down alert opened at or after `fromMs` (names, sorted; an inferred cause as "~ENDPOINT"). */
  probesDownSince(fromMs: number): string[] {
    return this.probesDownStmt.all(fromMs).map((r) => r.probe);
  }

  /**
   * Alerts by status; `exceptNames` leaves out alerts by name (a dead man's switch's Watchdog,
   * which fires all the time by design).
   */
  countByStatus(exceptNames: readonly string[] = []): AlertCounts {
    const out: AlertCounts = { firing: 0, resolved: 0 };
    const rows = exceptNames.length === 0 ? this.counts.all() : this.countsExcept.all(JSON.stringify(exceptNames));
    for (const r of rows) {
      if (r.status === 'firing' || r.status === 'resolved') out[r.status] = r.n;
    }
    return out;
  }

  /** Number of webhooks accepted so far. */
  receipts(): number {
    return this.receiptCount.get()?.n ?? 0;
  }
}
