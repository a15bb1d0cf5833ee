import type { ProbesConfig } from '../../config/probeSchema.js';

/** A redundancy group as configured. */
export type RedundancyGroup = ProbesConfig['redundancy'][number];

/** A member probe's state as the group sees it. */
export interface MemberState {
  status: 'unknown' | 'up' | 'down';
  summary: string | undefined;
}

/** The group's verdict: its alert's state, severity and words. */
export interface GroupVerdict {
  /** ok (no alert), degraded (a node down, quorum kept), quorum_lost, portal_down. */
  state: 'ok' | 'degraded' | 'quorum_lost' | 'portal_down';
  severity: 'critical' | 'warning';
  summary: string;
  /** Changes whenever the alert's words would: a new key means the incident is updated. */
  key: string;
}

/**
 * The verdict of a multi-node VPN (vpn-multi-node-ha.md): a node is down when any of its probes
 * is down; fewer nodes up than `quorum` is an outage (critical); fewer than all is lost
 * redundancy (warning: users are still served); the portal down with nodes up is its own
 * message (new clients cannot get configs, connected ones are fine). Unknown (not run yet) counts
 * as up: a group never pages before its members have failed.
 */
export function groupVerdict(g: RedundancyGroup, member: (probe: string) => MemberState): GroupVerdict {
  const down = g.nodes.filter((n) => n.probes.some((p) => member(p).status === 'down'));
  const up = g.nodes.filter((n) => !down.includes(n));
  const portal = g.portal !== undefined ? member(g.portal) : undefined;
  const portalDown = portal?.status === 'down';
  const why = (n: RedundancyGroup['nodes'][number]): string => {
    const failing = n.probes.filter((p) => member(p).status === 'down');
    return `${n.name} (${failing.map((p) => `${p}: ${member(p).summary ?? 'down'}`).join('; ')})`;
  };
  const total = g.nodes.length;
  const portalWords = portalDown ? `; the portal ${g.portal as string} is down too (${portal?.summary ?? 'down'}): new clients cannot get configs` : '';
  if (up.length < g.quorum) {
    const summary = `VPN ${g.name} down: quorum lost, ${up.length} of ${total} nodes up (quorum ${g.quorum}); down: ${down.map(why).join(', ')}${portalWords}`;
    return { state: 'quorum_lost', severity: 'critical', summary, key: `quorum|${down.map((n) => n.name).join(',')}|${portalDown}` };
  }
  if (down.length > 0) {
    const summary = `VPN ${g.name}: redundancy lost: ${down.map((n) => n.name).join(', ')} of ${total} down, VPN still served by ${up.map((n) => n.name).join(', ')}; ${down.map(why).join(', ')}${portalWords}`;
    return { state: 'degraded', severity: g.degraded_severity, summary, key: `degraded|${down.map((n) => n.name).join(',')}|${portalDown}` };
  }
  if (portalDown) {
    const summary = `VPN ${g.name}: the portal ${g.portal as string} is down (${portal?.summary ?? 'down'}): new clients cannot get configs; all ${total} nodes up, connected clients are served`;
    return { state: 'portal_down', severity: g.portal_severity, summary, key: 'portal' };
  }
  return { state: 'ok', severity: 'warning', summary: `VPN ${g.name}: all ${total} nodes up${g.portal ? ', portal up' : ''}`, key: 'ok' };
}

/** What a group's alert should do after a member changed: nothing (`alert` absent), or say `verdict`. */
export interface GroupStep {
  /** The key of the verdict now (store it as the group's last). */
  key: string;
  /** The verdict to send when it differs from the last one sent. */
  alert?: GroupVerdict;
}

/**
 * A member of group `g` changed: the group's one alert is opened, updated or resolved when its
 * verdict's key differs from `lastKey` (the key last sent, or the one its members' stored states
 * gave at the start, so that a restart does not say it again).
 */
export function groupStep(g: RedundancyGroup, member: (probe: string) => MemberState, lastKey: string | undefined): GroupStep {
  const v = groupVerdict(g, member);
  return v.key === lastKey ? { key: v.key } : { key: v.key, alert: v };
}

/** Every probe of the group: its portal, then its nodes' probes. */
export function groupMembers(g: RedundancyGroup): string[] {
  return [...(g.portal !== undefined ? [g.portal] : []), ...g.nodes.flatMap((n) => n.probes)];
}
