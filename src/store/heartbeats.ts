import type { Db } from './db.js';

/**
 * When each heartbeat (dead man's switch) last arrived, and the last failure its sender reported:
 * written by ingest and the ping endpoint.
 */
export class HeartbeatStore {
  private readonly put;
  private readonly putFail;
  private readonly get;
  constructor(db: Db) {
    this.put = db.prepare('INSERT INTO heartbeats (name, last_ms) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET last_ms = MAX(last_ms, excluded.last_ms)');
    // A failure before any beat keeps last_ms 0 (never beat) so the probe still counts from its start.
    this.putFail = db.prepare('INSERT INTO heartbeats (name, last_ms, failed_ms, fail_reason) VALUES (?, 0, ?, ?) ON CONFLICT (name) DO UPDATE SET failed_ms = excluded.failed_ms, fail_reason = excluded.fail_reason');
    this.get = db.prepare<[string], { last_ms: number; failed_ms: number | null; fail_reason: string | null }>('SELECT last_ms, failed_ms, fail_reason FROM heartbeats WHERE name = ?');
  }

  /** Records the sender's own report that it is not healthy (durable when it returns). */
  fail(name: string, nowMs: number, reason: string): void {
    this.putFail.run(name, nowMs, reason);
  }

  /** The failure its sender reported after its last beat, if any. */
  failure(name: string): { atMs: number; reason: string } | undefined {
    const r = this.get.get(name);
    return r && r.failed_ms !== null && r.failed_ms > r.last_ms ? { atMs: r.failed_ms, reason: r.fail_reason ?? '' } : undefined;
  }

  /** Records a beat (durable when it returns). */
  beat(name: string, nowMs: number): void {
    this.put.run(name, nowMs);
  }

  /** When the heartbeat last arrived, if ever. */
  last(name: string): number | undefined {
    const last = this.get.get(name)?.last_ms;
    return last === 0 ? undefined : last;
  }
}
