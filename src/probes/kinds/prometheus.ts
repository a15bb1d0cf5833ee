import type { ProbeConfig } from '../../config/probeSchema.js';
import { formatDuration } from '../../config/duration.js';
import { ms, type Probe, type ProbeResult, type ProbeRunContext } from '../probe.js';
import { down, healthyAndReady, httpGet, instantQuery, readJson } from './httpGet.js';
import { phasesOf } from './http.js';

type PrometheusConfig = Extract<ProbeConfig, { kind: 'prometheus' }>;

/**
 * Prometheus, the scraper: `/-/healthy`, `/-/ready`, and scraping actually happening. From
 * `/api/v1/targets?state=active` (Prometheus 2.x): per target `health` ("up"/"down"/"unknown"),
 * `lastScrape` (RFC 3339), `lastError`, `scrapeInterval` ("15s"). A target whose last scrape is
 * older than `stale_factor` × its interval is not being scraped: the scraper is stuck even if it
 * says it is healthy. Optional PromQL checks compare the first sample of an instant query; with
 * `for`, a comparison fails the probe only once it has been false on every run for that long.
 */
export function prometheusProbe(cfg: PrometheusConfig): Probe {
  const base = cfg.url.replace(/\/+$/, '');
  /** Per query: since when (probe time) its comparison has been false, run after run (for `for`). */
  const falseSince = new Map<number, number>();
  return {
    kind: 'prometheus',
    target: base,
    async run(ctx: ProbeRunContext): Promise<ProbeResult> {
      const notOk = await healthyAndReady(base, ctx, cfg.tls_verify, 'Prometheus');
      if (notOk) return notOk;
      const g = await httpGet(`${base}/api/v1/targets?state=active`, ctx, cfg.tls_verify, { json: true });
      if (!g.ok) return g.result;
      const j = await readJson(g, '/api/v1/targets', 'targetHealth', { nowMs: ctx.nowMs, staleFactor: cfg.stale_factor }, ctx);
      if (!j.ok) return j.result;
      const h = j.value;
      const values: ProbeResult['values'] = { targets: h.total, targets_stale: h.staleCount, targets_down: h.downCount };
      if (h.total === 0) return down(g, 'Prometheus has no active scrape targets', { targets: 0 });
      const now = ctx.nowMs;
      if (h.staleCount > 0) return down(g, `Prometheus is not scraping: ${h.staleCount} of ${h.total} targets stale: ${h.stale.join('; ')}${h.staleCount > 3 ? ' …' : ''}`, values);
      if (h.downCount > cfg.max_targets_down) return down(g, `${h.downCount} of ${h.total} scrape targets down: ${h.down.join('; ')}${h.downCount > 3 ? ' …' : ''}`, values);
      const pending: string[] = [];
      for (const [i, q] of cfg.queries.entries()) {
        const qr = await instantQuery(base, q.expr, ctx, cfg.tls_verify, values);
        if (!qr.ok) return qr.result;
        const r = qr.g;
        const sample = qr.samples[0]?.value;
        if (sample === undefined) return down(r, `query ${q.expr} returned no data`, values);
        const v = Number(sample);
        if (compare(v, q.op, q.value)) {
          falseSince.delete(i);
          continue;
        }
        const since = falseSince.get(i) ?? now;
        falseSince.set(i, since);
        const wrong = `query ${q.expr} = ${sample}, expected ${q.op} ${q.value}`;
        if (q.for === undefined || now - since >= q.for) return down(r, q.for === undefined ? wrong : `${wrong} for ${ms(now - since)}`, values);
        pending.push(`${wrong} for ${ms(now - since)} of ${formatDuration(q.for)}`);
      }
      const summary = `healthy, ready; ${h.total} targets scraped on time${h.downCount ? ` (${h.downCount} down)` : ''}${pending.length ? `; pending: ${pending.join('; ')}` : ''}`;
      return { up: true, summary, phases: phasesOf(g.timings), values };
    },
  };
}

function compare(v: number, op: PrometheusConfig['queries'][number]['op'], want: number): boolean {
  switch (op) {
    case '>':
      return v > want;
    case '>=':
      return v >= want;
    case '<':
      return v < want;
    case '<=':
      return v <= want;
    case '==':
      return v === want;
    case '!=':
      return v !== want;
  }
}
