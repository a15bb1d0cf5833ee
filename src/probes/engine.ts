import type { AlertBatch } from '../alerts/alert.js';
import type { ProbeConfig, ProbesConfig } from '../config/probeSchema.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { ProbeStateStore, StoredProbeState } from '../store/probeState.js';
import type { Clock } from '../util/clock.js';
import { GRACE_MS, Settings, worldOf, type Entry } from './entry.js';
import { NetworkGate } from './networkGate.js';
import type { VerdictCombiner } from './combiner.js';
import { OutcomeRunner } from './outcomes.js';
import { failedAgainOutcome, openOutcome, recoveredOutcome } from './policy/dependencies.js';
import { damp } from './policy/flapDamping.js';
import type { LastResult } from './policy/outcome.js';
import { sharedEndpoint } from './policy/sharedCause.js';
import { warningStep } from './policy/warning.js';
import { decisiveKey, writeDue } from './policy/writeThrottle.js';
import { ms, type Probe, type ProbeResult } from './probe.js';
import { Runner } from './runner.js';

export { anyEndpointAnswers } from './networkGate.js';

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
  /** With a cluster: joins this region's probe verdicts with the peers' (probes/combiner.ts). */
  combiner?: VerdictCombiner;
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
  last: LastResult | null;
}

/**
 * Runs every configured probe (probes/runner.ts: the schedule, the slots, the deadlines) and
 * composes the policies over each result, pure functions of the probes' states and the result
 * (probes/policy/): flap damping (failures_to_open, successes_to_resolve), the cut-off rule
 * (probes/networkGate.ts), causes (depends_on and inferred shared causes), redundancy groups,
 * warnings; the runner of their outcomes (probes/outcomes.ts) shapes and sends the alerts.
 *
 * The state is stored whenever a run changes anything that decides an alert (status, the counts
 * up to their thresholds, cause, warning), so a restart neither pages again nor forgets a "down";
 * the last result alone is refreshed every REFRESH_MS (policy/writeThrottle.ts) and on stop.
 */
export class ProbeEngine {
  private readonly entries = new Map<string, Entry>();
  private readonly settings: Settings;
  private readonly gate: NetworkGate;
  private readonly outcomes: OutcomeRunner;
  private readonly world;
  private readonly runner: Runner;

  constructor(private readonly d: ProbeEngineDeps) {
    this.settings = new Settings(d.config);
    const stored = d.store.load();
    const now = d.clock.now();
    for (const cfg of d.config.targets) {
      const state = stored.get(cfg.name) ?? { name: cfg.name, status: 'unknown', failures: 0, successes: 0, sinceMs: now, behind: null, warning: null, lastResult: null, lastMs: null };
      const last = state.lastResult !== null && state.lastMs !== null ? { ...(JSON.parse(state.lastResult) as ProbeResult), atMs: state.lastMs } : null;
      this.entries.set(cfg.name, { cfg, probe: d.create(cfg), state, last, timer: undefined, running: 0, saved: undefined });
    }
    this.gate = new NetworkGate(d);
    this.runner = new Runner(d, this.settings, this.entries, (e, r) => this.settle(e, r));
    this.outcomes = new OutcomeRunner(d, this.entries, (e) => this.runner.schedule(e, 0));
    this.world = worldOf(this.entries, this.settings, (p) => this.outcomes.grouped(p));
  }

  /** Starts every probe; first runs are spread over one interval. */
  start(): void {
    this.runner.start();
  }

  /** Stops scheduling, aborts runs in progress and waits for them to end (their results are dropped). */
  async stop(): Promise<void> {
    await this.runner.stop();
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
    if (this.runner.stopped) return 'the probes are not running';
    const longest = Math.max(...[...this.entries.values()].map((e) => this.settings.interval(e.cfg) + this.settings.timeout(e.cfg) + GRACE_MS));
    const since = this.runner.sinceLastRun();
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

  /** One result through the policies: damping, the cut-off rule, causes; the warning; then the stored state. */
  private async settle(e: Entry, r: ProbeResult): Promise<void> {
    const now = this.d.clock.now();
    e.last = { ...r, atMs: now };
    this.d.onResult?.(e.cfg, r);
    const s = e.state;
    if (this.gate.cut) await this.gate.ok();
    const limits = this.settings.limits(e.cfg);
    const { counts, verdict } = damp(s, r.up, limits);
    Object.assign(s, counts);
    if (verdict === 'recovered') this.outcomes.apply(recoveredOutcome(this.world, this.world.view(e), r, now));
    // Lifeline's own network first: when it is cut off, no target is to blame.
    else if (verdict === 'threshold' && (await this.gate.ok())) this.outcomes.apply(openOutcome(this.world, this.world.view(e), r, now));
    else if (verdict === 'failedWhileDown') this.outcomes.apply(failedAgainOutcome(this.world, this.world.view(e), r, now));
    const w = warningStep(s.warning, r.up, r.warning);
    s.warning = w.warning;
    if (w.event) this.outcomes.warning(e, w.event);
    s.lastMs = now;
    const key = decisiveKey(s, limits);
    const at = this.d.clock.monotonic();
    if (!writeDue(e.saved, key, at)) return;
    try {
      s.lastResult = JSON.stringify(r);
      this.d.store.save(s);
      e.saved = { key, atMs: at, lastMs: s.lastMs };
    } catch (err) {
      // Kept in memory and written at the next run that can; the alert itself went through ingest.
      this.d.log.error({ event: 'probe_state_not_saved', probe: e.cfg.name, err: describeError(err) }, `could not store the state of probe ${e.cfg.name}; it is written again at its next run`);
    }
  }
}
