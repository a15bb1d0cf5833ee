import type { ProbeConfig } from '../../config/probeSchema.js';
import { type Probe, type ProbeResult, type ProbeRunContext } from '../probe.js';
import { phasesOf } from './http.js';
import { down, healthyAndReady, httpGet, objectOf, parseJson, stringOf } from './httpGet.js';

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
      const j = parseJson(g, '/api/v2/status');
      if (!j.ok) return down(g, j.why);
      const st = objectOf(j.value);
      const c = objectOf(st?.['cluster']);
      if (st === undefined || c === undefined) return down(g, `/api/v2/status answered JSON without a cluster object (is this Alertmanager 0.2x?): ${g.body.slice(0, 80)}`);
      const cluster = stringOf(c['status']) ?? 'unknown';
      const peerList = c['peers'];
      const peers = Array.isArray(peerList) ? peerList.length : 0;
      const values: ProbeResult['values'] = { cluster, peers, version: stringOf(objectOf(st['versionInfo'])?.['version']) ?? '' };
      if (cluster !== 'ready' && cluster !== 'disabled') return down(g, `Alertmanager cluster is ${cluster} (${peers} peer(s))`, values);
      if (peers < cfg.min_peers) return down(g, `Alertmanager cluster has ${peers} peer(s), expected at least ${cfg.min_peers}`, values);
      return { up: true, summary: `healthy, ready; cluster ${cluster}${cluster === 'ready' ? ` with ${peers} peer(s)` : ''}`, phases: phasesOf(g.timings), values };
    },
  };
}
