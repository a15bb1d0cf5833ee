import type { Clock } from './clock.js';

/**
 * Notices wall-clock steps (NTP correcting a wrong clock, an operator, a VM resumed) by watching
 * the wall clock against the monotonic one. Slow drift below the tolerance per check is absorbed,
 * as NTP slews it; anything bigger is a step.
 */
export class ClockStepWatcher {
  private offset: number;

  constructor(
    private readonly clock: Clock,
    private readonly toleranceMs = 1_000,
  ) {
    this.offset = clock.now() - clock.monotonic();
  }

  /** The step since the last check, in ms (negative: the wall clock went back), or 0. */
  check(): number {
    const o = this.clock.now() - this.clock.monotonic();
    const step = o - this.offset;
    this.offset = o;
    return Math.abs(step) < this.toleranceMs ? 0 : step;
  }
}
