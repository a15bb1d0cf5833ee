import type { Clock, TimerHandle } from '../util/clock.js';

/** A peer's state as this instance sees it. `unknown`: not heard yet and peer_timeout not over since start. */
export type PeerState = 'unknown' | 'up' | 'down';

/** A change of a peer's state. */
export interface PeerChange {
  readonly peer: string;
  readonly state: 'up' | 'down';
  /** Wall time the peer was last heard (undefined: never since this instance started). */
  readonly lastHeardMs: number | undefined;
  /** When the peer sent what it was last heard by, by its own clock (undefined: not known). */
  readonly lastSentMs: number | undefined;
}

interface PeerEntry {
  state: PeerState;
  lastHeardMono: number | undefined;
  lastHeardMs: number | undefined;
  lastSentMs: number | undefined;
  hearsUs: boolean;
  timer: TimerHandle | undefined;
}

/**
 * Who is alive, from heartbeats: a peer not heard for peer_timeout is down; heard again, it is up.
 * Heartbeats are two-way: each carries the peers its sender hears, so `hearsUs` tells a one-way
 * link from a working one. Durations run on the monotonic clock (a wall-clock step changes nothing).
 */
export class PeerLiveness {
  private readonly peers = new Map<string, PeerEntry>();
  private readonly listeners: Array<(c: PeerChange) => void> = [];
  private started = false;

  constructor(
    private readonly self: string,
    peerNames: readonly string[],
    private readonly peerTimeoutMs: number,
    private readonly clock: Clock,
  ) {
    for (const p of peerNames) this.peers.set(p, { state: 'unknown', lastHeardMono: undefined, lastHeardMs: undefined, lastSentMs: undefined, hearsUs: false, timer: undefined });
  }

  /** Calls `fn` on every change (peerUp and peerDown). */
  onChange(fn: (c: PeerChange) => void): void {
    this.listeners.push(fn);
  }

  /** Starts the clocks: a peer not heard within peer_timeout from now is down. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const [name, e] of this.peers) if (e.timer === undefined) this.arm(name, e);
  }

  /** Stops every timer; no more changes are reported. */
  stop(): void {
    this.started = false;
    for (const e of this.peers.values()) {
      this.clock.clearTimeout(e.timer);
      e.timer = undefined;
    }
  }

  /**
   * A heartbeat (or any message) from `peer` arrived; `hears` is the list it carried, when it did;
   * `sentMs` when the peer sent it, by the peer's clock (its hybrid logical clock's wall part).
   */
  heard(peer: string, hears?: readonly string[], sentMs?: number): void {
    const e = this.peers.get(peer);
    if (!e || !this.started) return;
    e.lastHeardMono = this.clock.monotonic();
    e.lastHeardMs = this.clock.now();
    e.lastSentMs = sentMs;
    if (hears) e.hearsUs = hears.includes(this.self);
    this.clock.clearTimeout(e.timer);
    this.arm(peer, e);
    if (e.state !== 'up') this.set(peer, e, 'up');
  }

  /** A peer's state. */
  state(peer: string): PeerState {
    return this.peers.get(peer)?.state ?? 'down';
  }

  /** Whether `peer`'s last heartbeat said it hears this instance. */
  hearsUs(peer: string): boolean {
    return this.peers.get(peer)?.hearsUs ?? false;
  }

  /** Peers heard within peer_timeout, sorted by name. */
  livePeers(): string[] {
    return [...this.peers].filter(([, e]) => e.state === 'up').map(([n]) => n).sort(byName);
  }

  /**
   * This instance's position among the live instances (itself and the live peers) sorted by name:
   * 0 pages at once, k waits k × peer_timeout (issue 23, as Alertmanager's HA). A peer not yet
   * heard since start (unknown) counts as live: a restarted instance must not take position 0 and
   * page before it has heard the others.
   */
  position(): number {
    const live = [this.self, ...[...this.peers].filter(([, e]) => e.state !== 'down').map(([n]) => n)].sort(byName);
    return live.indexOf(this.self);
  }

  private arm(peer: string, e: PeerEntry): void {
    e.timer = this.clock.setTimeout(() => {
      e.timer = undefined;
      if (e.state !== 'down') this.set(peer, e, 'down');
    }, this.peerTimeoutMs);
  }

  private set(peer: string, e: PeerEntry, state: 'up' | 'down'): void {
    e.state = state;
    const change: PeerChange = { peer, state, lastHeardMs: e.lastHeardMs, lastSentMs: e.lastSentMs };
    for (const fn of this.listeners) fn(change);
  }
}

/** Sorts names by code point, the same on every instance whatever its locale. */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
