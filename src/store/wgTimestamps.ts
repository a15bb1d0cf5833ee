import type { Db } from './db.js';

/**
 * Handshake timestamps per probe key. WireGuard drops an initiation whose TAI64N timestamp is not
 * newer than the last one it accepted from that key, also across Lifeline's restarts and wall
 * clock steps back: the last one is stored and the next is always later.
 */
export interface WgTimestamps {
  /** A timestamp (ns) later than any used before for `publicKey`, at least `nowNs`; stored. */
  next(publicKey: string, nowNs: bigint): bigint;
}

/**
 * WireGuard handshake timestamps, stored: each next one is later than the last sent for the key.
 * wireguard-go rounds the timestamps it compares down to about 16.8 ms (2^24 ns), so a step of at
 * least that keeps two probes in quick succession distinct.
 */
export class WgTimestampStore implements WgTimestamps {
  private readonly cache = new Map<string, bigint>();
  constructor(private readonly db: Db) {}

  next(publicKey: string, nowNs: bigint): bigint {
    const last = this.cache.get(publicKey) ?? this.load(publicKey);
    const next = last !== undefined && nowNs <= last + 2n ** 24n ? last + 2n ** 24n : nowNs;
    this.cache.set(publicKey, next);
    this.db.prepare('INSERT INTO wg_timestamps (public_key, last_ns) VALUES (?, ?) ON CONFLICT (public_key) DO UPDATE SET last_ns = excluded.last_ns').run(publicKey, next.toString());
    return next;
  }

  private load(publicKey: string): bigint | undefined {
    const r = this.db.prepare('SELECT last_ns FROM wg_timestamps WHERE public_key = ?').get(publicKey) as { last_ns: string } | undefined;
    return r ? BigInt(r.last_ns) : undefined;
  }
}
