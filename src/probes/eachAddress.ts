import dns from 'node:dns';
import net from 'node:net';
import { describeError } from '../errors.js';
import { failed, type Probe, type ProbeResult, type ProbeRunContext } from './probe.js';

/*
 * Every address behind a name. A portal behind round-robin DNS or a keepalived pair has one name
 * and several addresses; a probe that resolves the name and checks one address misses the other
 * being dead (blackbox_exporter, Gatus and Uptime Kuma each check one). With `each_address`,
 * Lifeline resolves the name and runs the probe's own check against every address it returns, at
 * once, with the name kept for TLS SNI and the HTTP Host header, and gives one verdict for the
 * name: all up is up; some down with at least `address_quorum` up is a warning naming them; fewer
 * up is down.
 */

/** Most addresses checked per name (a name with more is checked on its first 16). */
export const MAX_ADDRESSES = 16;

/** Resolves a name to its addresses (A and AAAA), within the run's deadline. */
export type AddressResolver = (host: string, signal: AbortSignal) => Promise<string[]>;

/**
 * A resolver: the given DNS server's A and AAAA records (node:dns Resolver, so a test or an
 * operator can point it at a server of their own), or the system's getaddrinfo (hosts file, then
 * resolv.conf) when none is given.
 */
export function addressResolver(server?: string): AddressResolver {
  if (server === undefined) {
    return async (host, signal) => {
      if (net.isIP(host)) return [host];
      const lookup = dns.promises.lookup(host, { all: true, verbatim: true });
      const r = await Promise.race([lookup, aborted(signal)]);
      return [...new Set(r.map((a) => a.address))];
    };
  }
  return async (host, signal) => {
    if (net.isIP(host)) return [host];
    const resolver = new dns.promises.Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([server]);
    const cancel = (): void => resolver.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      // A name may have A records only, AAAA only, or both: no data for one family is no error.
      const none = (err: NodeJS.ErrnoException): string[] => {
        if (err.code === 'ENODATA') return [];
        throw err;
      };
      const [v4, v6] = await Promise.all([resolver.resolve4(host).catch(none), resolver.resolve6(host).catch(none)]);
      return [...v4, ...v6];
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  };
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new Error('timeout'));
    signal.addEventListener('abort', () => reject(new Error('timeout')), { once: true });
  });
}

/** DNS failures in words. */
function dnsWords(host: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOTFOUND') return `DNS: ${host} does not exist (NXDOMAIN)`;
  if (code === 'ESERVFAIL') return `DNS: the resolver failed for ${host} (SERVFAIL)`;
  if (code === 'ETIMEOUT' || code === 'ECANCELLED' || (err as Error).message === 'timeout') return `DNS: no answer for ${host} in time`;
  if (code === 'EREFUSED') return `DNS: the resolver refused the query for ${host}`;
  return `DNS: ${host}: ${describeError(err)}`;
}

/** "[2001:db8::1]" for IPv6, the address itself otherwise. */
function shown(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** Wraps a probe so that each run checks every address of `host` (see the top of this file). */
export function eachAddress(inner: Probe, host: string, quorum: number, resolve: AddressResolver): Probe {
  return {
    kind: inner.kind,
    target: inner.target,
    async run(ctx: ProbeRunContext): Promise<ProbeResult> {
      const t0 = performance.now();
      let addresses: string[];
      try {
        addresses = (await resolve(host, ctx.signal)).slice(0, MAX_ADDRESSES);
      } catch (err) {
        return failed(dnsWords(host, err), { total: (performance.now() - t0) / 1000 });
      }
      const dnsS = (performance.now() - t0) / 1000;
      if (addresses.length === 0) return failed(`DNS: ${host} has no A or AAAA record`, { dns: dnsS, total: dnsS });
      const results = await Promise.all(addresses.map((address) => inner.run({ ...ctx, address }).then((r) => ({ address, r }))));
      const down = results.filter((x) => !x.r.up);
      const up = results.filter((x) => x.r.up);
      const total = (performance.now() - t0) / 1000;
      const values = { addresses: addresses.length, addresses_up: up.length };
      const word = (x: { address: string; r: ProbeResult }): string => `${shown(x.address)} ${x.r.summary}`;
      const head = `${host}: ${addresses.length} address${addresses.length === 1 ? '' : 'es'}`;
      const warnings = up.flatMap((x) => (x.r.warning ? [`${shown(x.address)}: ${x.r.warning}`] : []));
      const phases = { dns: dnsS, total };
      if (down.length === 0) return { up: true, summary: `${head}, all up; ${up.map(word).join('; ')}`, phases, values, ...(warnings.length ? { warning: warnings.join('; ') } : {}) };
      const list = `${down.map(word).join('; ')}${up.length ? `; up: ${up.map((x) => shown(x.address)).join(', ')}` : ''}`;
      if (up.length >= quorum) {
        const warning = `${head}, ${down.length} down (still served by ${up.map((x) => shown(x.address)).join(', ')}): ${down.map(word).join('; ')}${warnings.length ? `; ${warnings.join('; ')}` : ''}`;
        return { up: true, summary: `${head}; ${list}`, phases, values, warning };
      }
      return { up: false, summary: `${head}, ${up.length} up (quorum ${quorum}); ${list}`, phases, values };
    },
  };
}
