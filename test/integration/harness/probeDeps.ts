import { parseConfig } from '../../../src/config/load.js';
import type { ProbeConfig } from '../../../src/config/probeSchema.js';
import type { ProbeDeps } from '../../../src/probes/registry.js';
import { openDb } from '../../../src/store/db.js';
import { WgTimestampStore } from '../../../src/store/wgTimestamps.js';

/** One probe target (a YAML flow mapping such as `{ name: a, kind: http, url: "..." }`), validated as Lifeline reads its config. */
export function probeConfig(entry: string): ProbeConfig {
  return parseConfig(`probes:\n  targets:\n    - ${entry}\n`, 'probe.yaml', {}).probes.targets[0] as ProbeConfig;
}

/**
 * What probes need besides their config when run outside the app: no heartbeat received since
 * `sinceMs`, WireGuard timestamps in `stateDb` (default: in memory, so they start afresh).
 */
export function standaloneProbeDeps(sinceMs = Date.now(), stateDb = ':memory:'): ProbeDeps {
  return { heartbeats: { last: () => undefined, failure: () => undefined, sinceMs }, wgTimestamps: new WgTimestampStore(openDb(stateDb)) };
}
