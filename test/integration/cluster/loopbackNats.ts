import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startServer, tempDir, waitFor, type ServerProcess } from '../harness/procs.js';

/**
 * Two regions' nats-servers on host loopback, no namespaces: region `hub` (JetStream domain = its
 * name) listens for a leaf link, region `leaf` dials it. For tests whose other servers (ngircd,
 * ZNC) live on host loopback, which a namespace cannot reach, and that need no partition.
 */
export class LoopbackNats {
  readonly urls = new Map<string, string>();
  private readonly procs: ServerProcess[] = [];
  private readonly tmp = tempDir('loopback-nats');
  private hubMon = 0;

  private constructor() {}

  static async start(hub: string, leaf: string): Promise<LoopbackNats> {
    const n = new LoopbackNats();
    const leafPort = await freePort();
    for (const [name, block] of [
      [hub, `leafnodes { listen: "127.0.0.1:${leafPort}" }`],
      [leaf, `leafnodes { reconnect: 1, remotes: [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`],
    ] as const) {
      const [port, mon] = [await freePort(), await freePort()];
      if (name === hub) n.hubMon = mon;
      const store = join(n.tmp.dir, `js-${name}`);
      mkdirSync(store);
      const conf = join(n.tmp.dir, `${name}.conf`);
      writeFileSync(conf, [`server_name: region_${name}`, `listen: "127.0.0.1:${port}"`, `http: "127.0.0.1:${mon}"`, `jetstream { store_dir: "${store}", domain: ${name} }`, block, ''].join('\n'));
      const proc = startServer(`nats-${name}`, 'nats-server', ['-c', conf], {}, false);
      n.procs.push(proc);
      n.urls.set(name, `nats://127.0.0.1:${port}`);
      await waitFor(`nats-server ${name} healthy`, async () => {
        if (!proc.running) throw new Error(`nats-server ${name} exited: ${proc.output.join('').slice(-1500)}`);
        return (await fetch(`http://127.0.0.1:${mon}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined))?.ok;
      }, 15_000, 50);
    }
    await waitFor('the leaf linked to the hub', async () => ((await (await fetch(`http://127.0.0.1:${n.hubMon}/leafz`)).json()) as { leafnodes: number }).leafnodes === 1, 15_000, 50);
    return n;
  }

  url(name: string): string {
    const u = this.urls.get(name);
    if (!u) throw new Error(`no region ${name}`);
    return u;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.kill().catch(() => undefined)));
    this.tmp.remove();
  }
}
