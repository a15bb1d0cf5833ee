import type { AlertBatch } from '../alerts/alert.js';
import type { AlertChange, EscalationEngine } from '../escalation/engine.js';
import type { RepeatFilter } from '../store/repeat.js';
import { labelValue, type LabelSet } from '../alerts/labels.js';
import { groupMessageOf } from '../alerts/messages.js';
import type { AlertStore } from '../store/alerts.js';
import type { Db } from '../store/db.js';
import type { Outbox } from '../store/outbox.js';

/** What ingest needs. */
export interface IngestDeps {
  db: Db;
  alerts: AlertStore;
  /** What is muted at a time (silences and maintenance windows; pipeline/mutes.ts), compiled once per batch. */
  muted(nowMs: number): (labels: LabelSet) => boolean;
  escalation: EscalationEngine;
  repeats: RepeatFilter;
  outbox: Outbox;
  /** Destinations of each route ("irc:#alerts", "console"). */
  routes: ReadonlyMap<string, readonly string[]>;
  /**
   * Heartbeat alerts (a dead man's switch's Watchdog): the heartbeat name an alert feeds, if any.
   * Such alerts are recorded and counted as a beat, never posted or paged: they fire all the time.
   */
  heartbeatOf?(labels: LabelSet): string | undefined;
  /** Records a beat (inside the transaction). */
  beat?(name: string, now: number): void;
}

/** What one batch did: alerts taken in, and destinations that got a message. */
export interface IngestResult {
  alerts: number;
  queued: string[];
}

/**
 * The pipeline every source feeds, in one SQLite transaction (so a 200 from the webhook means all
 * of it is on disk):
 *
 *   record (every alert, state changes) ─► mute (silences, maintenance windows)
 *     ─► escalate (incidents for paging alerts) ─► route (repeat filter, outbox per destination)
 *
 * `news`: the source says this batch is news (the probe engine: a damped state, a
 * warning opening, a redundancy group's verdict, a dependency's list), so it is posted also when
 * its (fingerprint, status) set is what was posted last.
 *
 * A resolved alert always reaches escalation, muted or not: an incident opened before a silence
 * must not stay open for good because its alert resolved under the silence.
 *
 * `asNew`: every alert of the batch that fires and is not muted is evaluated as if it had just
 * started firing (pipeline/mutes.ts, when a silence or maintenance window ends: an alert that
 * started firing under it opens its incident then). Alerts with an incident already open are
 * left as they are.
 *
 * Returns the destinations to wake; the caller pokes the dispatcher after the commit.
 */
export function makeIngest(d: IngestDeps): (route: string, batch: AlertBatch, now: number, repeatKey?: string, news?: boolean, asNew?: boolean) => IngestResult {
  return d.db.transaction((route: string, batch: AlertBatch, now: number, repeatKey = batch.groupKey, news = false, asNew = false): IngestResult => {
    const { changes } = d.alerts.record(route, batch, now);
    const muted = d.muted(now);
    const beating = (a: AlertBatch['alerts'][number]): boolean => {
      const hb = d.heartbeatOf?.(a.labels);
      if (hb === undefined) return false;
      if (a.status === 'firing') d.beat?.(hb, now);
      return true;
    };
    const counted = batch.alerts.filter((a) => !beating(a));
    const live = counted.filter((a) => !muted(a.labels));
    const byFp = new Map(counted.map((a) => [a.fingerprint, a]));
    const liveFps = new Set(live.map((a) => a.fingerprint));
    const changeOf = (a: AlertBatch['alerts'][number], relabelled: boolean): AlertChange => ({ fingerprint: a.fingerprint, status: a.status, labels: a.labels, summary: labelValue(a.annotations, 'summary') ?? '', relabelled, startsAt: a.startsAt, ...(a.sharedStart ? { sharedStart: true } : {}), ...(a.agreedEpisode ? { agreedEpisode: true } : {}) });
    const changed = asNew
      ? live.filter((a) => a.status === 'firing').map((a) => changeOf(a, false))
      : changes.flatMap((c) => {
          const a = byFp.get(c.fingerprint);
          return a && (a.status === 'resolved' || liveFps.has(a.fingerprint)) ? [changeOf(a, c.from === c.to)] : [];
        });
    if (counted.length > 0) d.escalation.onAlerts(batch, changed, now);
    if (live.length === 0) return { alerts: batch.alerts.length, queued: [] };
    // The alert line carries the ack code of the incident it belongs to, so people can act on it.
    const firing = live.filter((a) => a.status === 'firing').map((a) => a.fingerprint);
    const msg = groupMessageOf({ ...batch, alerts: live }, d.escalation.ackCodesFor(firing, batch.groupKey));
    const queued: string[] = [];
    for (const dest of d.routes.get(route) ?? []) {
      if (!d.repeats.admit(dest, msg, now, repeatKey, news)) continue;
      d.outbox.enqueue(dest, msg, now);
      queued.push(dest);
    }
    return { alerts: batch.alerts.length, queued };
  });
}

/**
 * Alerts per transaction when a notification is split (see `ingestInParts`). On a slow 2-core
 * machine 1,000 held the event loop for up to 170 ms; 500 for at most 86 ms, with the same total
 * (docs/benchmarks.md, `big`).
 */
export const PART_SIZE = 500;

/**
 * Ingests a notification in parts of at most PART_SIZE alerts (about 125 KiB of JSON), each its own transaction through
 * the whole pipeline, yielding to the event loop between them: a webhook of 1 MiB or of 100,000 alerts never
 * holds the process (health checks, the IRC link) for the seconds it takes to store them all.
 * Each part is complete on its own (its alerts recorded, escalated and queued together), so a
 * crash between parts loses nothing: Alertmanager retries the group, the stored parts show no
 * change, and the rest goes through. Parts keep their own repeat-filter key, so an unchanged
 * repeat of the group is still held back. Resolves after the last part is on disk.
 */
export async function ingestInParts(
  ingest: (route: string, batch: AlertBatch, now: number, repeatKey?: string) => IngestResult,
  route: string,
  batch: AlertBatch,
  now: () => number,
  yieldNow: () => Promise<void> = () => new Promise((r) => setImmediate(r)),
): Promise<IngestResult> {
  if (batch.alerts.length <= PART_SIZE) return ingest(route, batch, now());
  const queued = new Set<string>();
  const parts = Math.ceil(batch.alerts.length / PART_SIZE);
  for (let i = 0; i < parts; i++) {
    if (i > 0) await yieldNow();
    const alerts = batch.alerts.slice(i * PART_SIZE, (i + 1) * PART_SIZE);
    // Alertmanager's truncated count belongs to the group once, on its last part.
    const part = { ...batch, alerts, truncatedAlerts: i === parts - 1 ? batch.truncatedAlerts : 0 };
    for (const q of ingest(route, part, now(), `${batch.groupKey}\u0000part ${i + 1}/${parts}`).queued) queued.add(q);
  }
  return { alerts: batch.alerts.length, queued: [...queued] };
}
