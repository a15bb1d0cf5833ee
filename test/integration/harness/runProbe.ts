/**
 * Runs one probe once and prints its result as JSON:
 *   node runProbe.js '<probe yaml>' TIMEOUT_MS [CLOCK_OFFSET_MS] [STATE_DB]
 * Tests start it inside a network namespace of their own (`unshare -Urn`: only a loopback, no
 * route, no resolver), to see what a probe says when DNS cannot work, or to reach a server started
 * in that namespace, without touching any network. CLOCK_OFFSET_MS shifts the probe's wall clock
 * (a clock stepped back); STATE_DB keeps probe state (WireGuard timestamps) between runs, as
 * Lifeline's store does across restarts. AGAIN_AFTER (a shell command) runs the same probe again
 * after it and prints a second line. With WG_FLOOD=N in the environment a wireguard probe
 * runs right after N junk initiations (see wgFlood.ts).
 */
import { execSync } from 'node:child_process';
import { createProbe } from '../../../src/probes/registry.js';
import { probeConfig, standaloneProbeDeps } from './probeDeps.js';
import { wgFlood } from './wgFlood.js';

const [yaml = '', timeout = '2000', offset = '0', stateDb = ':memory:'] = process.argv.slice(2);
const cfg = probeConfig(yaml);
const timeoutMs = Number(timeout);
const nowMs = Date.now() + Number(offset);
const deps = standaloneProbeDeps(nowMs, stateDb);
// WG_FLOOD=N: first put the WireGuard server under load (see wgFlood).
if (process.env['WG_FLOOD'] && cfg.kind === 'wireguard') await wgFlood(cfg.host, cfg.port, cfg.server_public_key, Number(process.env['WG_FLOOD']));
const probe = await createProbe(cfg, deps);
const result = await probe.run({ signal: AbortSignal.timeout(timeoutMs), timeoutMs, nowMs });
process.stdout.write(`${JSON.stringify(result)}\n`);
// AGAIN_AFTER='shell command': run it (stop the server, cut the path), then run the same probe
// instance again and print a second line: what a probe says from what it saw on its last run.
if (process.env['AGAIN_AFTER']) {
  execSync(process.env['AGAIN_AFTER'], { stdio: 'ignore' });
  const again = await probe.run({ signal: AbortSignal.timeout(timeoutMs), timeoutMs, nowMs: Date.now() + Number(offset) });
  process.stdout.write(`${JSON.stringify(again)}\n`);
}
