/**
 * Time, injected. Production code never calls Date.now() or setTimeout directly, so timing logic
 * (backoff, flood control, dead-link detection, digests) runs on a fake clock in unit tests.
 * Timers run on the monotonic clock (Node's timers do): a wall-clock step never stalls them.
 */
export interface Clock {
  /**
   * Wall time, milliseconds since the epoch: for what people read, for schedules (on-call,
   * maintenance, quiet hours) and for timestamps stored on disk. It can step (NTP, an operator).
   */
  now(): number;
  /**
   * Monotonic milliseconds from an arbitrary origin: for every duration and timeout measured in
   * memory (dead-link detection, canary round trips, flood control). It never steps.
   */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** An opaque timer handle. */
export interface TimerHandle {
  readonly id: number;
}

/** The real clock. Timers are unref'd: a pending timer never keeps the process alive on its own. */
export function systemClock(): Clock {
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    setTimeout(fn, ms) {
      const id = next++;
      const t = setTimeout(() => {
        timers.delete(id);
        fn();
      }, Math.max(0, ms));
      t.unref();
      timers.set(id, t);
      return { id };
    },
    clearTimeout(handle) {
      if (!handle) return;
      const t = timers.get(handle.id);
      if (t) clearTimeout(t);
      timers.delete(handle.id);
    },
  };
}

/** Resolves after `ms` on the given clock, or rejects when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
