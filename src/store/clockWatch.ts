import { formatDuration } from '../config/duration.js';
import type { Logger } from '../observability/logger.js';
import { ClockStepWatcher } from '../util/clockStep.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Db } from './db.js';
import { rebaseTimes } from './rebase.js';

/** How often the wall clock is checked for steps (escalation also checks before each pass). */
export const CLOCK_CHECK_MS = 5_000;

/** A clock-step fault stays listed this long after the last step (monotonic), then clears. */
export const CLOCK_FAULT_MS = 60 * 60_000;

/** Where the clock watch reports a step: Lifeline's own faults (escalation/faults.ts). */
export interface ClockFaults {
  raise(kind: 'clock_step', detail: string): void;
  clear(kind: 'clock_step'): void;
}

/** What the clock watch needs. */
export interface ClockWatchDeps {
  clock: Clock;
  db: Db;
  log: Logger;
  faults: ClockFaults;
  /** Called after a step found by the periodic check (not by `check()` callers): waits may be due now. */
  onStep(): void;
}

/**
 * Watches the wall clock for steps (NTP correcting a wrong clock, an operator, a VM resumed) and
 * keeps every wait its length: the stored times that measure waits are moved by the step
 * (store/rebase.ts). A step is also Lifeline's fault `clock_step`, since the host's time keeping is
 * broken and on-call schedules and quiet hours follow the wall clock; it clears an hour (monotonic)
 * after the last step.
 */
export class ClockWatch {
  private readonly steps: ClockStepWatcher;
  private lastStepMono: number | undefined;
  private timer: TimerHandle | undefined;

  constructor(private readonly d: ClockWatchDeps) {
    this.steps = new ClockStepWatcher(d.clock);
  }

  /** Checks once: true when the wall clock stepped (and stored times were moved with it). */
  check(): boolean {
    const { clock, db, log, faults } = this.d;
    const step = this.steps.check();
    if (step === 0) {
      if (this.lastStepMono !== undefined && clock.monotonic() - this.lastStepMono > CLOCK_FAULT_MS) {
        this.lastStepMono = undefined;
        faults.clear('clock_step');
      }
      return false;
    }
    const rows = rebaseTimes(db, step, clock.now());
    const words = `the wall clock stepped ${step > 0 ? 'forward' : 'back'} ${formatDuration(Math.abs(step))}`;
    log.warn({ event: 'clock_step', step_ms: step, rows }, `${words}; ${rows} stored time(s) moved with it so every wait keeps its length`);
    this.lastStepMono = clock.monotonic();
    faults.raise('clock_step', `${words} at ${new Date(clock.now()).toISOString()}; waits were kept, but check the host's time sync (chrony/ntpd): on-call schedules and quiet hours follow the wall clock`);
    return true;
  }

  /** Checks every CLOCK_CHECK_MS until stop(); after a step calls onStep. */
  start(): void {
    const tick = (): void => {
      if (this.check()) this.d.onStep();
      this.timer = this.d.clock.setTimeout(tick, CLOCK_CHECK_MS);
    };
    this.timer = this.d.clock.setTimeout(tick, CLOCK_CHECK_MS);
  }

  /** Stops the periodic check. */
  stop(): void {
    this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
