import type { Clock } from '../util/clock.js';

/**
 * A hybrid logical clock timestamp (Kulkarni et al., "Logical Physical Clocks", 2014): wall time
 * in ms, a counter for events within one ms (or while the wall clock lags a peer's), and the
 * instance that made it, which breaks ties. Timestamps compare in that order, so every instance
 * orders two events the same way, and an event that knew of another is ordered after it even when
 * their wall clocks disagree.
 */
export interface HlcTimestamp {
  readonly wall: number;
  readonly counter: number;
  readonly node: string;
}

/** Negative, 0 or positive as `a` is before, the same as, or after `b`. The node name breaks ties (code points, not locale). */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** The later of two timestamps (the merge rule "last writer wins"). */
export function laterHlc(a: HlcTimestamp, b: HlcTimestamp): HlcTimestamp {
  return compareHlc(a, b) >= 0 ? a : b;
}

/**
 * Text form that sorts as compareHlc does (wall and counter fixed width): "<wall>.<counter>.<node>".
 * Node names hold no "." (cluster.name).
 */
export function formatHlc(t: HlcTimestamp): string {
  return `${t.wall.toString().padStart(15, '0')}.${t.counter.toString().padStart(6, '0')}.${t.node}`;
}

/** Parses formatHlc's text; undefined when it is not one. */
export function parseHlc(text: string): HlcTimestamp | undefined {
  const m = /^([0-9]{1,16})\.([0-9]{1,9})\.([a-z0-9_-]{1,32})$/.exec(text);
  if (!m) return undefined;
  return { wall: Number(m[1]), counter: Number(m[2]), node: m[3] as string };
}

/** The hybrid logical clock of one instance. */
export class Hlc {
  private wall = 0;
  private counter = 0;
  /**
   * @param maxAheadMs a remote timestamp further than this ahead of the local wall clock is not
   *   adopted (a peer with a clock set a year ahead must not drag every later event there); it is
   *   still ordered correctly by compareHlc.
   */
  constructor(
    private readonly node: string,
    private readonly clock: Clock,
    private readonly maxAheadMs = 60_000,
  ) {}

  /** A timestamp for a local event (a send), after every timestamp made or received before. */
  now(): HlcTimestamp {
    const pt = this.clock.now();
    if (pt > this.wall) {
      this.wall = pt;
      this.counter = 0;
    } else this.counter++;
    return { wall: this.wall, counter: this.counter, node: this.node };
  }

  /**
   * Continues from this instance's own last timestamp before a restart (read back from the
   * outbox), so its events stay in order across a restart even when the wall clock stepped back.
   */
  restore(last: HlcTimestamp): void {
    if (last.wall > this.wall || (last.wall === this.wall && last.counter > this.counter)) {
      this.wall = last.wall;
      this.counter = last.counter;
    }
  }

  /** Takes in a peer's timestamp (a receive): later local events are ordered after it. */
  receive(remote: HlcTimestamp): HlcTimestamp {
    const pt = this.clock.now();
    if (remote.wall > pt + this.maxAheadMs) return this.now();
    const wall = Math.max(this.wall, remote.wall, pt);
    if (wall === this.wall && wall === remote.wall) this.counter = Math.max(this.counter, remote.counter) + 1;
    else if (wall === this.wall) this.counter++;
    else if (wall === remote.wall) this.counter = remote.counter + 1;
    else this.counter = 0;
    this.wall = wall;
    return { wall: this.wall, counter: this.counter, node: this.node };
  }
}
