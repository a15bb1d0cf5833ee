import net from 'node:net';
import type { Alert, AlertBatch } from '../alerts/alert.js';
import type { ProbeConfig, ProbesConfig } from '../config/probeSchema.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { ProbeStateStore, StoredProbeState } from '../store/probeState.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { failed, ms, type Probe, type ProbeResult } from './probe.js';
import { decideShared, sharedEndpoint, sharedSummary, type SharedCandidate } from './sharedCause.js';
import { bySeverity } from '../alerts/severity.js';
import { groupVerdict, type MemberState, type RedundancyGroup } from './redundancy.js';

/** What the engine needs. */
export interface ProbeEngineDeps {
  config: ProbesConfig;
  clock: Clock;
  log: Logger;
  store: ProbeStateStore;
  /** Builds a probe from its config (probes/registry.ts; tests pass their own). */
  create(cfg: ProbeConfig): Probe;
  /**
   * Hands an alert batch to the pipeline (the same ingest Alertmanager's alerts go through).
   * `news`: it says something the channel has not heard (an alert opened or resolved, a group's
   * verdict, a dependency's list), so it is posted even when its fingerprint and status are what
   * was posted last; false for a refreshed text (a memory warning's numbers), which the repeat
   * filter holds back until its reminder is due.
   */
  emit(batch: AlertBatch, news: boolean): void;
  /** Whether Lifeline's own network works: true when any reference endpoint answers (none configured: true). */
  networkOk?(): Promise<boolean>;
  /** Lifeline's own network is cut off (or back): reported once as Lifeline's fault. */
  cutOff?(cut: boolean, detail: string): void;
  /** After each run (metrics). */
  onResult?(cfg: ProbeConfig, result: ProbeResult): void;
  /** 0 ≤ x < 1, for jitter (tests fix it). */
  random?(): number;
}

/** A probe's state for people and the status API. */
export interface ProbeStatus {
  name: string;
  kind: ProbeConfig['kind'];
  target: string;
  group: string | undefined;
  status: StoredProbeState['status'];
  sinceMs: number;
  failures: number;
  behind: string | null;
  warning: string | null;
  last: (ProbeResult & { atMs: number }) | null;
}

interface Entry {
  cfg: ProbeConfig;
  probe: Probe;
  state: StoredProbeState;
  last: (ProbeResult & { atMs: number }) | null;
  timer: TimerHandle | undefined;
  /** Runs of this probe in progress (they may overlap when the timeout is longer than the interval). */
  running: number;
  /** What was last written to the store: its decisiveKey, when (monotonic ms) and the result's time. */
  saved: { key: string; atMs: number; lastMs: number | null } | undefined;
}

/** Reference endpoints are asked at most this often. */
const NETWORK_CHECK_MS = 5_000;

/** Runs of one probe at once, at most (a timeout longer than the interval makes them overlap). */
const MAX_OVERLAP = 3;

/** Extra time a probe gets past its timeout before it is abandoned (a probe that ignores its signal). */
const GRACE_MS = 1_000;

/**
 * A run that changes nothing decisive refreshes the stored last result at most this often. Writing
 * every run cost a synchronous fsync each: with 2,000 probes that was a third of Lifeline's CPU.
 */
const REFRESH_MS = 5 * 60_000;

/**
 * Runs every configured probe on its interval (with ±10 % jitter, the first run spread over one
 * interval), at most `concurrency` at once; a slow or hanging probe holds only its own slot, and
 * is abandoned GRACE_MS after its timeout.
 *
 * Flap damping: a probe's alert opens after `failures_to_open` failures in a row and resolves after
 * `successes_to_resolve` successes in a row. The state is stored whenever a run changes anything
 * that decides an alert (status, the counts up to their thresholds, cause, warning), so a restart
 * neither pages again nor forgets a "down"; the last result alone is refreshed every REFRESH_MS
 * and on stop.
 *
 * Causes: a probe that fails while the probe it `depends_on` is down gets no alert of its own; the
 * dependency's alert names it ("also failing behind it: wiki, feedme"): one incident for one cause.
 * Before any alert opens, the reference endpoints are checked: when none answers, Lifeline itself
 * is cut off, which is reported once as Lifeline's fault and never as N outages.
 */
export class ProbeEngine {
  private readonly entries = new Map<string, Entry>();
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private stopped = true;
  private cut = false;
  private network: { atMs: number; ok: boolean } | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  /** Redundancy groups by member probe, and the key of each group's last verdict. */
  private readonly groupOf = new Map<string, RedundancyGroup>();
  private readonly groupKey = new Map<string, string>();
  /** Monotonic time of the start, and of the last finished run (for stalled()). */
  private startedMono = 0;
  private lastRunMono: number | undefined;

  constructor(private readonly d: ProbeEngineDeps) {
    const stored = d.store.load();
    const now = d.clock.now();
    for (const cfg of d.config.targets) {
      const state = stored.get(cfg.name) ?? { name: cfg.name, status: 'unknown', failures: 0, successes: 0, sinceMs: now, behind: null, warning: null, lastResult: null, lastMs: null };
      const last = state.lastResult !== null && state.lastMs !== null ? { ...(JSON.parse(state.lastResult) as ProbeResult), atMs: state.lastMs } : null;
      this.entries.set(cfg.name, { cfg, probe: d.create(cfg), state, last, timer: undefined, running: 0, saved: undefined });
    }
    for (const g of d.config.redundancy) {
      for (const p of [...(g.portal !== undefined ? [g.portal] : []), ...g.nodes.flatMap((n) => n.probes)]) this.groupOf.set(p, g);
      // What the group said before a restart follows from its members' stored states.
      this.groupKey.set(g.name, groupVerdict(g, (p) => this.member(p)).key);
    }
  }

  private member(name: string): MemberState {
    const e = this.entries.get(name);
    return { status: e?.state.status ?? 'unknown', summary: e?.last?.summary };
  }

  /** A member of a redundancy group changed: the group's one alert is opened, updated or resolved. */
  private evaluateGroup(g: RedundancyGroup): void {
    const v = groupVerdict(g, (p) => this.member(p));
    const before = this.groupKey.get(g.name);
    if (v.key === before) return;
    this.groupKey.set(g.name, v.key);
    const labels: Record<string, string> = { alertname: 'VpnRedundancy', redundancy_group: g.name, kind: 'redundancy', instance: g.name, state: v.state, severity: v.severity };
    const now = new Date(this.d.clock.now()).toISOString();
    const status = v.state === 'ok' ? 'resolved' : 'firing';
    this.d.log.info({ event: 'redundancy_group', group: g.name, state: v.state }, v.summary);
    const alert: Alert = { fingerprint: `redundancy:${g.name}`, status, labels, annotations: { summary: v.summary }, startsAt: status === 'firing' ? now : '', endsAt: status === 'resolved' ? now : '', generatorURL: '' };
    try {
      this.d.emit({ source: 'probe', groupKey: alert.fingerprint, status, commonLabels: labels, truncatedAlerts: 0, alerts: [alert] }, true);
    } catch (err) {
      this.d.log.error({ event: 'probe_emit_failed', group: g.name, err: describeError(err) }, 'could not store the redundancy group alert; it is sent again at the next change');
      this.groupKey.set(g.name, before ?? '');
    }
  }

  /** Starts every probe; first runs are spread over one interval. */
  start(): void {
    this.stopped = false;
    this.startedMono = this.d.clock.monotonic();
    for (const e of this.entries.values()) this.schedule(e, this.rand() * this.interval(e));
  }

  /** Stops scheduling, aborts runs in progress and waits for them to end (their results are dropped). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const e of this.entries.values()) this.d.clock.clearTimeout(e.timer);
    for (const w of this.waiting.splice(0)) w();
    for (const c of this.controllers) c.abort(new Error('Lifeline is stopping'));
    await Promise.all([...this.inFlight]);
    const unsaved = [...this.entries.values()].filter((e) => e.state.lastMs !== null && e.saved?.lastMs !== e.state.lastMs);
    try {
      this.d.store.saveAll(unsaved.map((e) => ({ ...e.state, lastResult: e.last ? JSON.stringify({ ...e.last, atMs: undefined }) : e.state.lastResult })));
    } catch (err) {
      this.d.log.warn({ event: 'probe_state_not_saved', err: describeError(err) }, `could not store the last results of ${unsaved.length} probes; their damped state was stored when it changed`);
    }
  }

  /**
   * Why the probes are not running, or undefined when they are (or none are configured): stopped,
   * or no run has finished for three times the longest interval plus timeout (a stalled scheduler,
   * every slot held by hung runs). Lifeline's outbound heartbeat stops being "healthy" then.
   */
  stalled(): string | undefined {
    if (this.entries.size === 0) return undefined;
    if (this.stopped) return 'the probes are not running';
    const longest = Math.max(...[...this.entries.values()].map((e) => this.interval(e) + (e.cfg.timeout ?? this.d.config.timeout) + GRACE_MS));
    const since = this.d.clock.monotonic() - (this.lastRunMono ?? this.startedMono);
    return since > 3 * longest ? `no probe has finished a run for ${ms(since)} (expected one every ${ms(longest)} at most)` : undefined;
  }

  /** Every probe's state, in config order. */
  status(): ProbeStatus[] {
    return [...this.entries.values()].map((e) => ({
      name: e.cfg.name,
      kind: e.cfg.kind,
      target: e.probe.target,
      group: e.cfg.group,
      status: e.state.status,
      sinceMs: e.state.sinceMs,
      failures: e.state.failures,
      behind: sharedEndpoint(e.state.behind) !== undefined ? `${sharedEndpoint(e.state.behind) as string} (shared endpoint)` : e.state.behind,
      warning: e.state.warning,
      last: e.last,
    }));
  }

  private rand(): number {
    return (this.d.random ?? Math.random)();
  }

  private interval(e: Entry): number {
    return e.cfg.interval ?? this.d.config.interval;
  }

  private schedule(e: Entry, delayMs: number): void {
    if (this.stopped) return;
    this.d.clock.clearTimeout(e.timer);
    e.timer = this.d.clock.setTimeout(() => {
      // A fixed cadence, as Prometheus scrapes: the next run is due an interval after this one
      // started, whether or not this one has finished, so a target that hangs is found within
      // failures_to_open × interval + timeout, not failures_to_open × (interval + timeout).
      this.schedule(e, this.interval(e) * (0.9 + 0.2 * this.rand()));
      const p = this.runOnce(e).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }, Math.max(0, delayMs));
  }

  private async slot(): Promise<boolean> {
    while (this.running >= this.d.config.concurrency) {
      if (this.stopped) return false;
      await new Promise<void>((r) => this.waiting.push(r));
    }
    this.running++;
    return true;
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }

  private async runOnce(e: Entry): Promise<void> {
    if (e.running >= MAX_OVERLAP || !(await this.slot())) return;
    e.running++;
    const timeoutMs = e.cfg.timeout ?? this.d.config.timeout;
    const controller = new AbortController();
    this.controllers.add(controller);
    const abortTimer = this.d.clock.setTimeout(() => controller.abort(new Error('probe timeout')), timeoutMs);
    let guard: TimerHandle | undefined;
    let result: ProbeResult;
    try {
      result = await Promise.race([
        e.probe.run({ signal: controller.signal, timeoutMs, nowMs: this.d.clock.now() }).catch((err: unknown) => failed(`probe failed unexpectedly: ${describeError(err)}`)),
        new Promise<ProbeResult>((resolve) => {
          guard = this.d.clock.setTimeout(() => resolve(failed(`no result within ${ms(timeoutMs)} (the probe did not finish)`)), timeoutMs + GRACE_MS);
          controller.signal.addEventListener('abort', () => {
            if (this.stopped) resolve(failed('stopped'));
          });
        }),
      ]);
    } finally {
      this.controllers.delete(controller);
      this.d.clock.clearTimeout(abortTimer);
      this.d.clock.clearTimeout(guard);
      e.running--;
      this.release();
    }
    if (this.stopped) return;
    await this.settle(e, result);
  }

  /** Damping, causes, the cut-off rule; then the alert and the stored state. */
  private async settle(e: Entry, r: ProbeResult): Promise<void> {
    const now = this.d.clock.now();
    this.lastRunMono = this.d.clock.monotonic();
    e.last = { ...r, atMs: now };
    this.d.onResult?.(e.cfg, r);
    const s = e.state;
    if (this.cut) await this.networkOk();
    const openAfter = e.cfg.failures_to_open ?? this.d.config.failures_to_open;
    const resolveAfter = e.cfg.successes_to_resolve ?? this.d.config.successes_to_resolve;
    if (r.up) {
      s.successes++;
      s.failures = 0;
      if (s.status === 'unknown' || (s.status === 'down' && s.successes >= resolveAfter)) {
        const wasDown = s.status === 'down';
        const wasBehind = s.behind;
        this.setStatus(e, 'up', now);
        if (wasDown && s.behind === null) this.emit(e, 'resolved', r);
        s.behind = null;
        const shared = sharedEndpoint(wasBehind);
        if (shared !== undefined) this.emitShared(shared, true);
        if (wasDown) this.causeRecovered(e);
      }
    } else {
      s.failures++;
      s.successes = 0;
      if (s.status !== 'down' && s.failures >= openAfter) await this.open(e, r, now);
      else if (s.status === 'down' && s.behind !== null) this.stillBehind(e, r, now);
    }
    this.warn(e, r.up ? (r.warning ?? null) : s.warning);
    s.lastMs = now;
    const key = this.decisiveKey(e, openAfter, resolveAfter);
    const at = this.d.clock.monotonic();
    if (e.saved?.key === key && at - e.saved.atMs < REFRESH_MS) return;
    try {
      s.lastResult = JSON.stringify(r);
      this.d.store.save(s);
      e.saved = { key, atMs: at, lastMs: s.lastMs };
    } catch (err) {
      // Kept in memory and written at the next run that can; the alert itself went through ingest.
      this.d.log.error({ event: 'probe_state_not_saved', probe: e.cfg.name, err: describeError(err) }, `could not store the state of probe ${e.cfg.name}; it is written again at its next run`);
    }
  }

  /**
   * Everything in a probe's state that decides its alerts: failures count towards opening only
   * while it is not down, successes towards resolving only while it is; counts past their
   * threshold decide nothing more. (So a healthy probe's second success is no write.)
   */
  private decisiveKey(e: Entry, openAfter: number, resolveAfter: number): string {
    const s = e.state;
    const down = s.status === 'down';
    return `${s.status}|${s.sinceMs}|${down ? '-' : Math.min(s.failures, openAfter)}|${down ? Math.min(s.successes, resolveAfter) : '-'}|${JSON.stringify(s.behind)}|${JSON.stringify(s.warning)}`;
  }

  /** Whether Lifeline's own network works (reference endpoints), asked at most every NETWORK_CHECK_MS. */
  private async networkOk(): Promise<boolean> {
    if (!this.d.networkOk) return true;
    const now = this.d.clock.monotonic();
    if (this.network && now - this.network.atMs < NETWORK_CHECK_MS) return this.network.ok;
    const ok = await this.d.networkOk();
    this.network = { atMs: this.d.clock.monotonic(), ok };
    if (!ok && !this.cut) {
      this.cut = true;
      this.d.log.error({ event: 'probe_network_cut_off' }, 'no reference endpoint answers: Lifeline itself is cut off; probe failures are not reported as outages');
      this.d.cutOff?.(true, 'probes fail and no reference endpoint (probes.reference_endpoints) answers either');
    } else if (ok && this.cut) {
      this.cut = false;
      this.d.log.info({ event: 'probe_network_back' }, 'a reference endpoint answers again');
      this.d.cutOff?.(false, 'a reference endpoint answers again');
    }
    return ok;
  }

  private async open(e: Entry, r: ProbeResult, now: number): Promise<void> {
    // Lifeline's own network first: when it is cut off, no target is to blame.
    if (!(await this.networkOk())) return;
    const deps = this.dependencies(e);
    // A dependency is failing but has not decided yet: wait for it, so that one cause opens one
    // incident (this probe opens on a later run if the dependency turns out fine).
    if (deps.some((d) => d.state.status !== 'down' && d.state.failures > 0)) return;
    const dep = deps.find((d) => d.state.status === 'down');
    if (!dep) {
      const shared = decideShared(this.candidate(e), r, [...this.entries.values()].map((x) => this.candidate(x)), now);
      // Another probe failing the same way is still deciding: wait for it (one group, one alert).
      if (shared.kind === 'wait') return;
      if (shared.kind === 'shared') return this.openShared(shared.cause, shared.members, now);
    }
    this.setStatus(e, 'down', now);
    if (dep) {
      // One cause, one incident: the dependency's alert names this probe.
      e.state.behind = dep.cfg.name;
      this.d.log.info({ event: 'probe_down_behind', probe: e.cfg.name, cause: dep.cfg.name }, `${e.cfg.name} is down behind ${dep.cfg.name}`);
      if (dep.last) this.emit(dep, 'firing', dep.last);
      return;
    }
    e.state.behind = null;
    this.emit(e, 'firing', r);
  }

  /**
   * A cause is up again: the probes down behind it are run again now. One that still fails has
   * outlived its cause and opens as its own alert at once (outlivedCause); one that answers
   * resolves quietly (it never had an alert of its own).
   */
  private causeRecovered(cause: Entry): void {
    for (const x of this.entries.values()) {
      if (x.state.behind === cause.cfg.name && x.state.status === 'down') this.schedule(x, 0);
    }
  }

  /** How a probe looks to the shared-cause inference (probes/sharedCause.ts). Redundancy group members take no part: their group speaks for them. */
  private candidate(x: Entry): SharedCandidate {
    return {
      name: x.cfg.name,
      status: x.state.status,
      failures: x.state.failures,
      openAfter: x.cfg.failures_to_open ?? this.d.config.failures_to_open,
      behind: x.state.behind,
      infer: x.cfg.infer_cause && !this.groupOf.has(x.cfg.name),
      dependsOn: x.cfg.depends_on ?? [],
      last: x.last,
      windowMs: this.interval(x) * 1.1 + (x.cfg.timeout ?? this.d.config.timeout) + GRACE_MS,
    };
  }

  /** Several probes fail the same way at one endpoint: they go down behind it, and its one alert names them. */
  private openShared(cause: string, members: readonly string[], now: number): void {
    for (const name of members) {
      const m = this.entries.get(name);
      if (!m) continue;
      this.setStatus(m, 'down', now);
      if (m.state.behind !== cause) this.d.log.info({ event: 'probe_down_shared', probe: name, endpoint: cause.slice(1) }, `${name} fails like ${members.length - 1} other probe(s) at ${cause.slice(1)}`);
      m.state.behind = cause;
      try {
        this.d.store.save(m.state);
      } catch (err) {
        this.d.log.error({ event: 'probe_state_not_saved', probe: name, err: describeError(err) }, `could not store the state of probe ${name}; it is written again at its next run`);
      }
    }
    this.emitShared(cause.slice(1), true);
  }

  /** A probe down behind a cause failed again: is it still explained? */
  private stillBehind(e: Entry, r: ProbeResult, now: number): void {
    const endpoint = sharedEndpoint(e.state.behind);
    if (endpoint === undefined) {
      if (this.entries.get(e.state.behind as string)?.state.status !== 'down') this.causeGone(e, r, now);
      return;
    }
    if (r.endpoint === endpoint) return;
    // It fails elsewhere or otherwise now (its own DNS, another address): no longer the endpoint's doing.
    e.state.behind = null;
    e.state.sinceMs = now;
    this.emit(e, 'firing', { ...r, summary: `${r.summary} (no longer failing at ${endpoint} with the others)` });
    this.emitShared(endpoint, false);
  }

  /**
   * The one alert of an inferred cause: firing while any probe is down behind the endpoint, with
   * their names and one member's evidence; resolved when none is. Its severity is its worst
   * member's.
   */
  private emitShared(endpoint: string, news: boolean): void {
    const cause = `~${endpoint}`;
    const members = [...this.entries.values()].filter((x) => x.state.behind === cause && x.state.status === 'down');
    const status = members.length > 0 ? 'firing' : 'resolved';
    const severity = members.map((m) => m.cfg.severity).sort(bySeverity)[0] ?? 'critical';
    const summary = status === 'firing' ? sharedSummary(endpoint, members.map((m) => ({ name: m.cfg.name, summary: m.last?.summary ?? 'down' }))) : `${endpoint}: the probes that failed behind it answer again`;
    const labels: Record<string, string> = { alertname: 'ProbeDown', probe: cause, kind: 'shared', target: endpoint, instance: endpoint, severity };
    const now = new Date(this.d.clock.now()).toISOString();
    const alert: Alert = { fingerprint: `probe:${cause}`, status, labels, annotations: { summary }, startsAt: status === 'firing' ? now : '', endsAt: status === 'resolved' ? now : '', generatorURL: '' };
    try {
      this.d.emit({ source: 'probe', groupKey: alert.fingerprint, status, commonLabels: labels, truncatedAlerts: 0, alerts: [alert] }, news || status === 'resolved');
    } catch (err) {
      this.d.log.error({ event: 'probe_emit_failed', endpoint, err: describeError(err) }, 'could not store the shared alert; it is sent again at the next change');
    }
  }

  /** The probes `e` depends on (depends_on), in config order. */
  private dependencies(e: Entry): Entry[] {
    return (e.cfg.depends_on ?? []).flatMap((n) => this.entries.get(n) ?? []);
  }

  /**
   * A probe down behind a cause that is no longer down failed again: another dependency still
   * down explains it now (its alert names it); otherwise nothing does, so it opens as its own
   * alert ("still down after proxy, which it depends on, recovered") instead of staying silent
   * until it recovers too.
   */
  private causeGone(e: Entry, r: ProbeResult, now: number): void {
    const cause = e.state.behind as string;
    const other = this.dependencies(e).find((d) => d.state.status === 'down');
    if (other) {
      e.state.behind = other.cfg.name;
      if (other.last) this.emit(other, 'firing', other.last);
      return;
    }
    e.state.behind = null;
    e.state.sinceMs = now;
    this.d.log.info({ event: 'probe_down_after_cause', probe: e.cfg.name, cause }, `${e.cfg.name} is still down after ${cause} recovered`);
    this.emit(e, 'firing', { ...r, summary: `${r.summary} (still down after ${cause}, which it depends on, recovered)` });
  }

  private setStatus(e: Entry, status: StoredProbeState['status'], now: number): void {
    if (e.state.status === status) return;
    this.d.log.info({ event: 'probe_state', probe: e.cfg.name, from: e.state.status, to: status, summary: e.last?.summary }, `probe ${e.cfg.name} is ${status}: ${e.last?.summary ?? ''}`);
    e.state.status = status;
    e.state.sinceMs = now;
  }

  /** Opens, keeps or resolves the probe's warning alert (e.g. certificate expiry). */
  private warn(e: Entry, warning: string | null): void {
    const before = e.state.warning;
    e.state.warning = warning;
    if (warning !== null && before !== warning) this.emitAlert(e, 'warning', 'firing', `${e.cfg.name} (${e.probe.target}): ${warning}`, before === null);
    if (warning === null && before !== null) this.emitAlert(e, 'warning', 'resolved', `${e.cfg.name} (${e.probe.target}): ${before}`);
  }

  private emit(e: Entry, status: 'firing' | 'resolved', r: ProbeResult): void {
    // A member of a redundancy group has no alert of its own: the group's alert speaks for it.
    const group = this.groupOf.get(e.cfg.name);
    if (group) return this.evaluateGroup(group);
    const behind = [...this.entries.values()].filter((x) => x.state.behind === e.cfg.name && x.state.status === 'down').map((x) => x.cfg.name);
    const also = behind.length > 0 ? `; also failing behind it: ${behind.join(', ')}` : '';
    const still = behind.length > 0 ? `; still down behind it, checked again now: ${behind.join(', ')}` : '';
    const summary = status === 'firing' ? `${e.cfg.name} (${e.probe.target}) is down: ${r.summary}${also}` : `${e.cfg.name} (${e.probe.target}) is up again: ${r.summary}${still}`;
    this.emitAlert(e, 'down', status, summary);
  }

  private emitAlert(e: Entry, what: 'down' | 'warning', status: 'firing' | 'resolved', summary: string, news = true): void {
    const labels: Record<string, string> = {
      ...e.cfg.labels,
      alertname: what === 'down' ? 'ProbeDown' : 'ProbeWarning',
      probe: e.cfg.name,
      kind: e.cfg.kind,
      target: e.probe.target,
      instance: e.cfg.name,
      severity: what === 'down' ? e.cfg.severity : 'warning',
      ...(e.cfg.group !== undefined ? { group: e.cfg.group } : {}),
    };
    const now = new Date(this.d.clock.now()).toISOString();
    const alert: Alert = {
      fingerprint: `probe:${e.cfg.name}${what === 'warning' ? ':warning' : ''}`,
      status,
      labels,
      annotations: { summary },
      startsAt: status === 'firing' ? now : '',
      endsAt: status === 'resolved' ? now : '',
      generatorURL: '',
    };
    try {
      this.d.emit({ source: 'probe', groupKey: alert.fingerprint, status, commonLabels: labels, truncatedAlerts: 0, alerts: [alert] }, news);
    } catch (err) {
      this.d.log.error({ event: 'probe_emit_failed', probe: e.cfg.name, err: describeError(err) }, 'could not store the probe alert; it is sent again at the next run');
      // Undo the transition so the next run tries again.
      if (what === 'down') e.state.status = status === 'firing' ? 'unknown' : 'down';
    }
  }
}

/** Whether any of `endpoints` ("host:port") accepts a TCP connection within `timeoutMs`. None: true. */
export async function anyEndpointAnswers(endpoints: readonly string[], timeoutMs: number): Promise<boolean> {
  if (endpoints.length === 0) return true;
  const tries = endpoints.map(
    (ep) =>
      new Promise<boolean>((resolve) => {
        const i = ep.lastIndexOf(':');
        const host = ep.slice(0, i).replace(/^\[|\]$/g, '');
        const s = net.connect({ host, port: Number(ep.slice(i + 1)), timeout: timeoutMs });
        const end = (ok: boolean): void => {
          s.destroy();
          resolve(ok);
        };
        s.once('connect', () => end(true));
        s.once('timeout', () => end(false));
        s.once('error', () => end(false));
      }),
  );
  return (await Promise.all(tries)).some(Boolean);
}
