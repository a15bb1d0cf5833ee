import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { freePort, startServer, tempDir, waitFor, type ServerProcess } from '../harness/procs.js';
import { inNs } from './netns.js';
import { NATS_CLIENT_PORT, NatsRegions } from './natsRegions.js';

/**
 * Issue 23, verdicts from more than one place: two regions as namespaces (hub and leaf
 * nats-servers, cluster test bed), a whole `lifeline run` inside each region's namespace probing
 * a TCP target on the host (each region reaches it over its own host link). nft drops the probe's
 * packets in one region: both instances post the one-region warning; dropped in both: the down alert.
 */
describe('probe verdicts from two regions (integration, namespaces)', function () {
  this.timeout(180_000);
  if (process.getuid?.() !== 0) return;
  let regions: NatsRegions;
  let target: Server;
  let port = 0;
  const tmp = tempDir('region-verdicts');
  const procs = new Map<string, ServerProcess>();

  /** The host's end of a region's host link (the region's address minus one: a /30). */
  const hostAddr = (addr: string): string => addr.replace(/\.(\d+)$/, (_, d: string) => `.${Number(d) - 1}`);
  const logs = (name: string): Array<Record<string, unknown>> =>
    (procs.get(name)?.output.join('') ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return {}; } });
  const posted = (name: string, re: RegExp): string[] => logs(name).filter((r) => r['event'] === 'console_notification' && re.test(String(r['msg']))).map((r) => String(r['msg']));

  function dropProbe(name: string): void {
    const r = regions.nets.regions.get(name);
    if (!r) throw new Error(name);
    inNs(r.ns, 'nft', ['add', 'table', 'inet', 'llprobe']);
    inNs(r.ns, 'nft', ['add', 'chain', 'inet', 'llprobe', 'out', '{ type filter hook output priority 0 ; policy accept ; }']);
    inNs(r.ns, 'nft', ['add', 'rule', 'inet', 'llprobe', 'out', 'tcp', 'dport', String(port), 'drop']);
  }

  before(async () => {
    target = createServer((s) => s.end());
    port = await freePort();
    await new Promise<void>((done) => target.listen(port, '0.0.0.0', done));
    regions = new NatsRegions(['a', 'b']);
    await regions.start();
    for (const [name, peer] of [['a', 'b'], ['b', 'a']] as const) {
      const r = regions.nets.regions.get(name);
      if (!r) throw new Error(name);
      const dir = join(tmp.dir, name);
      mkdirSync(dir);
      const file = join(dir, 'lifeline.yaml');
      writeFileSync(file, `log:
  level: info
http:
  host: 127.0.0.1
  port: ${await freePort()}
store:
  path: ${join(dir, 'state.db')}
routes:
  - name: default
    console: true
probes:
  interval: 2s
  timeout: 1s
  targets:
    - { name: wiki, kind: tcp, host: ${hostAddr(r.addr)}, port: ${port}, failures_to_open: 1, successes_to_resolve: 1 }
cluster:
  name: ${name}
  peers: [{ name: ${peer} }]
  nats_url: nats://${r.addr}:${NATS_CLIENT_PORT}
  heartbeat_interval: 500ms
  peer_timeout: 3s
  settle_timeout: 5s
`);
      procs.set(name, startServer(`lifeline-${name}`, 'ip', ['netns', 'exec', r.ns, process.execPath, resolve(process.cwd(), 'dist/src/main.js'), 'run', '--config', file], {}, false));
    }
    await waitFor('each instance hears the other', () => ['a', 'b'].every((n) => logs(n).some((r) => r['event'] === 'cluster_peer_up')), 30_000, 100);
    // Each region's first verdict (up) goes to the other as it is made; the next probe run (2 s) is after it arrived.
    await waitFor('the probe up in both regions', () => ['a', 'b'].every((n) => logs(n).some((r) => r['event'] === 'probe_state' && r['to'] === 'up')), 30_000, 100);
  });
  after(async () => {
    if (process.env['DEBUG_VERDICTS']) for (const n of ['a', 'b']) console.log(n, logs(n).filter((r) => /probe|console|verdict|cluster/.test(String(r['event']))).map((r) => `${String(r['event'])} ${String(r['msg'])}`).join('\n'), procs.get(n)?.output.filter((l) => !l.startsWith('{')).join('').slice(-2000));
    for (const p of procs.values()) await p.kill().catch(() => undefined);
    await regions?.destroy();
    target?.close();
    tmp.remove();
  });

  it('the target dropped in region a only: both instances post the warning naming a (down) and b (up), no down alert', async () => {
    const t0 = Date.now();
    dropProbe('a');
    const warning = /ProbeRegions.*: no TCP connection to \S+ within [\d.]+ s from a; up from b/;
    await waitFor('the one-region warning on both', () => ['a', 'b'].every((n) => posted(n, warning).length > 0), 30_000, 100);
    console.log(`      the warning on both ${Date.now() - t0} ms after the drop (interval 2 s, timeout 1 s, failures_to_open 1)`);
    for (const n of ['a', 'b']) assert.deepEqual(posted(n, /ProbeDown/), [], `${n}: no down alert`);
  });

  it('dropped in both regions: both post the down alert naming both regions', async () => {
    const t0 = Date.now();
    dropProbe('b');
    const down = /ProbeDown.*is down: .*no TCP connection to \S+ within [\d.]+ s from a; no TCP connection to \S+ within [\d.]+ s from b/;
    await waitFor('the down alert on both', () => ['a', 'b'].every((n) => posted(n, down).length > 0), 30_000, 100);
    console.log(`      the down alert on both ${Date.now() - t0} ms after the second drop`);
    for (const n of ['a', 'b']) assert.equal(posted(n, down).length, 1, `${n}: one down alert`);
  });
});
