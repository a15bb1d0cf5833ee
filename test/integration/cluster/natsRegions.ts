import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir, waitFor, type ServerProcess } from '../harness/procs.js';
import { RegionNets, type LinkNet } from './netns.js';

/** Ports inside each region's namespace: every region has its own, so they can be the same. */
export const NATS_CLIENT_PORT = 4222;
const MON_PORT = 8222;
const LEAF_PORT = 7422;

/**
 * A throwaway CA and a certificate for the hub's leaf listener at `ips`, made with openssl. The
 * leaf verifies the hub against the CA (TLS on the region link, as the issue asks).
 */
export function leafTlsFiles(dir: string, ips: readonly string[]): { caFile: string; certFile: string; keyFile: string } {
  const f = (n: string): string => join(dir, n);
  const ossl = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=lifeline test CA']);
  ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('hub.key'), '-out', f('hub.csr'), '-subj', '/CN=hub']);
  writeFileSync(f('hub.ext'), `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
  ossl(['x509', '-req', '-in', f('hub.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('hub.pem'), '-days', '2', '-extfile', f('hub.ext')]);
  return { caFile: f('ca.pem'), certFile: f('hub.pem'), keyFile: f('hub.key') };
}

/** One region's nats-server. */
export interface RegionServer {
  readonly name: string;
  /** nats://<addr>:4222 as the host reaches it. */
  readonly url: string;
  readonly monUrl: string;
  proc: ServerProcess;
  readonly confFile: string;
}

/**
 * Regions in namespaces, each with one nats-server (JetStream, domain = region name). The first
 * region is the hub: it listens for leaf links (TLS) on its end of each link; every other region
 * is a leaf with one remote to the hub (a star: a triangle of leaf links is refused by the server
 * as a loop). The Lifeline side stays on the host and reaches each server through the region's
 * host link, so it can be a child process the test SIGKILLs, and the regions still reach each
 * other only through their links.
 */
export class NatsRegions {
  readonly nets: RegionNets;
  readonly servers = new Map<string, RegionServer>();
  readonly links = new Map<string, LinkNet>();
  private readonly tmp = tempDir('nats-regions');

  constructor(readonly names: readonly string[]) {
    this.nets = new RegionNets(names);
  }

  /** Creates the links and configs and starts every server; resolves when the hub lists every leaf. */
  async start(): Promise<void> {
    const [hub, ...leaves] = this.names;
    if (!hub) throw new Error('no regions');
    const leafLinks = leaves.map((l) => {
      const link = this.nets.link(hub, l);
      this.links.set(l, link);
      return link;
    });
    // One listener on 0.0.0.0 inside the hub's namespace: it is reached on each link's hub-side
    // address. `advertise` pins the URL the hub hands its leaves (research gotcha 1); with one
    // leaf per link, each leaf only ever dials its own link's address.
    const tlsDir = join(this.tmp.dir, 'tls');
    mkdirSync(tlsDir);
    const firstLink = leafLinks[0];
    const tls = firstLink ? leafTlsFiles(tlsDir, leafLinks.map((l) => l.addrA)) : undefined;
    for (const name of this.names) {
      const region = this.nets.regions.get(name);
      if (!region) throw new Error(`no region ${name}`);
      const store = join(this.tmp.dir, `js-${name}`);
      mkdirSync(store);
      let leafBlock = '';
      if (name === hub && tls && firstLink) {
        leafBlock = `leafnodes { listen: "0.0.0.0:${LEAF_PORT}", advertise: "${firstLink.addrA}:${LEAF_PORT}", tls { cert_file: "${tls.certFile}", key_file: "${tls.keyFile}", timeout: 2 } }`;
      } else if (tls) {
        const link = this.links.get(name);
        if (!link) throw new Error(`no link for ${name}`);
        leafBlock = `leafnodes { reconnect: 1, remotes: [ { url: "tls://${link.addrA}:${LEAF_PORT}", tls { ca_file: "${tls.caFile}" } } ] }`;
      }
      const conf = join(this.tmp.dir, `${name}.conf`);
      writeFileSync(conf, [`server_name: region_${name}`, `listen: "${region.addr}:${NATS_CLIENT_PORT}"`, `http: "${region.addr}:${MON_PORT}"`, `jetstream { store_dir: "${store}", domain: ${name} }`, leafBlock, ''].join('\n'));
      this.servers.set(name, { name, url: `nats://${region.addr}:${NATS_CLIENT_PORT}`, monUrl: `http://${region.addr}:${MON_PORT}`, proc: this.spawn(name, conf), confFile: conf });
    }
    for (const s of this.servers.values()) await this.waitHealthy(s);
    await waitFor('the hub to list every leaf', async () => (await this.leafCount()) === leaves.length, 15_000, 50);
  }

  /** Leaf links the hub lists now (its /leafz). */
  async leafCount(): Promise<number> {
    const hub = this.servers.get(this.names[0] ?? '');
    if (!hub) return 0;
    const r = await fetch(`${hub.monUrl}/leafz`, { signal: AbortSignal.timeout(2000) });
    return ((await r.json()) as { leafnodes: number }).leafnodes;
  }

  /** Cuts a leaf region's link to the hub. */
  cut(leaf: string): void {
    this.nets.cut(this.mustLink(leaf));
  }

  /** Heals it. */
  heal(leaf: string): void {
    this.nets.heal(this.mustLink(leaf));
  }

  /** Drops every packet on a leaf region's link, silently (no reset, no link down). */
  block(leaf: string): void {
    this.nets.block(this.mustLink(leaf));
  }

  /** Lets them through again. */
  unblock(leaf: string): void {
    this.nets.unblock(this.mustLink(leaf));
  }

  /** Restarts a region's nats-server (SIGKILL, same store folder). */
  async restartServer(name: string): Promise<void> {
    const s = this.servers.get(name);
    if (!s) throw new Error(`no server ${name}`);
    await s.proc.kill();
    s.proc = this.spawn(name, s.confFile);
    await this.waitHealthy(s);
  }

  /** Stops every server, deletes the namespaces and the temp folder (call in `after`, also after a failure). */
  async destroy(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => s.proc.kill().catch(() => undefined)));
    this.nets.destroy();
    this.tmp.remove();
  }

  private spawn(name: string, conf: string): ServerProcess {
    const region = this.nets.regions.get(name);
    if (!region) throw new Error(`no region ${name}`);
    // `ip netns exec` execs nats-server in place: the process id is the server's.
    return startServer(`nats-${name}`, 'ip', ['netns', 'exec', region.ns, 'nats-server', '-c', conf], {}, false);
  }

  private async waitHealthy(s: RegionServer): Promise<void> {
    await waitFor(`nats-server ${s.name} healthy (${s.proc.output.join('').slice(-500)})`, async () => {
      if (!s.proc.running) throw new Error(`nats-server ${s.name} exited: ${s.proc.output.join('').slice(-1500)}`);
      const r = await fetch(`${s.monUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      return r.ok;
    }, 15_000, 50);
  }

  private mustLink(leaf: string): LinkNet {
    const l = this.links.get(leaf);
    if (!l) throw new Error(`no link for ${leaf}`);
    return l;
  }
}
