import type { AlertBatch } from '../alerts/alert.js';
import type { ProbesConfig } from '../config/probeSchema.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { ProbeStateStore } from '../store/probeState.js';
import type { Clock } from '../util/clock.js';
import { downSummary, groupAlert, probeAlert, sharedAlert, warningSummary } from './alertShape.js';
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
  }

  /** Whether a probe belongs to a redundancy group. */
  grouped(probe: string): boolean {
    return this.groupOf.has(probe);
  }

  /** Applies the outcome's state changes, then carries out its events in order. */
  apply(o: Outcome): void {
    for (const p of o.patches) {
      const x = this.entries.get(p.probe);
      if (!x) continue;
      if (p.status !== undefined && x.state.status !== p.status) {
        this.d.log.info({ event: 'probe_state', probe: x.cfg.name, from: x.state.status, to: p.status, summary: x.last?.summary }, `probe ${x.cfg.name} is ${p.status}: ${x.last?.summary ?? ''}`);
        x.state.status = p.status;
      }
      if (p.sinceMs !== undefined) x.state.sinceMs = p.sinceMs;
      if (p.behind !== undefined) x.state.behind = p.behind;
      if (p.save) this.save(x);
    }
    for (const ev of o.events) this.carryOut(ev);
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
    this.send(probeAlert(p, 'down', status, downSummary(p, status, r, behind), this.d.clock.now()), true, (err) => {
      this.d.log.error({ event: 'probe_emit_failed', probe: e.cfg.name, err }, 'could not store the probe alert; it is sent again at the next run');
      // Undo the transition so the next run tries again.
      e.state.status = status === 'firing' ? 'unknown' : 'down';
    });
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
