import type { ProbeConfig, ProbesConfig } from '../config/probeSchema.js';
import type { StoredProbeState } from '../store/probeState.js';
import type { DampLimits } from './policy/flapDamping.js';
import type { LastResult, ProbeView, ProbeWorld } from './policy/outcome.js';
import type { Saved } from './policy/writeThrottle.js';
import type { Probe } from './probe.js';
import type { TimerHandle } from '../util/clock.js';

/** Extra time a probe gets past its timeout before it is abandoned (a probe that ignores its signal). */
export const GRACE_MS = 1_000;

/** One configured probe as the engine keeps it: its probe, damped state, last result and schedule. */
export interface Entry {
  cfg: ProbeConfig;
  probe: Probe;
  state: StoredProbeState;
  last: LastResult | null;
  timer: TimerHandle | undefined;
  /** Runs of this probe in progress (they may overlap when the timeout is longer than the interval). */
  running: number;
  /** What was last written to the store (decisive key, monotonic ms) and the result time it held. */
  saved: (Saved & { lastMs: number | null }) | undefined;
}

/** A probe's settings with the probes block's defaults applied. */
export class Settings {
  constructor(private readonly config: ProbesConfig) {}

  /** How often the probe runs (ms). */
  interval(cfg: ProbeConfig): number {
    return cfg.interval ?? this.config.interval;
  }

  /** How long one run may take (ms). */
  timeout(cfg: ProbeConfig): number {
    return cfg.timeout ?? this.config.timeout;
  }

  /** Its flap damping thresholds (failures_to_open, successes_to_resolve). */
  limits(cfg: ProbeConfig): DampLimits {
    return { openAfter: cfg.failures_to_open ?? this.config.failures_to_open, resolveAfter: cfg.successes_to_resolve ?? this.config.successes_to_resolve };
  }
}

/**
 * The entries as the policies see them (policy/outcome.ts). Redundancy group members take no part
 * in shared-cause inference: their group speaks for them.
 */
export function worldOf(entries: ReadonlyMap<string, Entry>, settings: Settings, grouped: (probe: string) => boolean): ProbeWorld & { view(e: Entry): ProbeView } {
  const view = (x: Entry): ProbeView => ({
    name: x.cfg.name,
    state: x.state,
    last: x.last,
    openAfter: settings.limits(x.cfg).openAfter,
    dependsOn: x.cfg.depends_on ?? [],
    infer: x.cfg.infer_cause && !grouped(x.cfg.name),
    windowMs: settings.interval(x.cfg) * 1.1 + settings.timeout(x.cfg) + GRACE_MS,
  });
  return {
    view,
    get: (name) => {
      const x = entries.get(name);
      return x && view(x);
    },
    *all() {
      for (const x of entries.values()) yield view(x);
    },
  };
}
