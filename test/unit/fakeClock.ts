import type { Clock, TimerHandle } from '../../src/util/clock.js';

/**
 * A clock that moves only when told to: timers fire in order during `advance`, which moves wall
 * and monotonic time together; `stepWall` moves only the wall clock, as NTP or an operator does.
 */
export class FakeClock implements Clock {
  private t: number;
  private mono = 1_000_000;
  private next = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();
  constructor(start = Date.UTC(2026, 10, 23, 12, 0, 0)) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.mono;
  }
  /** Steps the wall clock by `ms` (negative: backwards); monotonic time and timers are untouched. */
  stepWall(ms: number): void {
    this.t += ms;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.timers.set(id, { at: this.mono + Math.max(0, ms), fn });
    return { id };
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete(handle.id);
  }
  /** Pending timers. */
  get pending(): number {
    return this.timers.size;
  }
  /** Moves time forward, firing due timers in time order (bounded). */
  advance(ms: number): void {
    const end = this.mono + ms;
    for (let i = 0; i < 100_000; i++) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!due || e[1].at < due[1].at)) due = e;
      if (!due) break;
      this.timers.delete(due[0]);
      if (due[1].at > this.mono) {
        this.t += due[1].at - this.mono;
        this.mono = due[1].at;
      }
      due[1].fn();
    }
    this.t += end - this.mono;
    this.mono = end;
  }
}
