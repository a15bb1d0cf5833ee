import type { ProbeConfig } from '../../config/probeSchema.js';
import { formatDuration } from '../../config/duration.js';
import type { Probe, ProbeResult, ProbeRunContext } from '../probe.js';

type HeartbeatConfig = Extract<ProbeConfig, { kind: 'heartbeat' }>;

/** Where heartbeats are read from (store/heartbeats.ts), and since when Lifeline has been waiting. */
export interface HeartbeatSource {
  last(name: string): number | undefined;
  /** The failure the sender itself reported after its last beat (a "/fail" ping), if any. */
  failure(name: string): { atMs: number; reason: string } | undefined;
  /** When this Lifeline started watching (a heartbeat never seen counts from here). */
  readonly sinceMs: number;
}

/**
 * A dead man's switch: something must arrive at least every `within`. With `alertname`, that is an
 * alert of that name through the webhook (Alertmanager's always-firing Watchdog, sent again every
 * `repeat_interval`): when it stops, Prometheus, its rules or Alertmanager's delivery is broken.
 * Without, a ping to `/api/v1/heartbeat/<name>` (a cron job, a second Lifeline); like
 * healthchecks.io, `<name>/fail` (its POST body the reason) reports the sender unhealthy at once,
 * until its next plain ping, and `<name>/start` is accepted and changes nothing.
 */
export function heartbeatProbe(cfg: HeartbeatConfig, source: HeartbeatSource): Probe {
  const what = cfg.alertname !== undefined ? `${cfg.alertname} alert` : 'heartbeat ping';
  const broken = cfg.alertname !== undefined ? ': the alert pipeline (Prometheus rules → Alertmanager → Lifeline) is broken' : '';
  return {
    kind: 'heartbeat',
    target: cfg.alertname !== undefined ? `alertname=${cfg.alertname}` : `/api/v1/heartbeat/${cfg.name}`,
    run(ctx: ProbeRunContext): Promise<ProbeResult> {
      const last = source.last(cfg.name);
      const age = ctx.nowMs - (last ?? source.sinceMs);
      const values: ProbeResult['values'] = last !== undefined ? { last_seen_ms: last, age_seconds: Math.round(age / 1000) } : {};
      const every = formatDuration(cfg.within);
      const failed = cfg.alertname === undefined ? source.failure(cfg.name) : undefined;
      if (failed) return Promise.resolve({ up: false, summary: `the sender reports it is not healthy (${formatDuration(Math.max(0, ctx.nowMs - failed.atMs))} ago): ${failed.reason || 'no reason given'}`, phases: {}, values });
      if (age <= cfg.within) {
        return Promise.resolve({ up: true, summary: last !== undefined ? `last ${what} ${formatDuration(age)} ago (expected every ${every})` : `waiting for the first ${what} (expected every ${every})`, phases: {}, values });
      }
      // How late, not only how long: "for 10s (expected every 10s)" read as if nothing were wrong.
      const late = `${formatDuration(age - cfg.within)} overdue`;
      const summary = last !== undefined ? `no ${what} for ${formatDuration(age)}, ${late} (expected every ${every})${broken}` : `no ${what} since Lifeline started ${formatDuration(age)} ago, ${late} (expected every ${every})${broken}`;
      return Promise.resolve({ up: false, summary, phases: {}, values });
    },
  };
}
