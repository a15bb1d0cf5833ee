import type { ProbeConfig } from '../config/probeSchema.js';
import { alertmanagerProbe } from './kinds/alertmanager.js';
import { bouncerProbe } from './kinds/bouncer.js';
import { heartbeatProbe, type HeartbeatSource } from './kinds/heartbeat.js';
import { httpProbe } from './kinds/http.js';
import { memoryProbe } from './kinds/memory.js';
import { prometheusProbe } from './kinds/prometheus.js';
import { tcpProbe, tlsProbe } from './kinds/socket.js';
import type { Probe, ProbeKind } from './probe.js';
import { wireguardProbe, type WgTimestamps } from './kinds/wireguard.js';
import { openvpnProbe } from './kinds/openvpn.js';
import { openvpnCapacityProbe } from './kinds/openvpnCapacity.js';

/** What probe kinds may need besides their config. */
export interface ProbeDeps {
  heartbeats: HeartbeatSource;
  /** Rising WireGuard handshake timestamps per probe key (stored across restarts). */
  wgTimestamps: WgTimestamps;
}

/** One entry per probe kind: how to build it from its config. Add a kind here and in probeSchema.ts. */
export const PROBE_KINDS: { readonly [K in ProbeKind]: (cfg: Extract<ProbeConfig, { kind: K }>, deps: ProbeDeps) => Probe } = {
  http: httpProbe,
  tcp: tcpProbe,
  tls: tlsProbe,
  bouncer: bouncerProbe,
  prometheus: prometheusProbe,
  alertmanager: alertmanagerProbe,
  heartbeat: (cfg, deps) => heartbeatProbe(cfg, deps.heartbeats),
  memory: memoryProbe,
  openvpn: openvpnProbe,
  openvpn_capacity: openvpnCapacityProbe,
  wireguard: (cfg, deps) => wireguardProbe(cfg, { timestamps: deps.wgTimestamps }),
};

/** Builds the probe a config entry describes. */
export function createProbe(cfg: ProbeConfig, deps: ProbeDeps): Probe {
  return (PROBE_KINDS[cfg.kind] as (c: ProbeConfig, d: ProbeDeps) => Probe)(cfg, deps);
}
