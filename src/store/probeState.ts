import type { Db } from './db.js';

/** A probe's damped state as stored. */
export interface StoredProbeState {
  name: string;
  status: 'unknown' | 'up' | 'down';
  failures: number;
  successes: number;
  sinceMs: number;
  /** The dependency whose failure explains this probe's (no alert of its own then). */
  behind: string | null;
  /** The open warning (e.g. a certificate about to expire), if any. */
  warning: string | null;
  /** The last result, as JSON (ProbeResult), and when it came. */
  lastResult: string | null;
  lastMs: number | null;
}

interface Row {
  name: string;
  status: StoredProbeState['status'];
  failures: number;
  successes: number;
  since_ms: number;
  behind: string | null;
  warning: string | null;
  last_result: string | null;
  last_ms: number | null;
}

/** Probe states on disk: one row per probe (the engine decides when a row is worth a write). */
export class ProbeStateStore {
  private readonly all;
  private readonly put;
  private readonly many;
  constructor(db: Db) {
    this.all = db.prepare<[], Row>('SELECT * FROM probe_state');
    this.put = db.prepare(`
      INSERT INTO probe_state (name, status, failures, successes, since_ms, behind, warning, last_result, last_ms)
      VALUES (@name, @status, @failures, @successes, @since_ms, @behind, @warning, @last_result, @last_ms)
      ON CONFLICT (name) DO UPDATE SET status = excluded.status, failures = excluded.failures, successes = excluded.successes,
        since_ms = excluded.since_ms, behind = excluded.behind, warning = excluded.warning, last_result = excluded.last_result, last_ms = excluded.last_ms`);
    this.many = db.transaction((states: readonly StoredProbeState[]) => {
      for (const s of states) this.save(s);
    });
  }

  load(): Map<string, StoredProbeState> {
    return new Map(
      this.all.all().map((r) => [r.name, { name: r.name, status: r.status, failures: r.failures, successes: r.successes, sinceMs: r.since_ms, behind: r.behind, warning: r.warning, lastResult: r.last_result, lastMs: r.last_ms }]),
    );
  }

  /** Several states in one transaction (one fsync). */
  saveAll(states: readonly StoredProbeState[]): void {
    if (states.length > 0) this.many(states);
  }

  save(s: StoredProbeState): void {
    this.put.run({ name: s.name, status: s.status, failures: s.failures, successes: s.successes, since_ms: s.sinceMs, behind: s.behind, warning: s.warning, last_result: s.lastResult, last_ms: s.lastMs });
  }
}
