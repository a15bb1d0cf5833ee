import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/*
 * Regions as network namespaces. Each region is joined to the host by one veth pair (the host
 * reaches its nats-server's client and monitor ports there), and the regions are joined to each
 * other by veth pairs of their own: the inter-region links the tests cut. The host does not
 * forward between its veths (ip_forward stays as it is), so the only path from one region to
 * another is its link. Addresses from 198.18.0.0/15, the benchmarking range (RFC 2544): the
 * host-side /30s in 198.18.0.0/16 (picked at random among the ones free on this host, since
 * other test runs may use the range at the same time), the links in 198.19.0.0/16 (inside the
 * namespaces only, so they never clash with the host's).
 */

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a command inside a namespace. */
export function inNs(ns: string, cmd: string, args: string[]): string {
  return run('ip', ['netns', 'exec', ns, cmd, ...args]);
}

/** One region: its namespace and the address the host reaches it at. */
export interface RegionNet {
  readonly name: string;
  readonly ns: string;
  /** The region's address on its host link (its nats-server listens here for clients and monitoring). */
  readonly addr: string;
}

/** A link between two regions. */
export interface LinkNet {
  readonly a: string;
  readonly b: string;
  /** Interface names inside each namespace. */
  readonly ifA: string;
  readonly ifB: string;
  readonly addrA: string;
  readonly addrB: string;
}

/** A set of regions and links; `destroy` removes every namespace (and with it every veth), also after a failure. */
export class RegionNets {
  readonly regions = new Map<string, RegionNet>();
  readonly links: LinkNet[] = [];
  private readonly tag = randomBytes(3).toString('hex');
  private readonly onExit = (): void => this.destroy();

  constructor(names: readonly string[]) {
    process.once('exit', this.onExit);
    try {
      const used = run('ip', ['-4', '-o', 'addr']);
      let third = 0;
      for (let i = 0; i < 200; i++) {
        const c = 10 + ((randomBytes(1)[0] ?? 0) % 240);
        if (!used.includes(` 198.18.${c}.`)) {
          third = c;
          break;
        }
      }
      if (third === 0) throw new Error('no free 198.18.x.0/24 on this host');
      names.forEach((name, i) => {
        const ns = `llc${this.tag}${name}`;
        run('ip', ['netns', 'add', ns]);
        const host = `llh${this.tag}${name}`;
        run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'h0', 'netns', ns]);
        const hostAddr = `198.18.${third}.${4 * i + 1}`;
        const addr = `198.18.${third}.${4 * i + 2}`;
        run('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', host]);
        run('ip', ['link', 'set', host, 'up']);
        inNs(ns, 'ip', ['addr', 'add', `${addr}/30`, 'dev', 'h0']);
        inNs(ns, 'ip', ['link', 'set', 'h0', 'up']);
        inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
        this.regions.set(name, { name, ns, addr });
      });
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** Joins two regions by a veth pair (198.19.<k>.1 and .2/30). */
  link(a: string, b: string): LinkNet {
    const ra = this.must(a);
    const rb = this.must(b);
    const k = this.links.length + 1;
    const ifA = `to${b}`;
    const ifB = `to${a}`;
    inNs(ra.ns, 'ip', ['link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', rb.ns]);
    const link: LinkNet = { a, b, ifA, ifB, addrA: `198.19.${k}.1`, addrB: `198.19.${k}.2` };
    inNs(ra.ns, 'ip', ['addr', 'add', `${link.addrA}/30`, 'dev', ifA]);
    inNs(rb.ns, 'ip', ['addr', 'add', `${link.addrB}/30`, 'dev', ifB]);
    inNs(ra.ns, 'ip', ['link', 'set', ifA, 'up']);
    inNs(rb.ns, 'ip', ['link', 'set', ifB, 'up']);
    this.links.push(link);
    return link;
  }

  /**
   * Cuts a link: its interface goes down on both sides, and the TCP connections across it are
   * reset at once (`ss -K`). A link merely taken down leaves the sockets open until NATS pings
   * fail (2 min at the server's default ping interval), and the hub would go on listing the leaf.
   */
  cut(link: LinkNet): void {
    const ra = this.must(link.a);
    const rb = this.must(link.b);
    inNs(ra.ns, 'ip', ['link', 'set', link.ifA, 'down']);
    inNs(rb.ns, 'ip', ['link', 'set', link.ifB, 'down']);
    inNs(ra.ns, 'ss', ['-K', 'dst', link.addrB]);
    inNs(ra.ns, 'ss', ['-K', 'src', link.addrA]);
    inNs(rb.ns, 'ss', ['-K', 'dst', link.addrA]);
    inNs(rb.ns, 'ss', ['-K', 'src', link.addrB]);
  }

  /**
   * A silent cut, as a real partition looks: every packet on the link is dropped in both regions
   * (nft), no interface goes down and no connection is reset; TCP keeps retransmitting, and the
   * hub keeps listing the leaf until NATS pings fail. `unblock` lets the packets through again.
   */
  block(link: LinkNet): void {
    for (const [ns, dev] of [[this.must(link.a).ns, link.ifA], [this.must(link.b).ns, link.ifB]] as const) {
      inNs(ns, 'nft', ['add', 'table', 'inet', 'llcut']);
      inNs(ns, 'nft', ['add', 'chain', 'inet', 'llcut', 'in', '{ type filter hook input priority -10 ; policy accept ; }']);
      inNs(ns, 'nft', ['add', 'chain', 'inet', 'llcut', 'out', '{ type filter hook output priority -10 ; policy accept ; }']);
      inNs(ns, 'nft', ['add', 'rule', 'inet', 'llcut', 'in', 'iifname', dev, 'drop']);
      inNs(ns, 'nft', ['add', 'rule', 'inet', 'llcut', 'out', 'oifname', dev, 'drop']);
    }
  }

  /** Ends a silent cut. */
  unblock(link: LinkNet): void {
    inNs(this.must(link.a).ns, 'nft', ['delete', 'table', 'inet', 'llcut']);
    inNs(this.must(link.b).ns, 'nft', ['delete', 'table', 'inet', 'llcut']);
  }

  /** Heals a cut link (the addresses come back with the interfaces). */
  heal(link: LinkNet): void {
    inNs(this.must(link.a).ns, 'ip', ['link', 'set', link.ifA, 'up']);
    inNs(this.must(link.b).ns, 'ip', ['link', 'set', link.ifB, 'up']);
  }

  /** Deletes every namespace (their veths go with them). Safe to call twice. */
  destroy(): void {
    process.removeListener('exit', this.onExit);
    for (const r of this.regions.values()) {
      try {
        run('ip', ['netns', 'del', r.ns]);
      } catch {
        // already gone
      }
    }
    this.regions.clear();
  }

  private must(name: string): RegionNet {
    const r = this.regions.get(name);
    if (!r) throw new Error(`no region ${name}`);
    return r;
  }
}
