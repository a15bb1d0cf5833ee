/*
 * The VPN part of the benchmarks, run inside the network namespace bench/run.ts makes (servers on
 * its loopback): `node vpnInside.js CONFIG.json`. Prints one JSON object:
 *   - per kind (wireguard, with its forwarding check, openvpn udp, tcp, deep): wall ms and CPU ms per run, 100 runs one
 *     after another with the real probe code;
 *   - then Lifeline itself (startApp, the shipped defaults plus the probes) with every target at
 *     probes.interval: process CPU per probe run and peak RSS over a measured window.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { startApp } from '../src/app.js';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/observability/logger.js';
import { createProbe } from '../src/probes/registry.js';
import { systemClock } from '../src/util/clock.js';
import { probeConfig, standaloneProbeDeps } from '../test/integration/harness/probeDeps.js';

interface Input {
  /** One probe YAML per kind for the per-run figures. */
  single: Record<string, string>;
  /** The whole Lifeline config (YAML) for the load figures. */
  lifeline: string;
  warmupMs: number;
  windowMs: number;
}

// As `lifeline run` does (src/main.ts), so the memory figure is the one users get.
v8.setFlagsFromString('--optimize-for-size');
const input = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Input;
const out: Record<string, number> = {};

const deps = standaloneProbeDeps();
for (const [name, yaml] of Object.entries(input.single)) {
  const probe = await createProbe(probeConfig(yaml), deps);
  const N = 100;
  let up = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const r = await probe.run({ signal: AbortSignal.timeout(5_000), timeoutMs: 5_000, nowMs: Date.now() });
    if (r.up) up++;
    // WireGuard: one key may not send two initiations within 20 ms (wireguard-go drops them).
    await new Promise((r2) => setTimeout(r2, 25));
  }
  const wall = performance.now() - t0 - N * 25;
  const cpu = process.cpuUsage(c0);
  Object.assign(out, { [`${name}_up_of_100`]: up, [`${name}_wall_ms_per_run`]: wall / N, [`${name}_cpu_ms_per_run`]: (cpu.user + cpu.system) / 1000 / N });
}

const app = await startApp({ config: parseConfig(input.lifeline, 'bench-lifeline.yaml', {}), clock: systemClock(), log: silentLogger() });
const seen = new Map<string, number>();
let runs = 0;
let counting = false;
const poll = setInterval(() => {
  for (const p of app.probes.status()) {
    const at = p.last?.atMs;
    if (at !== undefined && seen.get(p.name) !== at) {
      seen.set(p.name, at);
      if (counting) runs++;
    }
  }
}, 250);
await new Promise((r) => setTimeout(r, input.warmupMs));
const c0 = process.cpuUsage();
counting = true;
await new Promise((r) => setTimeout(r, input.windowMs));
counting = false;
const cpu = process.cpuUsage(c0);
const status = app.probes.status();
const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
Object.assign(out, {
  load_targets: status.length,
  load_up: status.filter((p) => p.status === 'up').length,
  load_runs_per_s: (runs * 1000) / input.windowMs,
  load_cpu_ms_per_run: (cpu.user + cpu.system) / 1000 / Math.max(1, runs),
  load_cpu_percent_of_a_core: ((cpu.user + cpu.system) / 1000 / input.windowMs) * 100,
  load_peak_rss_mb: hwm,
});
clearInterval(poll);
await app.stop();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
