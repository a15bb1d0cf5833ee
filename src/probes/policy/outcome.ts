import type { StoredProbeState } from '../../store/probeState.js';
import type { ProbeResult } from '../probe.js';

/*
 * What the probe policies (flap damping, dependencies, redundancy, warnings) speak: each is a pure
 * function of the probes' states and one result, returning the changes to make to the states and
 * the events that follow. The engine applies the changes, then carries out the events in order
 * (probes/engine.ts), so the rules can be tested without a scheduler, a clock or a store.
 */

/** A probe's damped state, without its stored last result. */
export type DampedState = Omit<StoredProbeState, 'lastResult' | 'lastMs'>;

/** A probe's last result and when it came (wall ms). */
export type LastResult = ProbeResult & { atMs: number };

/** How one probe looks to the policies: its damped state, last result and the settings they read. */
export interface ProbeView {
  name: string;
  state: Readonly<DampedState>;
  last: LastResult | null;
  /** Its failures_to_open. */
  openAfter: number;
  /** The probes it depends on (depends_on), in config order. */
  dependsOn: readonly string[];
  /** Whether it takes part in shared-cause inference (infer_cause, and not in a redundancy group). */
  infer: boolean;
  /** How long ago a peer's last result may be to count as "the same interval": its interval plus timeout. */
  windowMs: number;
}

/** The probes as the policies see them. */
export interface ProbeWorld {
  get(name: string): ProbeView | undefined;
  /** Every probe, in config order. */
  all(): Iterable<ProbeView>;
}

/** A change to one probe's state. `save`: written to the store at once (a probe other than the one that ran). */
export interface StatePatch {
  probe: string;
  status?: 'up' | 'down';
  sinceMs?: number;
  behind?: string | null;
  save?: boolean;
}

/** What follows a decision, carried out in order after the patches. */
export type PolicyEvent =
  /** The probe's own alert (its group's, for a redundancy group member) fires or resolves, with this evidence. */
  | { kind: 'alert'; probe: string; status: 'firing' | 'resolved'; evidence: ProbeResult }
  /** The one alert of an inferred cause at `endpoint` is sent again (firing while any probe is down behind it). */
  | { kind: 'shared'; endpoint: string; news: boolean }
  /** Run this probe again now (its cause recovered). */
  | { kind: 'rerun'; probe: string }
  /** Went down behind a declared dependency that is down. */
  | { kind: 'behind'; probe: string; cause: string }
  /** Joined the shared alert of an endpoint with `others` other probes. */
  | { kind: 'joinedShared'; probe: string; endpoint: string; others: number }
  /** Still down after the dependency it was behind recovered: an alert of its own now. */
  | { kind: 'outlived'; probe: string; cause: string };

/** The changes and events of one decision. */
export interface Outcome {
  patches: StatePatch[];
  events: PolicyEvent[];
}

/** An outcome that changes nothing. */
export const NOTHING: Outcome = { patches: [], events: [] };
