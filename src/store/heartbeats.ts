import type { Db } from './db.js';

/** When each heartbeat (dead man's switch) last arrived: written by ingest and the ping endpoint. */
export class HeartbeatStore {
  private readonly put;
  private readonly get;
  constructor(db: Db) {
    this.put = db.prepare('INSERT INTO heartbeats (name, last_ms) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET last_ms = MAX(last_ms, excluded.last_ms)');
    this.get = db.prepare<[string], { last_ms: number }>('SELECT last_ms FROM heartbeats WHERE name = ?');
  }

  /** Records a beat (durable when it returns). */
  beat(name: string, nowMs: number): void {
    this.put.run(name, nowMs);
  }

  /** When the heartbeat last arrived, if ever. */
  last(name: string): number | undefined {
    return this.get.get(name)?.last_ms;
  }
}
