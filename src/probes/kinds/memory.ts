import { slope as trendSlope } from '../../util/trend.js';
import type { ProbeConfig } from '../../config/probeSchema.js';
import { formatDuration } from '../../config/duration.js';
import type { Probe, ProbeResult, ProbeRunContext } from '../probe.js';
import { phasesOf } from './http.js';
import { ExporterLines } from './exporterLines.js';
import { SATURATION_SERIES, saturationEvaluator, type SaturationConfig } from './saturation.js';
import { down, httpGet, instantQuery } from './httpGet.js';

type MemoryConfig = Extract<ProbeConfig, { kind: 'memory' }>;

/*
 * node_exporter 1.5 facts (checked): MemAvailable/MemTotal/SwapTotal/SwapFree come as
 * node_memory_*_bytes gauges; PSI only as counters node_pressure_memory_waiting_seconds_total
 * ("some": any task stalled) and node_pressure_memory_stalled_seconds_total ("full": all stalled),
 * so the share of time stalled is a rate between two scrapes; OOM kills as node_vmstat_oom_kill.
 */
const NEEDED = ['node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes'] as const;

/** Every sample the probe reads from node_exporter's text. */
const WANTED: ReadonlySet<string> = new Set([
  'node_memory_MemAvailable_bytes',
  'node_memory_MemTotal_bytes',
  'node_memory_SwapTotal_bytes',
  'node_memory_SwapFree_bytes',
  'node_pressure_memory_waiting_seconds_total',
  'node_pressure_memory_stalled_seconds_total',
  'node_vmstat_oom_kill',
  ...SATURATION_SERIES,
]);

/** Every series the probe reads, as one PromQL selector (the instance label is added). */
const SERIES = `node_memory_(MemAvailable|MemTotal|SwapTotal|SwapFree)_bytes|node_pressure_memory_(waiting|stalled)_seconds_total|node_vmstat_oom_kill|${SATURATION_SERIES.join('|')}`;

/** The values read, or why they are not usable. */
type Readings = { ok: true; values: Map<string, number> } | { ok: false; why: string };

interface Sample {
  t: number;
  available: number;
}

interface Counters {
  t: number;
  waiting?: number;
  stalled?: number;
  oom?: number;
}

/**
 * Memory pressure of a host, scraped straight from its node_exporter (so it works while
 * Prometheus is down). Warns when memory runs low, stalls rise (PSI), the OOM killer runs or swap
 * fills; critical when it is nearly gone or the MemAvailable trend (a least-squares fit over
 * `trend_window`) runs out within `critical_exhaustion`. An exporter that accepts TCP but does
 * not answer is reported as exactly that: often the host is too busy swapping to answer.
 */
export function memoryProbe(cfg: MemoryConfig): Probe {
  const evaluate = memoryEvaluator(cfg);
  if (cfg.url === undefined) return viaPrometheus(cfg, evaluate);
  const url = cfg.url;
  return {
    kind: 'memory',
    target: url,
    async run(ctx: ProbeRunContext): Promise<ProbeResult> {
      // The answer is read line by line as it arrives and only the wanted samples are kept
      // (exporterLines.ts): a node_exporter of 200,000 series costs a few ms a chunk.
      const lines = new ExporterLines(WANTED);
      const g = await httpGet(url, ctx, cfg.tls_verify, {
        headers: { accept: 'text/plain' },
        onChunk: (c) => {
          const why = lines.scan(c);
          return why === undefined ? undefined : { refuse: `node_exporter output is not usable: ${why}` };
        },
      });
      if (!g.ok) return g.answered ? g.result : { ...g.result, summary: `node_exporter unresponsive: ${g.result.summary}` };
      if (g.status !== 200) return down(g, `node_exporter answered HTTP ${g.status}`);
      return { ...evaluate(readingsOf(lines), ctx.nowMs), phases: phasesOf(g.timings) };
    },
  };
}

/**
 * The same signals from Prometheus (one instant query for every series of the instance): for hosts
 * Lifeline cannot reach directly. It depends on Prometheus scraping: a series not scraped for 5
 * minutes drops out of instant queries (Prometheus' staleness), which reads as "no samples".
 */
function viaPrometheus(cfg: MemoryConfig, evaluate: ReturnType<typeof memoryEvaluator>): Probe {
  const base = (cfg.prometheus as string).replace(/\/+$/, '');
  const instance = cfg.instance as string;
  const query = `{__name__=~"${SERIES}",instance="${instance.replace(/["\\]/g, '\\$&')}"}`;
  return {
    kind: 'memory',
    target: `${base} instance=${instance}`,
    async run(ctx: ProbeRunContext): Promise<ProbeResult> {
      const q = await instantQuery(base, query, ctx, cfg.tls_verify);
      if (!q.ok) return q.answered ? q.result : { ...q.result, summary: `Prometheus unresponsive: ${q.result.summary}` };
      const values = new Map<string, number>();
      for (const r of q.samples) {
        const name = r.metric['__name__'];
        const v = Number(r.value);
        if (name !== undefined && Number.isFinite(v) && v >= 0) values.set(name, v);
      }
      const missing = NEEDED.filter((k) => !values.has(k));
      const readings: Readings = missing.length > 0
        ? { ok: false, why: `Prometheus has no ${missing.join(' or ')} for instance="${instance}" (not scraped in the last 5 min, or another instance label)` }
        : checked(values, false);
      return { ...evaluate(readings, ctx.nowMs), phases: phasesOf(q.g.timings) };
    },
  };
}

/**
 * The judgement, apart from the scrape (tested on recorded exporter outputs and a fake clock):
 * keeps the MemAvailable samples of the trend window and the last counters between calls.
 */
export function memoryEvaluator(
  cfg: Pick<MemoryConfig, 'trend_window' | 'critical_available_percent' | 'warn_available_percent' | 'critical_exhaustion' | 'psi_warn_percent' | 'swap_warn_percent' | 'oom_window'> & SaturationConfig,
): (readings: Readings, nowMs: number) => ProbeResult {
  let samples: Sample[] = [];
  let prev: Counters | undefined;
  // The last OOM kill seen, and how many within oom_window of it: one run sees the counter rise,
  // but the news stays reported for the window (the kill happened; the warning must not clear 3 s later).
  let oom: { fromMs: number; atMs: number; kills: number } | undefined;
  const saturation = saturationEvaluator(cfg);
  return (m, now) => {
    if (!m.ok) return { up: false, summary: m.why, phases: {}, values: {} };
    const v = m.values;
    const total = v.get('node_memory_MemTotal_bytes') as number;
    const available = v.get('node_memory_MemAvailable_bytes') as number;
    const pct = (available / total) * 100;
    samples = [...samples.filter((s) => now - s.t <= cfg.trend_window && s.t < now), { t: now, available }];
    const slope = trendSlope(samples.map((x) => ({ t: x.t, v: x.available }))); // bytes per ms
    const values: ProbeResult['values'] = { available_bytes: available, total_bytes: total, available_percent: Math.round(pct * 10) / 10 };
    let words = `MemAvailable ${Math.round(pct)} % (${size(available)} of ${size(total)})`;
    let leftMs: number | undefined;
    if (slope !== undefined && slope < 0) {
      leftMs = available / -slope;
      values['exhausted_in_seconds'] = Math.round(leftMs / 1000);
      words += ` and falling ${size(-slope * 60_000)}/min: exhausted in ~${formatDuration(leftMs)}`;
    } else if (slope !== undefined) words += slope > 0 ? ', rising' : ', steady';
    const warnings: string[] = [];
    const c: Counters = { t: now, waiting: v.get('node_pressure_memory_waiting_seconds_total'), stalled: v.get('node_pressure_memory_stalled_seconds_total'), oom: v.get('node_vmstat_oom_kill') };
    if (prev && now > prev.t) {
      const secs = (now - prev.t) / 1000;
      if (c.waiting !== undefined && prev.waiting !== undefined && c.waiting >= prev.waiting) {
        const share = ((c.waiting - prev.waiting) / secs) * 100;
        values['stall_some_percent'] = Math.round(share * 10) / 10;
        if (share >= cfg.psi_warn_percent) warnings.push(`tasks stalled on memory ${Math.round(share)} % of the time (PSI)`);
      }
      if (c.stalled !== undefined && prev.stalled !== undefined && c.stalled >= prev.stalled) values['stall_full_percent'] = Math.round(((c.stalled - prev.stalled) / secs) * 1000) / 10;
      if (c.oom !== undefined && prev.oom !== undefined && c.oom > prev.oom) {
        const recent = oom !== undefined && now - oom.atMs <= cfg.oom_window ? oom : undefined;
        // The counter rose between the last run and this one: the kill happened in that span.
        oom = { fromMs: recent?.fromMs ?? prev.t, atMs: now, kills: c.oom - prev.oom + (recent?.kills ?? 0) };
      }
    }
    prev = c;
    if (oom !== undefined && now - oom.atMs <= cfg.oom_window) {
      values['oom_kills'] = oom.kills;
      const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
      warnings.push(`${oom.kills} OOM kill(s) between ${hhmm(oom.fromMs)} and ${hhmm(oom.atMs)} UTC (shown for ${formatDuration(cfg.oom_window)} after)`);
    }
    const swapTotal = v.get('node_memory_SwapTotal_bytes');
    const swapFree = v.get('node_memory_SwapFree_bytes');
    if (swapTotal !== undefined && swapFree !== undefined && swapTotal > 0) {
      const used = ((swapTotal - swapFree) / swapTotal) * 100;
      values['swap_used_percent'] = Math.round(used);
      if (used >= cfg.swap_warn_percent) warnings.push(`swap ${Math.round(used)} % used`);
    }
    const sat = saturation(v, now);
    Object.assign(values, sat.values);
    warnings.push(...sat.warnings);
    const summary = [words, ...sat.critical, ...warnings, ...sat.words].join('; ');
    if (pct < cfg.critical_available_percent || (leftMs !== undefined && leftMs <= cfg.critical_exhaustion) || sat.critical.length > 0) return { up: false, summary, phases: {}, values };
    const warn = pct < cfg.warn_available_percent || warnings.length > 0;
    return { up: true, summary, phases: {}, values, ...(warn ? { warning: summary } : {}) };
  };
}

/** The sample values the probe reads from node_exporter's text (all of it at once), checked as the probe checks them. */
export function readMetrics(text: string): Readings {
  const lines = new ExporterLines(WANTED);
  const why = lines.scan(Buffer.from(text, 'utf8'));
  return why !== undefined ? { ok: false, why: `node_exporter output is not usable: ${why}` } : readingsOf(lines);
}

/** What the lines read once the answer has ended: the checked readings, or why they are not usable. */
function readingsOf(lines: ExporterLines): Readings {
  const why = lines.end();
  const r: Readings = why !== undefined ? { ok: false, why } : checked(lines.values, lines.looksLikeHtml());
  return r.ok ? r : { ok: false, why: `node_exporter output is not usable: ${r.why}` };
}

/**
 * The samples read, checked: every needed one present, and consistent. Numbers that cannot both be
 * true (MemAvailable above MemTotal, SwapFree above SwapTotal) are the exporter's fault, reported
 * as such, never read as a verdict on the host ("225 %" once counted as up).
 */
function checked(values: Map<string, number>, html: boolean): Readings {
  const missing = NEEDED.filter((k) => !values.has(k));
  if (missing.length > 0) return { ok: false, why: `${missing.join(' and ')} missing (${html ? 'HTML, not metrics' : 'is this node_exporter?'})` };
  const total = values.get('node_memory_MemTotal_bytes') as number;
  const available = values.get('node_memory_MemAvailable_bytes') as number;
  if (total <= 0) return { ok: false, why: 'node_memory_MemTotal_bytes is 0' };
  if (available > total) return { ok: false, why: `node_memory_MemAvailable_bytes (${available}) is more than node_memory_MemTotal_bytes (${total}): the numbers contradict each other, so they say nothing about the host` };
  const swapTotal = values.get('node_memory_SwapTotal_bytes');
  const swapFree = values.get('node_memory_SwapFree_bytes');
  if (swapTotal !== undefined && swapFree !== undefined && swapFree > swapTotal) return { ok: false, why: `node_memory_SwapFree_bytes (${swapFree}) is more than node_memory_SwapTotal_bytes (${swapTotal}): the numbers contradict each other` };
  return { ok: true, values };
}

/** Bytes in units of 1024, named so (GiB, MiB), as free(1) and /proc/meminfo count them. */
function size(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}
