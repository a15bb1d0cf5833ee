import type { ProbeConfig } from '../config/probeSchema.js';
import type { HeartbeatSource } from './kinds/heartbeat.js';
import type { WgTimestamps } from '../store/wgTimestamps.js';
import type { Probe, ProbeKind } from './probe.js';
import { addressResolver, eachAddress } from './eachAddress.js';
import { gotLib } from '../util/lazy.js';

/** What probe kinds may need besides their config. */
export interface ProbeDeps {
  heartbeats: HeartbeatSource;
  /** Rising WireGuard handshake timestamps per probe key (stored across restarts). */
  wgTimestamps: WgTimestamps;
}

/**
 * A kind that speaks HTTP loads got with its code, at start (before Lifeline serves anything):
 * compiling got's modules holds the event loop 87–131 ms (measured on the 2-core machine under
 * load), which at a probe's first run held /healthz as long (docs/benchmarks.md, hostile).
 */
async function withGot<T>(code: Promise<T>): Promise<T> {
  return (await Promise.all([code, gotLib()]))[0];
}

/** How one kind builds its probe from its config. */
type Factory<K extends ProbeKind> = (cfg: Extract<ProbeConfig, { kind: K }>, deps: ProbeDeps) => Probe;

/**
 * One entry per probe kind: where its code is and how it builds a probe. Add a kind here and in
 * probeSchema.ts. A kind's code (and what it imports: @noble for WireGuard, node:tls for OpenVPN's
 * deep mode) is loaded only when the config has a probe of that kind; loading every kind at start
 * cost a Lifeline that only relays about 3 MB of its idle RSS (docs/benchmarks.md, start).
 */
export const PROBE_KINDS: { readonly [K in ProbeKind]: () => Promise<Factory<K>> } = {
  http: async () => (await withGot(import('./kinds/http.js'))).httpProbe,
  tcp: async () => (await import('./kinds/socket.js')).tcpProbe,
  tls: async () => (await import('./kinds/socket.js')).tlsProbe,
  bouncer: async () => (await import('./kinds/bouncer.js')).bouncerProbe,
  prometheus: async () => (await withGot(import('./kinds/prometheus.js'))).prometheusProbe,
  alertmanager: async () => (await withGot(import('./kinds/alertmanager.js'))).alertmanagerProbe,
  heartbeat: async () => {
    const { heartbeatProbe } = await import('./kinds/heartbeat.js');
    return (cfg, deps) => heartbeatProbe(cfg, deps.heartbeats);
  },
  memory: async () => (await withGot(import('./kinds/memory.js'))).memoryProbe,
  openvpn: async () => (await import('./kinds/openvpn.js')).openvpnProbe,
  openvpn_capacity: async () => (await import('./kinds/openvpnCapacity.js')).openvpnCapacityProbe,
  wireguard: async () => {
    const { wireguardProbe } = await import('./kinds/wireguard.js');
    return (cfg, deps) => wireguardProbe(cfg, { timestamps: deps.wgTimestamps });
  },
  dns: async () => (await import('./kinds/dns.js')).dnsProbe,
};

/** Builds a probe from its config entry, with the code of its kind already loaded. */
export type ProbeBuilder = (cfg: ProbeConfig, deps: ProbeDeps) => Probe;

/**
 * Loads the code of the given kinds (those the config uses) and returns what builds their probes;
 * building a probe of a kind not loaded here is a programming error and throws.
 */
export async function probeBuilder(kinds: Iterable<ProbeKind>): Promise<ProbeBuilder> {
  const loaded = new Map<ProbeKind, Factory<ProbeKind>>();
  for (const kind of new Set(kinds)) loaded.set(kind, (await PROBE_KINDS[kind]()) as Factory<ProbeKind>);
  return (cfg, deps) => {
    const factory = loaded.get(cfg.kind);
    if (!factory) throw new Error(`probe kind ${cfg.kind} was not loaded (probeBuilder was given ${[...loaded.keys()].join(', ') || 'no kinds'})`);
    const probe = (factory as (c: ProbeConfig, d: ProbeDeps) => Probe)(cfg, deps);
    const host = addressHost(cfg);
    return host === undefined ? probe : eachAddress(probe, host, 'address_quorum' in cfg ? cfg.address_quorum : 1, addressResolver('resolver' in cfg ? cfg.resolver : undefined));
  };
}

/** The name whose every address a probe checks (each_address on tcp, tls and http probes), if it does. */
function addressHost(cfg: ProbeConfig): string | undefined {
  if (!('each_address' in cfg) || !cfg.each_address) return undefined;
  if (cfg.kind === 'tcp' || cfg.kind === 'tls') return cfg.host;
  if (cfg.kind === 'http') return new URL(cfg.url).hostname.replace(/^\[|\]$/g, '');
  return undefined;
}

/** Builds the probe a config entry describes, loading its kind's code first. */
export async function createProbe(cfg: ProbeConfig, deps: ProbeDeps): Promise<Probe> {
  return (await probeBuilder([cfg.kind]))(cfg, deps);
}
