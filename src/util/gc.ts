import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Runs one full garbage collection now; false when this V8 would not expose its collector.
 *
 * For the one moment Lifeline knows a lot of garbage has just been made and nothing else will free
 * it soon: after reading the config. The YAML parser allocates about 50 KB per line it reads
 * (98 MB for 2,000 probe targets), and much of it lives long enough to be moved into the old
 * generation, which V8 collects only when that generation has grown well past its size after the
 * last collection. Left alone, that garbage set the process's peak RSS in its first seconds:
 * 144-147 MB with 2,000 HTTP probes (and no IRC), 118-122 MB collected here, for 11-15 ms of one
 * collection (docs/benchmarks.md, probes2000).
 *
 * Node has no API for this. `--expose-gc` given at runtime puts `gc` on the globals of contexts
 * created afterwards (not on the main one), so the function is taken from a new context and the
 * flag is turned off again.
 */
export function collectGarbage(): boolean {
  v8.setFlagsFromString('--expose-gc');
  let gc: unknown;
  try {
    gc = runInNewContext('typeof gc === "function" ? gc : undefined');
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  if (typeof gc !== 'function') return false;
  (gc as () => void)();
  return true;
}
