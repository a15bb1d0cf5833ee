import type { AlertBatch } from '../alerts/alert.js';
import type { ProbesConfig } from '../config/probeSchema.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { ProbeStateStore } from '../store/probeState.js';
import type { Clock } from '../util/clock.js';
import { downSummary, groupAlert, probeAlert, regionsAlert, sharedAlert, warningSummary } from './alertShape.js';
import type { Combined, RegionVerdict, VerdictCombiner } from './combiner.js';
import type { Entry } from './entry.js';
import type { Outcome, PolicyEvent } from './policy/outcome.js';
import { groupMembers, groupStep, groupVerdict, type MemberState, type RedundancyGroup } from './policy/redundancy.js';
import { sharedCause } from './policy/sharedCause.js';
import type { WarningEvent } from './policy/warning.js';
import type { ProbeResult } from './probe.js';

/** What carrying out outcomes needs (a part of ProbeEngineDeps). */
export interface OutcomeDeps {
  config: ProbesConfig;
  clock: Clock;
  log: Logger;
  store: ProbeStateStore;
  emit(batch: AlertBatch, news: boolean): void;
  /** With a cluster: joins this region's verdicts with the peers' (probes/combiner.ts). Without: each probe alerts on this region's verdict alone. */
  combiner?: VerdictCombiner;
}

/**
 * Carries out what the policies decided: applies their state changes, then their events (alerts
 * through the pipeline, runs again now, log lines). A redundancy group member's alert is its
 * group's: the group's verdict is sent when its key changes.
 */
export class OutcomeRunner {
  /** Redundancy groups by member probe, and the key of each group's last verdict. */
  private readonly groupOf = new Map<string, RedundancyGroup>();
  private readonly groupKey = new Map<string, string>();
  /** With a combiner: what each probe's alerts last said (a down episode keeps the start it opened with while regions come and go). */
  private readonly combinedKey = new Map<string, { kind: Combined['kind']; key: string }>();

  constructor(
    private readonly d: OutcomeDeps,
    private readonly entries: ReadonlyMap<string, Entry>,
    private readonly rerun: (e: Entry) => void,
  ) {
    for (const g of d.config.redundancy) {
      for (const p of groupMembers(g)) this.groupOf.set(p, g);
      // What the group said before a restart follows from its members' stored states.
      this.groupKey.set(g.name, groupVerdict(g, (p) => this.member(p)).key);
    }
    d.combiner?.onChange(() => {
      for (const e of this.entries.values()) if (!this.groupOf.has(e.cfg.name)) this.combined(e, undefined);
    });
  }

  /** Whether a probe belongs to a redundancy group. */
  grouped(probe: string): boolean {
    return this.groupOf.has(probe);
  }

  /** Applies the outcome's state changes, then carries out its events in order. */
  apply(o: Outcome): void {
    const changed: Entry[] = [];
    for (const p of o.patches) {
      const x = this.entries.get(p.probe);
      if (!x) continue;
      if (p.status !== undefined && x.state.status !== p.status) {
        this.d.log.info({ event: 'probe_state', probe: x.cfg.name, from: x.state.status, to: p.status, summary: x.last?.summary }, `probe ${x.cfg.name} is ${p.status}: ${x.last?.summary ?? ''}`);
        x.state.status = p.status;
        changed.push(x);
      }
      if (p.sinceMs !== undefined) x.state.sinceMs = p.sinceMs;
      if (p.behind !== undefined) x.state.behind = p.behind;
      if (p.save) this.save(x);
    }
    // With a cluster, every change of this region's verdict goes to the peers (also unknown → up,
    // which alerts nothing here but is this region's vote there).
    for (const x of changed) {
      const own = this.own(x);
      try {
        if (own) this.d.combiner?.local(x.cfg.name, own);
      } catch (err) {
        // The peers miss this change until the next one; this region's own alerts go on.
        this.d.log.error({ event: 'probe_verdict_not_recorded', probe: x.cfg.name, err: describeError(err) }, `could not record probe ${x.cfg.name}'s verdict for the other regions; they learn it at its next change`);
      }
    }
    for (const ev of o.events) this.carryOut(ev);
    // A change no alert event carried (e.g. the first up) may still change the combined verdict.
    if (this.d.combiner) for (const x of changed) if (!this.groupOf.has(x.cfg.name)) this.combined(x, undefined);
  }

  private carryOut(ev: PolicyEvent): void {
    switch (ev.kind) {
      case 'alert': {
        const x = this.entries.get(ev.probe);
        if (x) this.down(x, ev.status, ev.evidence);
        return;
      }
      case 'shared':
        return this.shared(ev.endpoint, ev.news);
      case 'rerun': {
        const x = this.entries.get(ev.probe);
        if (x) this.rerun(x);
        return;
      }
      case 'behind':
        return this.d.log.info({ event: 'probe_down_behind', probe: ev.probe, cause: ev.cause }, `${ev.probe} is down behind ${ev.cause}`);
      case 'joinedShared':
        return this.d.log.info({ event: 'probe_down_shared', probe: ev.probe, endpoint: ev.endpoint }, `${ev.probe} fails like ${ev.others} other probe(s) at ${ev.endpoint}`);
      case 'outlived':
        return this.d.log.info({ event: 'probe_down_after_cause', probe: ev.probe, cause: ev.cause }, `${ev.probe} is still down after ${ev.cause} recovered`);
    }
  }

  /** Writes one probe's state now (a member joining a shared cause); on failure it is written at its next run. */
  private save(x: Entry): void {
    try {
      this.d.store.save(x.state);
    } catch (err) {
      this.d.log.error({ event: 'probe_state_not_saved', probe: x.cfg.name, err: describeError(err) }, `could not store the state of probe ${x.cfg.name}; it is written again at its next run`);
    }
  }

  private member(name: string): MemberState {
    const e = this.entries.get(name);
    return { status: e?.state.status ?? 'unknown', summary: e?.last?.summary };
  }

  /** A member of a redundancy group changed: the group's one alert is opened, updated or resolved. */
  private group(g: RedundancyGroup): void {
    const before = this.groupKey.get(g.name);
    const step = groupStep(g, (p) => this.member(p), before);
    if (!step.alert) return;
    this.groupKey.set(g.name, step.key);
    this.d.log.info({ event: 'redundancy_group', group: g.name, state: step.alert.state }, step.alert.summary);
    this.send(groupAlert(g.name, step.alert, this.d.clock.now()), true, (err) => {
      this.d.log.error({ event: 'probe_emit_failed', group: g.name, err }, 'could not store the redundancy group alert; it is sent again at the next change');
      this.groupKey.set(g.name, before ?? '');
    });
  }

  /** A probe's own down alert fires or resolves, naming the probes down behind it. */
  private down(e: Entry, status: 'firing' | 'resolved', r: ProbeResult): void {
    const group = this.groupOf.get(e.cfg.name);
    if (group) return this.group(group);
    const behind = [...this.entries.values()].filter((x) => x.state.behind === e.cfg.name && x.state.status === 'down').map((x) => x.cfg.name);
    const p = { cfg: e.cfg, target: e.probe.target };
    if (this.d.combiner) return this.combined(e, behind);
    this.send(probeAlert(p, 'down', status, downSummary(p, status, r, behind), this.d.clock.now()), true, (err) => {
      this.d.log.error({ event: 'probe_emit_failed', probe: e.cfg.name, err }, 'could not store the probe alert; it is sent again at the next run');
      // Undo the transition so the next run tries again.
      e.state.status = status === 'firing' ? 'unknown' : 'down';
    });
  }

  /** This region's verdict on a probe, from its damped state; undefined before its first verdict. */
  private own(e: Entry): RegionVerdict | undefined {
    if (e.state.status === 'unknown') return undefined;
    return { up: e.state.status === 'up', reason: e.last?.summary ?? 'down', sinceMs: e.state.sinceMs };
  }

  /**
   * With a combiner: the probe's alerts from every region's verdict. Down from enough regions is
   * its down alert (started when the first region saw it down); down from some, up from others,
   * its regions warning; each resolves when the verdict moves on. Sent only when what it says changes.
   */
  private combined(e: Entry, behind: readonly string[] | undefined): void {
    const combiner = this.d.combiner;
    if (!combiner) return;
    const p = { cfg: e.cfg, target: e.probe.target };
    const c = combiner.combine(e.cfg, e.probe.target, this.own(e));
    if (c.kind === 'unknown') return;
    const key = c.kind === 'down' ? 'down' : c.kind === 'warning' ? `warning|${c.text}` : 'up';
    const before = this.combinedKey.get(e.cfg.name);
    if (before?.key === key) return;
    const now = this.d.clock.now();
    const failed = (err: string): void => {
      this.d.log.error({ event: 'probe_emit_failed', probe: e.cfg.name, err }, 'could not store the probe alert; it is sent again at the next change');
      if (before) this.combinedKey.set(e.cfg.name, before);
      else this.combinedKey.delete(e.cfg.name);
    };
    this.combinedKey.set(e.cfg.name, { kind: c.kind, key });
    // After a restart (nothing said yet) only a change this region just made is news; otherwise the
    // repeat filter keeps what was already posted from being posted again.
    const fromLocal = behind !== undefined;
    const news = before !== undefined || fromLocal;
    // What the probe said before and no longer says resolves first.
    if (c.kind !== 'down' && (before?.kind === 'down' || (before === undefined && fromLocal && c.kind === 'up'))) {
      this.send(probeAlert(p, 'down', 'resolved', `${e.cfg.name} (${e.probe.target}) is up again: ${c.text}`, now), true, failed);
    }
    if (c.kind !== 'warning' && before?.kind === 'warning') this.send(regionsAlert(p, 'resolved', c.text, now), true, failed);
    if (c.kind === 'down') {
      const also = behind ?? [...this.entries.values()].filter((x) => x.state.behind === e.cfg.name && x.state.status === 'down').map((x) => x.cfg.name);
      const summary = `${e.cfg.name} (${e.probe.target}) is down: ${c.text}${also.length > 0 ? `; also failing behind it: ${also.join(', ')}` : ''}`;
      this.send(probeAlert(p, 'down', 'firing', summary, c.startsAtMs, true), news, failed);
    }
    if (c.kind === 'warning') this.send(regionsAlert(p, 'firing', c.text, now), news, failed);
  }

  /** The one alert of the inferred cause at `endpoint`, from the probes down behind it now. */
  shared(endpoint: string, news: boolean): void {
    const cause = sharedCause(endpoint);
    const members = [...this.entries.values()].filter((x) => x.state.behind === cause && x.state.status === 'down');
    const b = sharedAlert(endpoint, members.map((m) => ({ name: m.cfg.name, severity: m.cfg.severity, summary: m.last?.summary ?? 'down' })), this.d.clock.now());
    this.send(b, news || b.status === 'resolved', (err) => this.d.log.error({ event: 'probe_emit_failed', endpoint, err }, 'could not store the shared alert; it is sent again at the next change'));
  }

  /** Opens, updates or resolves a probe's warning alert (e.g. certificate expiry). */
  warning(e: Entry, ev: WarningEvent): void {
    const p = { cfg: e.cfg, target: e.probe.target };
    const news = ev.status === 'resolved' || ev.news;
    this.send(probeAlert(p, 'warning', ev.status, warningSummary(p, ev.text), this.d.clock.now()), news, (err) =>
      this.d.log.error({ event: 'probe_emit_failed', probe: e.cfg.name, err }, 'could not store the probe alert; it is sent again at the next run'),
    );
  }

  /** Hands a batch to the pipeline; when storing it fails, `failed` logs and undoes what must be tried again. */
  private send(b: AlertBatch, news: boolean, failed: (err: string) => void): void {
    try {
      this.d.emit(b, news);
    } catch (err) {
      failed(describeError(err));
    }
  }
}
