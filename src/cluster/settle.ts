import { sleep, type Clock } from '../util/clock.js';

/** What settling needs to know of one peer. */
export interface SettleTarget {
  readonly peer: string;
  /** The last sequence of the peer's own stream, asked across the link; undefined when the peer's region does not answer. */
  originLastSeq(): Promise<number | undefined>;
  /** The highest sequence of that stream this instance has processed. */
  processedSeq(): number;
}

/** How settling ended. */
export interface SettleOutcome {
  /** Peers whose stream was read up to its end. */
  readonly caughtUp: readonly string[];
  /** Peers whose region did not answer: not waited for. */
  readonly unreachable: readonly string[];
  /** Peers still behind when settle_timeout ran out. */
  readonly behind: readonly string[];
  /** How long it took (monotonic ms). */
  readonly tookMs: number;
}

/** Time between two looks at a peer still behind. */
export const SETTLE_POLL_MS = 200;

/**
 * Waits until this instance has read every reachable peer's stream up to the end it had when
 * looked at, or until `timeoutMs` (issue 23: not ready until settled; Alertmanager #3026 reported
 * ready before gossip settled). A peer whose region does not answer is not waited for: a region cut
 * off must not keep the others from paging. Bounded: at most timeoutMs plus one look.
 */
export async function settle(targets: readonly SettleTarget[], clock: Clock, timeoutMs: number, signal?: AbortSignal): Promise<SettleOutcome> {
  const start = clock.monotonic();
  const pending = new Map(targets.map((t) => [t.peer, t]));
  const caughtUp: string[] = [];
  const unreachable: string[] = [];
  const goals = new Map<string, number>();
  for (let round = 0; pending.size > 0 && !signal?.aborted; round++) {
    for (const t of [...pending.values()]) {
      // The goal is the origin's end when first seen: messages published later are news, not backlog.
      let goal = goals.get(t.peer);
      if (goal === undefined) {
        goal = await t.originLastSeq();
        if (goal === undefined) {
          pending.delete(t.peer);
          unreachable.push(t.peer);
          continue;
        }
        goals.set(t.peer, goal);
      }
      if (t.processedSeq() >= goal) {
        pending.delete(t.peer);
        caughtUp.push(t.peer);
      }
    }
    if (pending.size === 0 || clock.monotonic() - start >= timeoutMs) break;
    await sleep(clock, Math.min(SETTLE_POLL_MS, Math.max(1, timeoutMs - (clock.monotonic() - start))), signal).catch(() => undefined);
  }
  return { caughtUp, unreachable, behind: [...pending.keys()], tookMs: clock.monotonic() - start };
}
