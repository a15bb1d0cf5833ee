import type { AlertSource } from '../alerts/alert.js';
import { labelValue, type LabelSet } from '../alerts/labels.js';
import { isCritical } from '../alerts/severity.js';
import type { Incident } from '../store/incidents.js';
import type { EscalationContext } from './context.js';
import { episodeOf, type EpisodeSource } from './episode.js';
import { loweredText, resolvedText } from './pageText.js';
import type { Policy } from './policies.js';
import type { Steps } from './steps.js';

/** The group notification an alert change came in (Alertmanager's group; a probe's round). */
export interface AlertGroupRef {
  groupKey: string;
  status: 'firing' | 'resolved';
  commonLabels: LabelSet;
  /** Where the notification came from (an episode shared with cluster peers needs Alertmanager's). */
  source?: AlertSource;
}

/** An alert that started or stopped firing, or changed severity while firing, as escalation needs it. */
export interface AlertChange {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: LabelSet;
  summary: string;
  /** Firing before and now, with another severity (a redundancy group losing its quorum). */
  relabelled?: boolean;
  /** The alert's startsAt as the source gave it (its episode: escalation/episode.ts). */
  startsAt?: string;
  /** Lifeline's own alert whose start every instance derives alike (Alert.sharedStart). */
  sharedStart?: boolean;
  /** Lifeline's own alert that is one event for every instance, each seeing its start at its own time (Alert.agreedEpisode). */
  agreedEpisode?: boolean;
}

/** The fingerprint of the one incident a large group shares. */
export function groupFingerprint(groupKey: string): string {
  return `group:${groupKey}`;
}

/** Alert changes → incidents: opening, raising to critical, lowering, resolving. */
export class IncidentFlow {
  /** Set when an incident turned critical inside a webhook's transaction: its pages go out at the next pass, unbundled. */
  private raised = false;

  constructor(
    private readonly d: EscalationContext,
    private readonly steps: Steps,
    /** An incident opened (the monitoring-path rule pages it out of band while the path is down). */
    private readonly opened: (inc: Incident, nowMs: number) => void,
  ) {}

  /** Whether an incident was raised since the last call (and forgets it). */
  takeRaised(): boolean {
    const r = this.raised;
    this.raised = false;
    return r;
  }

  /**
   * Called inside the webhook's transaction with the alerts of one group notification that
   * started or stopped firing, so that an accepted alert's incident is as durable as the alert.
   *
   * Each paging alert opens its own incident, up to `max_incidents_per_group` per notification.
   * A bigger group opens one incident for the whole group (fingerprint "group:<groupKey>"), and
   * while that is live, the group's new alerts join it: a storm of 100,000 alerts is one page and
   * one ack code, not 100,000. The group incident resolves when the group does.
   */
  onAlerts(group: AlertGroupRef, changed: readonly AlertChange[], nowMs: number): void {
    const groupFp = groupFingerprint(group.groupKey);
    const groupLive = this.d.incidents.live('alert', groupFp);
    const live = this.d.incidents.liveAlerts(changed.map((a) => a.fingerprint));
    const opening: Array<{ a: AlertChange; policy: Policy; severity: string }> = [];
    for (const a of changed) {
      const own = live.get(a.fingerprint);
      if (a.status === 'resolved') {
        if (own) this.resolve(own, nowMs);
        continue;
      }
      const severity = labelValue(a.labels, 'severity') ?? '';
      if (own) {
        if (isCritical(severity) && !isCritical(own.severity)) this.raise(own, severity, a.summary, a.labels, nowMs);
        else if (!isCritical(severity) && isCritical(own.severity) && a.relabelled) this.lower(own, severity, a.summary, a.labels, nowMs);
        continue;
      }
      // A firing alert without an incident that changes severity opens one only on turning critical.
      if (a.relabelled && !isCritical(severity)) continue;
      if (!this.d.config.escalation.page_severities.includes(severity)) continue;
      const policy = this.d.policies.find((p) => p.matches(a.labels));
      if (policy) opening.push({ a, policy, severity });
    }
    if (groupLive || opening.length > this.d.config.escalation.max_incidents_per_group) {
      const first = opening[0];
      if (!groupLive && first) {
        const name = labelValue(group.commonLabels, 'alertname') ?? labelValue(first.a.labels, 'alertname') ?? 'alerts';
        const title = `${name} (${opening.length} alerts)`;
        this.open(groupFp, title, first.severity, { ...group.commonLabels, summary: `${opening.length} alerts of one Alertmanager group` }, first.policy, nowMs, group.groupKey, { source: group.source, fingerprint: groupFp, startsAt: first.a.startsAt });
      }
    } else {
      for (const { a, policy, severity } of opening) {
        const title = [labelValue(a.labels, 'alertname') ?? 'alert', labelValue(a.labels, 'instance') ?? ''].filter(Boolean).join(' ');
        this.open(a.fingerprint, title, severity, { ...a.labels, summary: a.summary }, policy, nowMs, group.groupKey, { source: group.source, fingerprint: a.fingerprint, startsAt: a.startsAt, sharedStart: a.sharedStart === true }, a.agreedEpisode === true);
      }
    }
    if (group.status === 'resolved' && groupLive) this.resolve(groupLive, nowMs);
  }

  /**
   * An open incident's alert turned critical (a VPN group from "redundancy lost" to "quorum lost"):
   * one incident still, now critical. When the critical labels select another policy ("critical →
   * email + SMS" instead of "warning → email"), the incident moves to it and its steps run from
   * now, the first at once when it has no wait. Whoever its last step paged is paged again at once,
   * quiet hours or not, with the new words (unless the new policy's first step does that now).
   */
  private raise(inc: Incident, severity: string, summary: string, alertLabels: LabelSet, nowMs: number): void {
    // Held by a silence: the change waits too. When the silence ends, the alert is evaluated again
    // (pipeline/mutes.ts) and raised then, paging as it would have.
    if (inc.heldSinceMs !== null) return;
    this.d.incidents.setSeverity(inc.id, severity, { ...inc.labels, summary, severity });
    this.d.log.warn({ event: 'incident_raised', incident: inc.id, code: inc.ackCode, severity }, `${inc.ackCode} is now ${severity}: ${summary}`);
    if (inc.state !== 'open') return;
    // Pages still held (quiet hours, a bundle window) would repeat the old words later: replaced.
    this.d.incidents.dropUnsent(inc.id);
    this.raised = true;
    const next = this.d.policies.find((p) => p.matches(alertLabels));
    if (next && next.name !== inc.policy) {
      const first = next.step(0);
      this.d.incidents.switchPolicy(inc.id, next.name, nowMs, 0, first ? nowMs + first.afterMs : null);
      this.d.log.info({ event: 'incident_policy', incident: inc.id, code: inc.ackCode, from: inc.policy, to: next.name }, `${inc.ackCode} now follows policy ${next.name}`);
      if (first && first.afterMs === 0) return;
    }
    const raised = this.d.incidents.get(inc.id) as Incident;
    const index = Math.max(0, inc.nextStep - 1);
    const step = this.d.policies.find((p) => p.name === inc.policy)?.step(index);
    if (step) this.steps.page(raised, step, { kind: 'raised', index, severity }, nowMs, () => nowMs);
  }

  /**
   * An incident's alert fell back from critical (a VPN group regaining its quorum): that is news
   * for whoever was paged, on the channels that paged them ("VPN served again by node-1;
   * redundancy still lost"), and the incident is lowered. When the new labels select another
   * policy, the incident follows it from now; steps with no wait are skipped, the notice says it.
   */
  private lower(inc: Incident, severity: string, summary: string, alertLabels: LabelSet, nowMs: number): void {
    this.d.incidents.setSeverity(inc.id, severity, { ...inc.labels, summary, severity });
    this.d.log.info({ event: 'incident_lowered', incident: inc.id, code: inc.ackCode, severity }, `${inc.ackCode} is now ${severity}: ${summary}`);
    if (inc.heldSinceMs !== null) return;
    const lowered = this.d.incidents.get(inc.id) as Incident;
    this.steps.notify(inc.id, { kind: 'lowered' }, loweredText(inc, severity, summary, nowMs), nowMs);
    if (lowered.state !== 'open') return;
    const next = this.d.policies.find((p) => p.matches(alertLabels));
    if (!next || next.name === inc.policy) return;
    let k = 0;
    while (next.step(k)?.afterMs === 0 && k < 1000) k++;
    const step = next.step(k);
    this.d.incidents.switchPolicy(inc.id, next.name, nowMs, k, step ? nowMs + step.afterMs : null);
    this.d.log.info({ event: 'incident_policy', incident: inc.id, code: inc.ackCode, from: inc.policy, to: next.name }, `${inc.ackCode} now follows policy ${next.name}`);
  }

  /** Opens an incident; `agreed`: its episode is agreed with the cluster's instances (episodeAgreement.ts), else derived (episodeOf). */
  private open(fingerprint: string, title: string, severity: string, labels: Record<string, string>, policy: Policy, nowMs: number, groupKey: string, origin: EpisodeSource, agreed = false): void {
    const first = policy.step(0);
    const identity = agreed && this.d.agreement ? ({ kind: 'alert', fingerprint } as const) : undefined;
    const episode = identity ? this.d.agreement?.choose(identity, nowMs) : episodeOf(origin);
    const inc = this.d.incidents.open({
      kind: 'alert',
      fingerprint,
      title,
      severity,
      labels,
      policy: policy.name,
      nowMs,
      firstDueMs: first ? nowMs + first.afterMs : null,
      groupKey,
      ...(episode !== undefined ? { episode } : {}),
      ...(origin.startsAt ? { startsAt: origin.startsAt } : {}),
    });
    if (!inc) return;
    if (identity && episode !== undefined) this.d.agreement?.opened(identity, episode);
    this.d.log.info({ event: 'incident_opened', incident: inc.id, code: inc.ackCode, title, policy: policy.name }, 'incident opened');
    this.opened(inc, nowMs);
  }

  private resolve(inc: Incident, nowMs: number): void {
    this.d.incidents.resolve(inc.id, nowMs);
    this.d.agreement?.resolved(inc);
    this.d.incidents.dropUnsent(inc.id);
    // Resolved notices go to whoever was paged, on the channels they were paged on; not while a
    // silence or maintenance window holds the incident (it mutes notifications, resolved ones too,
    // as Alertmanager's silences do).
    if (inc.heldSinceMs === null) this.steps.notify(inc.id, { kind: 'resolved' }, resolvedText(inc, nowMs), nowMs);
    this.d.log.info({ event: 'incident_resolved', incident: inc.id, code: inc.ackCode }, 'incident resolved');
  }
}
