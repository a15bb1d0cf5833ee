import { describeError } from '../errors.js';
import type { ProbesConfig } from '../config/probeSchema.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { GRACE_MS, type Entry, type Settings } from './entry.js';
import { failed, ms, type ProbeResult } from './probe.js';

/** Runs of one probe at once, at most (a timeout longer than the interval makes them overlap). */
const MAX_OVERLAP = 3;

/**
 * The schedule: every probe on its interval (with ±10 % jitter, the first run spread over one
 * interval), at most `concurrency` at once; a slow or hanging probe holds only its own slot, and
 * is abandoned GRACE_MS after its timeout. Each result goes to `settle`.
 */
export class Runner {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Whether scheduling is stopped (before start, after stop). */
  stopped = true;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  /** Monotonic time of the start, and of the last finished run (for stalled()). */
  private startedMono = 0;
  private lastRunMono: number | undefined;

  constructor(
    private readonly d: { config: ProbesConfig; clock: Clock; random?(): number },
    private readonly settings: Settings,
    private readonly entries: ReadonlyMap<string, Entry>,
    private readonly settle: (e: Entry, r: ProbeResult) => Promise<void>,
  ) {}

  /** Starts every probe; first runs are spread over one interval. */
  start(): void {
    this.stopped = false;
    this.startedMono = this.d.clock.monotonic();
    for (const e of this.entries.values()) this.schedule(e, this.rand() * this.settings.interval(e.cfg));
  }

  /** Stops scheduling, aborts runs in progress and waits for them to end (their results are dropped). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const e of this.entries.values()) this.d.clock.clearTimeout(e.timer);
    for (const w of this.waiting.splice(0)) w();
    for (const c of this.controllers) c.abort(new Error('Lifeline is stopping'));
    await Promise.all([...this.inFlight]);
  }

  /** Monotonic ms since the last finished run (or the start). */
  sinceLastRun(): number {
    return this.d.clock.monotonic() - (this.lastRunMono ?? this.startedMono);
  }

  private rand(): number {
    return (this.d.random ?? Math.random)();
  }

  /** Runs `e` after `delayMs`, and from then on at its interval. */
  schedule(e: Entry, delayMs: number): void {
    if (this.stopped) return;
    this.d.clock.clearTimeout(e.timer);
    e.timer = this.d.clock.setTimeout(() => {
      // A fixed cadence, as Prometheus scrapes: the next run is due an interval after this one
      // started, whether or not this one has finished, so a target that hangs is found within
      // failures_to_open × interval + timeout, not failures_to_open × (interval + timeout).
      this.schedule(e, this.settings.interval(e.cfg) * (0.9 + 0.2 * this.rand()));
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
    const timeoutMs = this.settings.timeout(e.cfg);
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
    this.lastRunMono = this.d.clock.monotonic();
    await this.settle(e, result);
  }
}
