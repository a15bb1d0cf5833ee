import { labelValue, type LabelSet } from '../alerts/labels.js';
import type { ProbeConfig } from '../config/probeSchema.js';
import type { Clock } from '../util/clock.js';

/** One ping to a heartbeat: a beat, a run's start, or the sender's own report that it is failing. */
export type HeartbeatPing = { kind: 'success' } | { kind: 'start' } | { kind: 'fail'; reason: string };

/** Where beats and reported failures are kept (store/heartbeats.ts). */
export interface HeartbeatRecorder {
  beat(name: string, nowMs: number): void;
  fail(name: string, nowMs: number, reason: string): void;
}

/**
 * Which heartbeat probe a beat belongs to. A heartbeat probe (probes.targets, kind: heartbeat) is
 * fed one of two ways, never both:
 *  - with `alertname`: by an alert of that name arriving on the webhook (Prometheus' Watchdog, an
 *    alert that fires all the time while the monitoring path works). Such alerts are beats: never
 *    posted nor paged, and not counted as something firing;
 *  - without: by pings to /api/v1/heartbeat/<name> (healthchecks.io style).
 */
export class HeartbeatRoutes {
  private readonly byAlert: ReadonlyMap<string, string>;
  private readonly pinged: ReadonlySet<string>;
  /** The alertnames that are beats: left out of firing counts and outage summaries. */
  readonly quietNames: readonly string[];

  constructor(
    targets: readonly ProbeConfig[],
    private readonly store: HeartbeatRecorder,
    private readonly clock: Clock,
  ) {
    this.byAlert = new Map(targets.flatMap((t) => (t.kind === 'heartbeat' && t.alertname !== undefined ? [[t.alertname, t.name] as const] : [])));
    this.pinged = new Set(targets.flatMap((t) => (t.kind === 'heartbeat' && t.alertname === undefined ? [t.name] : [])));
    this.quietNames = [...this.byAlert.keys()];
  }

  /** The heartbeat an incoming alert feeds (by its alertname), if any. */
  heartbeatOf(labels: LabelSet): string | undefined {
    return this.byAlert.size > 0 ? this.byAlert.get(labelValue(labels, 'alertname') ?? '') : undefined;
  }

  /** Records a ping of heartbeat `name`: false when no heartbeat probe of that name takes pings. Throws when it cannot be stored. */
  ping(name: string, ping: HeartbeatPing): boolean {
    if (!this.pinged.has(name)) return false;
    if (ping.kind === 'success') this.store.beat(name, this.clock.now());
    else if (ping.kind === 'fail') this.store.fail(name, this.clock.now(), ping.reason);
    return true;
  }
}
