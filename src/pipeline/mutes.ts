import type { AlertBatch, AlertSource } from '../alerts/alert.js';
import type { LabelSet } from '../alerts/labels.js';
import type { EscalationEngine } from '../escalation/engine.js';
import type { Logger } from '../observability/logger.js';
import type { MaintenanceWindows } from '../policy/maintenance.js';
import { compileMatchers, matcherText, type Matcher } from '../policy/matchers.js';
import type { AlertStore } from '../store/alerts.js';
import type { Incident } from '../store/incidents.js';
import type { SharedSilence, Silence, SilenceStore } from '../store/silences.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { IngestResult } from './ingest.js';

/** What the mutes need. */
export interface MuteDeps {
  silences: SilenceStore;
  maintenance: MaintenanceWindows;
  alerts: AlertStore;
  escalation: EscalationEngine;
  clock: Clock;
  log: Logger;
  /**
   * Runs a batch through the pipeline with its firing alerts evaluated as new (ingest's `asNew`),
   * and wakes the destinations it queued for.
   */
  reevaluate(route: string, batch: AlertBatch, nowMs: number): IngestResult;
}

/**
 * Where this instance's silences go to its peers (the cluster): called inside the transaction
 * that writes the silence, so the two are stored together or not at all.
 */
export interface MuteReplica {
  /** A silence was set here. */
  silenced(s: Silence): void;
  /** A silence was ended here, by `by` at `endedMs`; returns the end's hybrid logical clock timestamp as text (the merge of ends compares it). */
  unsilenced(s: Silence, by: string, endedMs: number): string;
}

/** What setting a silence did. */
export interface SilenceSet {
  silence: Silence;
  /** Open incidents it now holds. */
  held: Incident[];
}

/** What ending a silence (or its running out, or a maintenance window's end) did. */
export interface MuteEnded {
  /** Incidents it held that resume where they were held. */
  resumed: Incident[];
  /** Incidents opened for alerts that started firing under it and still fire. */
  opened: Incident[];
}

/** At start, maintenance windows that closed this long ago or less are released (Lifeline may have been down then). */
const RESTART_LOOKBACK_MS = 86_400_000;

/** Longest wait between two looks at the silences and windows (a wall-clock step, a far-off cron start). */
const MAX_WAIT_MS = 3_600_000;

/**
 * Silences and maintenance windows, as they act on the pipeline:
 *
 * - an alert that fires while muted is recorded but neither posted nor paged (ingest asks `muted`);
 * - an incident already open whose alert becomes muted is held: no step runs, no page goes
 *   (EscalationEngine.applyMutes), and its resolved notice is not sent either;
 * - when the silence ends (it runs out, or `!unsilence`) or the window closes, held incidents
 *   resume where they were held, and every alert that still fires and matched it is evaluated as
 *   new, so one that started firing under the silence opens its incident and pages then.
 *
 * Ends are processed once, recorded in the store (`released`), so a restart neither loses nor
 * repeats them.
 */
export class Mutes {
  private timer: TimerHandle | undefined;
  /** The maintenance windows active at the last look, with their label tests (undefined before the first). */
  private windowsActive: Map<string, (labels: LabelSet) => boolean> | undefined;
  private stopped = true;
  private replica: MuteReplica | undefined;

  constructor(private readonly d: MuteDeps) {}

  /** Sends every silence set or ended here from now on to `replica` too (the cluster; pipeline/sharedMutes.ts). */
  replicateTo(replica: MuteReplica): void {
    this.replica = replica;
  }

  /**
   * A predicate for "muted now" (an active silence or maintenance window matches), compiled once.
   * A silence stored by an older version with a pattern RE2 refuses (lookaround, backreferences)
   * matches nothing: for a watchdog, an alert shown is better than one hidden by a rule that can
   * no longer be read.
   */
  muted(nowMs: number): (labels: LabelSet) => boolean {
    const silenced = this.d.silences.active(nowMs).flatMap((s) => compiled(s.matchers));
    const inWindow = this.d.maintenance.predicate(nowMs);
    return (labels) => silenced.some((t) => t(labels)) || inWindow(labels);
  }

  /** Applies what is muted now, releases what ended meanwhile, and looks again at the next change. */
  start(): void {
    this.stopped = false;
    this.check();
  }

  stop(): void {
    this.stopped = true;
    this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Sets a silence; open incidents it matches are held from now. */
  silence(matchers: readonly Matcher[], by: string, durationMs: number): SilenceSet {
    const now = this.d.clock.now();
    const silence = this.d.silences.atomic(() => {
      const s = this.d.silences.add(matchers, by, now, now + durationMs);
      this.replica?.silenced(s);
      return s;
    });
    return { silence, held: this.started(silence, now) };
  }

  /** Ends an active silence now: what it held resumes, what still fires under it is evaluated as new. */
  unsilence(id: number, by: string): (MuteEnded & { silence: Silence }) | undefined {
    const now = this.d.clock.now();
    const silence = this.d.silences.atomic(() => {
      const s = this.d.silences.end(id, by, now);
      const hlc = s ? this.replica?.unsilenced(s, by, now) : undefined;
      if (s && hlc !== undefined) this.d.silences.stampEnd(s.id, hlc);
      return s;
    });
    if (!silence) return undefined;
    return { silence, ...this.check() };
  }

  /**
   * A silence set on a peer: stored once (by its shared key) and applied as one set here is: open
   * incidents it matches are held from now. Undefined when it was stored already.
   */
  applyShared(s: SharedSilence, from: string): SilenceSet | undefined {
    const now = this.d.clock.now();
    const r = this.d.silences.addShared(s, now);
    if (!r.added) return undefined;
    return { silence: r.silence, held: this.started(r.silence, now, from) };
  }

  /**
   * A silence ended on a peer, by `by` at `endedMs`, stamped `hlc` (its hybrid logical clock
   * timestamp as text): merged (the end with the earliest timestamp wins on every instance; an
   * end the peer's clock puts after this instance's now counts as now, so it holds here at once),
   * then released as a local unsilence is. A silence not seen yet is stored already ended.
   */
  applySharedEnd(s: SharedSilence, by: string, endedMs: number, from: string, hlc: string): MuteEnded | undefined {
    const now = this.d.clock.now();
    const { silence } = this.d.silences.addShared(s, now);
    if (!this.d.silences.mergeEnd(silence.id, `${by} (on ${from})`, Math.min(endedMs, now), hlc)) return undefined;
    return this.check();
  }

  /** Holds what a silence (set now) matches, logs it, and times its end; returns the incidents held. */
  private started(silence: Silence, now: number, from?: string): Incident[] {
    const { held } = this.d.escalation.applyMutes(this.muted(now), now);
    const { id, createdBy: by, matchers } = silence;
    this.d.log.info(
      { event: 'silence_created', silence: id, by, ...(from !== undefined ? { from } : {}), matchers: matcherText(matchers), expires: new Date(silence.expiresMs).toISOString(), held: held.map((i) => i.ackCode) },
      `silence #${id} set by ${by}${from !== undefined ? ` on ${from}` : ''} until ${new Date(silence.expiresMs).toISOString()}: ${matcherText(matchers)}`,
    );
    this.arm();
    return held;
  }

  /**
   * The maintenance windows changed (a peer's set arrived): holds what a window now active
   * matches, and releases what a window that is gone or over held, as when a window closes.
   */
  windowsChanged(): MuteEnded {
    return this.check();
  }

  /** The silences in force now. */
  active(): Silence[] {
    return this.d.silences.active(this.d.clock.now());
  }

  /**
   * One look: silences that ended and windows that closed since the last look release what they
   * held; then the timer is set for the next change.
   */
  private check(): MuteEnded {
    const out: MuteEnded = { resumed: [], opened: [] };
    if (this.stopped) return out;
    const now = this.d.clock.now();
    try {
      const ended = this.d.silences.endedUnreleased(now);
      const active = this.d.maintenance.activeTests(now);
      // Before the first look, a window that closed in the last day may have closed while Lifeline was down.
      // A window that was active and is gone (a peer's new set lacks it) closed too: its test was kept.
      const was = this.windowsActive;
      const closed = was ? [...was].filter(([id]) => !active.has(id)).map(([, t]) => t) : this.d.maintenance.endedWithin(now, RESTART_LOOKBACK_MS);
      this.windowsActive = active;
      const muted = this.muted(now);
      out.resumed = this.d.escalation.applyMutes(muted, now).released;
      const endedTests = ended.flatMap((s) => compiled(s.matchers));
      const matchedEnded = (labels: LabelSet): boolean => endedTests.some((t) => t(labels)) || closed.some((t) => t(labels));
      if (endedTests.length > 0 || closed.length > 0) out.opened = this.evaluateAgain((l) => matchedEnded(l) && !muted(l), now);
      // New incidents have first steps to time.
      if (out.opened.length > 0) this.d.escalation.kick();
      this.d.silences.markReleased(ended.map((s) => s.id));
      for (const s of ended) {
        this.d.log.info(
          { event: 'silence_ended', silence: s.id, by: s.endedBy ?? null, matchers: matcherText(s.matchers), resumed: out.resumed.map((i) => i.ackCode), opened: out.opened.map((i) => i.ackCode) },
          `silence #${s.id} ${s.endedBy ? `ended by ${s.endedBy}` : 'ran out'}: ${matcherText(s.matchers)}`,
        );
      }
    } catch (err) {
      this.d.log.error({ event: 'mute_error', err: String(err) }, 'could not apply silences and maintenance windows; trying again in 5 s');
      this.arm(now + 5_000);
      return out;
    }
    this.arm();
    return out;
  }

  /** Runs the firing alerts a mute released through the pipeline as new; returns the incidents that opened. */
  private evaluateAgain(released: (labels: LabelSet) => boolean, now: number): Incident[] {
    const groups = new Map<string, { route: string; groupKey: string; source: AlertSource; alerts: AlertBatch['alerts'][number][] }>();
    for (const f of this.d.alerts.firingAlerts()) {
      if (!released(f.alert.labels)) continue;
      const k = `${f.route}\u0000${f.groupKey}`;
      const g = groups.get(k) ?? { route: f.route, groupKey: f.groupKey, source: f.source, alerts: [] };
      g.alerts.push(f.alert);
      groups.set(k, g);
    }
    if (groups.size === 0) return [];
    const before = new Set(this.d.escalation.incidents.unresolvedAlerts().map((i) => i.id));
    for (const g of groups.values()) {
      this.d.reevaluate(g.route, { source: g.source, groupKey: g.groupKey, status: 'firing', commonLabels: {}, truncatedAlerts: 0, alerts: g.alerts }, now);
    }
    // New incidents: one per alert, or one for a whole large group (max_incidents_per_group).
    const opened = this.d.escalation.incidents.unresolvedAlerts().filter((i) => !before.has(i.id));
    return opened;
  }

  /** Sets the timer for the next silence end or window change (at most an hour away). */
  private arm(at?: number): void {
    if (this.stopped) return;
    const now = this.d.clock.now();
    const next = at ?? Math.min(now + MAX_WAIT_MS, this.d.silences.nextExpiry(now) ?? Infinity, this.d.maintenance.nextChange(now) ?? Infinity);
    this.d.clock.clearTimeout(this.timer);
    this.timer = this.d.clock.setTimeout(() => this.check(), Math.max(0, next - now));
  }
}

/** A stored silence's matchers as a predicate, or none when they no longer compile. */
function compiled(m: readonly Matcher[]): Array<(labels: LabelSet) => boolean> {
  try {
    return [compileMatchers(m)];
  } catch {
    return [];
  }
}
