import type { ProbeConfig } from '../config/probeSchema.js';
import { alertmanagerProbe } from './kinds/alertmanager.js';
import { bouncerProbe } from './kinds/bouncer.js';
import { prometheusProbe } from './kinds/prometheus.js';
import { httpProbe } from './kinds/http.js';
import { tcpProbe, tlsProbe } from './kinds/socket.js';
import type { Probe, ProbeKind } from './probe.js';

/** One entry per probe kind: how to build it from its config. Add a kind here and in probeSchema.ts. */
export const PROBE_KINDS: { readonly [K in ProbeKind]: (cfg: Extract<ProbeConfig, { kind: K }>) => Probe } = {
  http: httpProbe,
  tcp: tcpProbe,
  tls: tlsProbe,
  bouncer: bouncerProbe,
  prometheus: prometheusProbe,
  alertmanager: alertmanagerProbe,
};

/** Builds the probe a config entry describes. */
export function createProbe(cfg: ProbeConfig): Probe {
  return (PROBE_KINDS[cfg.kind] as (c: ProbeConfig) => Probe)(cfg);
}
