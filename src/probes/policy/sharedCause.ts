import { failureKey, type ProbeResult } from '../probe.js';
import type { ProbeView } from './outcome.js';

/*
 * Inferred causes. Services behind one reverse proxy have different names and one address: when
 * the proxy accepts connections and never answers, every one of them fails the same way at the
 * same time. Alertmanager needs inhibition rules written for this, and blackbox_exporter, Gatus
 * and Uptime Kuma page once per target. Lifeline groups them itself: probes whose last results
 * failed at the same endpoint (address and port after DNS) and the same phase, within one
 * interval of each other, make one alert about the endpoint ("3 probes behind 203.0.113.7:443
 * fail the same way: …"), with no depends_on written. `infer_cause: false` keeps a probe out, and
 * probes joined by a depends_on keep that: the dependency's alert names the probes behind it.
 *
 * A member's state says `behind: "~203.0.113.7:443"` (probe names cannot start with "~").
 */

/** What a probe that is about to open its alert should do. */
export type SharedDecision =
  /** Another probe failing the same way has not decided yet: wait for it, so the group opens once. */
  | { kind: 'wait' }
  /** Open (or join) the shared alert of `cause` with these members (the probe itself included). */
  | { kind: 'shared'; cause: string; members: string[] }
  /** Nothing shared: its own alert. */
  | { kind: 'alone' };

/** The `behind` value of the members of an inferred cause at an endpoint. */
export function sharedCause(endpoint: string): string {
  return `~${endpoint}`;
}

/** Whether a `behind` value names an inferred cause; its endpoint if so. */
export function sharedEndpoint(behind: string | null): string | undefined {
  return behind !== null && behind.startsWith('~') ? behind.slice(1) : undefined;
}

/**
 * Decides for `self`, whose failures just reached its threshold with result `r` at `nowMs`. Peers
 * count when they take part, failed their last run the same way (failureKey) within their window,
 * and are either still deciding, or decided and waiting for the group, or already members of this
 * endpoint's shared alert. A peer down with an alert of its own keeps it.
 */
export function decideShared(self: ProbeView, r: ProbeResult, peers: Iterable<ProbeView>, nowMs: number): SharedDecision {
  const key = self.infer ? failureKey(r) : undefined;
  if (key === undefined || r.endpoint === undefined) return { kind: 'alone' };
  const cause = sharedCause(r.endpoint);
  const declared = (p: ProbeView): boolean => p.dependsOn.includes(self.name) || self.dependsOn.includes(p.name);
  const same = [...peers].filter((p) => p.name !== self.name && p.infer && !declared(p) && p.last !== null && failureKey(p.last) === key && nowMs - p.last.atMs <= p.windowMs);
  if (same.some((p) => p.state.status !== 'down' && p.state.failures < p.openAfter)) return { kind: 'wait' };
  const members = same.filter((p) => (p.state.status !== 'down' && p.state.failures >= p.openAfter) || (p.state.status === 'down' && p.state.behind === cause));
  if (members.length === 0) return { kind: 'alone' };
  return { kind: 'shared', cause, members: [self.name, ...members.map((m) => m.name)] };
}
