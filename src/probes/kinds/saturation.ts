import { formatDuration } from '../../config/duration.js';
import { slope } from '../../util/trend.js';
import type { ProbeResult } from '../probe.js';

/*
 * What runs out before memory on a busy VPN or proxy host (openvpn-at-scale: 50k–1M clients):
 * file descriptors (1024 per process by default, fs.file-max for the host), conntrack entries
 * (nf_conntrack_max: a full table drops new flows), and UDP receive buffers (the kernel drops
 * datagrams it has no room for: OpenVPN over UDP loses packets silently). node_exporter 1.5 facts
 * (checked on Debian's 1.5.0): node_filefd_allocated and node_filefd_maximum (filefd collector,
 * gauges), node_nf_conntrack_entries and node_nf_conntrack_entries_limit (conntrack collector,
 * only while the nf_conntrack module is loaded), node_netstat_Udp_RcvbufErrors (netstat collector,
 * a counter since boot). A series the exporter does not print is simply not judged.
 */

/** The series read, as the memory probe's scan and PromQL query name them. */
export const SATURATION_SERIES = ['node_filefd_allocated', 'node_filefd_maximum', 'node_nf_conntrack_entries', 'node_nf_conntrack_entries_limit', 'node_netstat_Udp_RcvbufErrors'] as const;

/** The thresholds, from the memory probe's config. */
export interface SaturationConfig {
  saturation_warn_percent: number;
  saturation_critical_percent: number;
  udp_rcvbuf_errors_warn_per_second: number;
  critical_exhaustion: number;
  trend_window: number;
}

/** What one evaluation found: words for the summary, warnings, critical findings, values. */
export interface SaturationFinding {
  words: string[];
  warnings: string[];
  critical: string[];
  values: ProbeResult['values'];
}

/** A table that fills: its used and maximum series, and how people call it. */
const TABLES = [
  { key: 'fd', used: 'node_filefd_allocated', max: 'node_filefd_maximum', name: 'file descriptors' },
  { key: 'conntrack', used: 'node_nf_conntrack_entries', max: 'node_nf_conntrack_entries_limit', name: 'conntrack entries' },
] as const;

/**
 * The judgement, between calls: each table's share used against the thresholds and its trend
 * (least squares over trend_window) against critical_exhaustion; UDP receive-buffer errors as a
 * rate between two runs.
 */
export function saturationEvaluator(cfg: SaturationConfig): (values: ReadonlyMap<string, number>, nowMs: number) => SaturationFinding {
  const history = new Map<string, Array<{ t: number; v: number }>>();
  let prevRcvbuf: { t: number; v: number } | undefined;
  return (v, now) => {
    const out: SaturationFinding = { words: [], warnings: [], critical: [], values: {} };
    for (const tb of TABLES) {
      const used = v.get(tb.used);
      const max = v.get(tb.max);
      if (used === undefined || max === undefined || max <= 0) continue;
      const pct = (used / max) * 100;
      const h = [...(history.get(tb.key) ?? []).filter((p) => now - p.t <= cfg.trend_window && p.t < now), { t: now, v: used }];
      history.set(tb.key, h);
      const perMs = slope(h);
      out.values[`${tb.key}_used_percent`] = Math.round(pct * 10) / 10;
      let text = `${tb.name} ${Math.round(pct)} % used (${used} of ${max})`;
      let leftMs: number | undefined;
      if (used >= max) text += ': full now';
      else if (perMs !== undefined && perMs > 0) {
        leftMs = (max - used) / perMs;
        out.values[`${tb.key}_exhausted_in_seconds`] = Math.round(leftMs / 1000);
        text += ` and rising ${Math.round(perMs * 60_000)}/min: full in ~${formatDuration(leftMs)}`;
      }
      if (pct >= cfg.saturation_critical_percent || (leftMs !== undefined && leftMs <= cfg.critical_exhaustion)) out.critical.push(text);
      else if (pct >= cfg.saturation_warn_percent) out.warnings.push(text);
      // Below the warning, said only when worth a look: half way there, or filling within a day.
      else if (pct >= cfg.saturation_warn_percent / 2 || (leftMs !== undefined && leftMs <= 86_400_000)) out.words.push(text);
    }
    const rcv = v.get('node_netstat_Udp_RcvbufErrors');
    if (rcv !== undefined) {
      if (prevRcvbuf && now > prevRcvbuf.t && rcv >= prevRcvbuf.v) {
        const rate = (rcv - prevRcvbuf.v) / ((now - prevRcvbuf.t) / 1000);
        out.values['udp_rcvbuf_errors_per_second'] = Math.round(rate * 10) / 10;
        if (rate >= cfg.udp_rcvbuf_errors_warn_per_second) {
          out.warnings.push(`the kernel dropped ${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} UDP datagrams/s for want of receive buffer in the last ${formatDuration(now - prevRcvbuf.t)} (net.core.rmem_max, the socket's buffer)`);
        }
      }
      prevRcvbuf = { t: now, v: rcv };
    }
    return out;
  };
}
