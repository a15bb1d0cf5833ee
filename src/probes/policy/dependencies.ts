import type { ProbeResult } from '../probe.js';
import { NOTHING, type Outcome, type PolicyEvent, type ProbeView, type ProbeWorld } from './outcome.js';
import { decideShared, sharedEndpoint } from './sharedCause.js';

/*
 * Causes: a probe that fails while a probe it `depends_on` is down gets no alert of its own; the
 * dependency's alert names it ("also failing behind it: wiki, feedme"): one incident for one
 * cause. With no dependency written, probes failing the same way at one endpoint are grouped
 * behind it (policy/sharedCause.ts). A probe's `behind` says which cause explains it.
 */

/** The probes `p` depends on (depends_on) that exist, in config order. */
function dependencies(world: ProbeWorld, p: ProbeView): ProbeView[] {
  return p.dependsOn.flatMap((n) => world.get(n) ?? []);
}

/** The cause's own alert again, so that its words name the probes now behind it (when it has a result to show). */
function causeAlert(cause: ProbeView): PolicyEvent[] {
  return cause.last ? [{ kind: 'alert', probe: cause.name, status: 'firing', evidence: cause.last }] : [];
}

/**
 * `self` reached its failure threshold with result `r` (Lifeline's own network is known to work):
 * wait for a dependency or a peer failing the same way that is still deciding (one cause opens
 * one incident; this probe opens on a later run if they turn out fine); go down behind a
 * dependency that is down; join or open a shared cause; or open its own alert.
 */
export function openOutcome(world: ProbeWorld, self: ProbeView, r: ProbeResult, nowMs: number): Outcome {
  const deps = dependencies(world, self);
  if (deps.some((d) => d.state.status !== 'down' && d.state.failures > 0)) return NOTHING;
  const dep = deps.find((d) => d.state.status === 'down');
  if (dep) {
    return { patches: [{ probe: self.name, status: 'down', sinceMs: nowMs, behind: dep.name }], events: [{ kind: 'behind', probe: self.name, cause: dep.name }, ...causeAlert(dep)] };
  }
  const shared = decideShared(self, r, world.all(), nowMs);
  if (shared.kind === 'wait') return NOTHING;
  if (shared.kind === 'shared') {
    const endpoint = shared.cause.slice(1);
    const members = shared.members.flatMap((n) => world.get(n) ?? []);
    return {
      // Members other than self are written at once: their own runs may not come before a restart.
      patches: members.map((m) => ({ probe: m.name, status: 'down', sinceMs: m.state.status === 'down' ? m.state.sinceMs : nowMs, behind: shared.cause, save: true })),
      events: [
        ...members.filter((m) => m.state.behind !== shared.cause).map((m): PolicyEvent => ({ kind: 'joinedShared', probe: m.name, endpoint, others: shared.members.length - 1 })),
        { kind: 'shared', endpoint, news: true },
      ],
    };
  }
  return { patches: [{ probe: self.name, status: 'down', sinceMs: nowMs, behind: null }], events: [{ kind: 'alert', probe: self.name, status: 'firing', evidence: r }] };
}

/**
 * `self`, down, failed again with `r`: is it still explained? Behind an endpoint, it stays while
 * it fails there; failing elsewhere or otherwise (its own DNS, another address) it leaves with an
 * alert of its own, and the endpoint's alert says who is left. Behind a dependency no longer down,
 * another dependency still down takes it over (its alert names it); otherwise it has outlived its
 * cause and opens its own alert ("still down after proxy, which it depends on, recovered").
 */
export function failedAgainOutcome(world: ProbeWorld, self: ProbeView, r: ProbeResult, nowMs: number): Outcome {
  const behind = self.state.behind;
  if (behind === null) return NOTHING;
  const endpoint = sharedEndpoint(behind);
  if (endpoint !== undefined) {
    if (r.endpoint === endpoint) return NOTHING;
    return {
      patches: [{ probe: self.name, behind: null, sinceMs: nowMs }],
      events: [
        { kind: 'alert', probe: self.name, status: 'firing', evidence: { ...r, summary: `${r.summary} (no longer failing at ${endpoint} with the others)` } },
        { kind: 'shared', endpoint, news: false },
      ],
    };
  }
  if (world.get(behind)?.state.status === 'down') return NOTHING;
  const other = dependencies(world, self).find((d) => d.state.status === 'down');
  if (other) return { patches: [{ probe: self.name, behind: other.name }], events: causeAlert(other) };
  return {
    patches: [{ probe: self.name, behind: null, sinceMs: nowMs }],
    events: [
      { kind: 'outlived', probe: self.name, cause: behind },
      { kind: 'alert', probe: self.name, status: 'firing', evidence: { ...r, summary: `${r.summary} (still down after ${behind}, which it depends on, recovered)` } },
    ],
  };
}

/**
 * `self` is up (its first result, or enough successes while down): its own alert resolves when it
 * had one (not when it was down behind a cause); an endpoint it was behind says who is left; and
 * the probes down behind it are run again now: one that still fails has outlived its cause
 * (failedAgainOutcome), one that answers resolves quietly (it never had an alert of its own).
 */
export function recoveredOutcome(world: ProbeWorld, self: ProbeView, r: ProbeResult, nowMs: number): Outcome {
  const wasDown = self.state.status === 'down';
  const shared = sharedEndpoint(self.state.behind);
  const events: PolicyEvent[] = [];
  if (wasDown && self.state.behind === null) events.push({ kind: 'alert', probe: self.name, status: 'resolved', evidence: r });
  if (shared !== undefined) events.push({ kind: 'shared', endpoint: shared, news: true });
  if (wasDown) {
    for (const x of world.all()) if (x.state.behind === self.name && x.state.status === 'down') events.push({ kind: 'rerun', probe: x.name });
  }
  return { patches: [{ probe: self.name, status: 'up', sinceMs: self.state.status === 'up' ? self.state.sinceMs : nowMs, behind: null }], events };
}
