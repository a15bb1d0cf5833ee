/**
 * Runs one probe once and prints its result as JSON: `node runProbe.js '<probe yaml>' TIMEOUT_MS`.
 * Tests start it inside a network namespace of their own (`unshare -Urn`: only a loopback, no
 * route, no resolver), to see what a probe says when DNS cannot work, without touching any network.
 */
import { parseConfig } from '../../../src/config/load.js';
import type { ProbeConfig } from '../../../src/config/probeSchema.js';
import { createProbe } from '../../../src/probes/registry.js';

const [yaml = '', timeout = '2000'] = process.argv.slice(2);
const cfg = parseConfig(`probes:\n  targets:\n    - ${yaml}\n`, 'probe.yaml', {}).probes.targets[0] as ProbeConfig;
const timeoutMs = Number(timeout);
const result = await createProbe(cfg, { heartbeats: { last: () => undefined, failure: () => undefined, sinceMs: Date.now() } }).run({ signal: AbortSignal.timeout(timeoutMs), timeoutMs, nowMs: Date.now() });
process.stdout.write(`${JSON.stringify(result)}\n`);
