import type { ProbeConfig } from '../../config/probeSchema.js';
import { type Probe, type ProbeResult, type ProbeRunContext } from '../probe.js';
import { phasesOf } from './http.js';
import { down, healthyAndReady, httpGet, readJson } from './httpGet.js';

type AlertmanagerConfig = Extract<ProbeConfig, { kind: 'alertmanager' }>;

/**
 * Alertmanager: `/-/healthy`, `/-/ready`, and `/api/v2/status` (0.25): `cluster.status` is
 * "ready", "settling" or "disabled" (a single instance run with --cluster.listen-address="");
 * `cluster.peers` lists the members. A cluster that lost peers keeps delivering, but a second
 * failure then loses notifications: `min_peers` says how many there must be.
 */
export function alertmanagerProbe(cfg: AlertmanagerConfig): Probe {
  const base = cfg.url.replace(/\/+$/, '');
  return {
    kind: 'alertmanager',
    target: base,
    async run(ctx: ProbeRunContext): Promise<ProbeResult> {
      const notOk = await healthyAndReady(base, ctx, cfg.tls_verify, 'Alertmanager');
      if (notOk) return notOk;
      const g = await httpGet(`${base}/api/v2/status`, ctx, cfg.tls_verify, { json: true });
      if (!g.ok) return g.result;
      if (g.status !== 200) return down(g, `Alertmanager /api/v2/status answered HTTP ${g.status}`);
      const j = await readJson(g, '/api/v2/status', 'alertmanagerStatus', undefined, ctx);
      if (!j.ok) return j.result;
      const { cluster, peers, version } = j.value;
      const values: ProbeResult['values'] = { cluster, peers, version };
      if (cluster !== 'ready' && cluster !== 'disabled') return down(g, `Alertmanager cluster is ${cluster} (${peers} peer(s))`, values);
      if (peers < cfg.min_peers) return down(g, `Alertmanager cluster has ${peers} peer(s), expected at least ${cfg.min_peers}`, values);
      return { up: true, summary: `healthy, ready; cluster ${cluster}${cluster === 'ready' ? ` with ${peers} peer(s)` : ''}`, phases: phasesOf(g.timings), values };
    },
  };
}
