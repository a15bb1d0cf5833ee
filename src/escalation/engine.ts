import { labelValue, type LabelSet } from '../alerts/labels.js';
import { isCritical } from '../alerts/severity.js';
import type { Config } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import type { Logger } from '../observability/logger.js';
import { inQuietHours, quietHoursEnd, type OnCallSchedule, type Person } from '../people/oncall.js';
import type { Db } from '../store/db.js';
import type { Outbox } from '../store/outbox.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { NOTICE_STEPS, PAGING_CHANNELS, type PagingChannel } from './channels.js';
import { SmsFailingStore } from '../store/smsFailing.js';
import { SmsMessageStore } from '../store/smsMessages.js';
import type { ChannelHealth } from './health.js';
import { IncidentStore, type Incident } from '../store/incidents.js';
import { PageBundler, type PageText } from './bundler.js';
import type { PathMonitor } from './pathMonitor.js';
import { effectivePolicies, type Policy } from './policies.js';

/** What the engine needs. */
export interface EngineDeps {
  config: Config;
  db: Db;
  outbox: Outbox;
  schedule: OnCallSchedule;
  clock: Clock;
  log: Logger;
  health: ChannelHealth;
  /** Wakes the dispatcher for a destination. */
  poke(destination: string): void;
  /** The in-band path the monitoring-path rule watches (IRC); none: the rule is off. */
  path?: PathMonitor;
  /**
   * An IRC path outage that paged people ended: queue the channel's summary of it (inside the
   * engine's transaction) and say what happened meanwhile, for the "restored" note.
   */
  pathOutageEnded(o: { incident: string; fromMs: number; toMs: number }): { fired: number; resolved: number; firingNow: number };
  /** Called before each pass over due steps: notices a wall-clock step and rebases stored times. */
  checkClock?(): void;
}

/** The group notification an alert change came in (Alertmanager's group; a probe's round). */
export interface AlertGroupRef {
  groupKey: string;
  status: 'firing' | 'resolved';
  commonLabels: LabelSet;
}

/** An alert that started or stopped firing, or changed severity while firing, as escalation needs it. */
export interface AlertChange {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: LabelSet;
  summary: string;
  /** Firing before and now, with another severity (a redundancy group losing its quorum). */
  relabelled?: boolean;
}

/** The fingerprint of the one incident a large group shares. */
function groupFingerprint(groupKey: string): string {
  return `group:${groupKey}`;
}

/** A time as people read it in a page: "Fri 4 Dec 15:49 UTC" (UTC: a page goes to people in several zones). */
export function humanTime(ms: number): string {
  const d = new Date(ms);
  const day = d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).replace(',', '');
  return `${day} ${d.toISOString().slice(11, 16)} UTC`;
}

/** Result of an acknowledgement command. */
export type AckResult = { ok: true; incident: Incident } | { ok: false; reason: string };

/**
 * The escalation engine: opens incidents for paging alerts, runs their policy steps on time,
 * bundles pages per person, keeps SMS budgets, and applies the monitoring-path rule. All state is
 * in the database (incidents, pages, outbox), so a restart resumes exactly where it stopped.
 */
export class EscalationEngine {
  readonly incidents: IncidentStore;
  private readonly policies: Policy[];
  private readonly channels: PagingChannel[];
  private timer: TimerHandle | undefined;
  private pathTimer: TimerHandle | undefined;
  private pathDownSinceMs: number | undefined;
  private pathReason = '';
  private unwatchPath: (() => void) | undefined;
  private stopped = false;

  private readonly bundler: PageBundler;
  /** Delivery receipts of SMS (with sms.status_url). */
  private readonly receipts: SmsMessageStore;
  /** People whose last SMS did not reach them: their SMS pages go by the fallback until one does. */
  private readonly smsFailing: SmsFailingStore;
  /** Set when an incident turned critical inside a webhook's transaction: its pages go out at the next pass, unbundled. */
  private raisedAt: number | undefined;

  constructor(private readonly d: EngineDeps) {
    this.incidents = new IncidentStore(d.db);
    this.receipts = new SmsMessageStore(d.db);
    this.smsFailing = new SmsFailingStore(d.db);
    this.policies = effectivePolicies(d.config);
    this.channels = [...(d.config.email ? (['email'] as const) : []), ...(d.config.sms ? (['sms'] as const) : []), ...(d.config.voice ? (['voice'] as const) : [])];
    this.bundler = new PageBundler({ ...d, incidents: this.incidents, channels: this.channels });
    d.health.onChange((channel, healthy) => {
      if (!healthy) this.failOver(channel);
    });
  }

  /** Whether any paging channel is configured. */
  get enabled(): boolean {
    return this.channels.length > 0;
  }

  // ---------------------------------------------------------------- incidents from alerts

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
    if (!this.enabled) return;
    const groupFp = groupFingerprint(group.groupKey);
    const groupLive = this.incidents.live('alert', groupFp);
    const live = this.incidents.liveAlerts(changed.map((a) => a.fingerprint));
    const opening: Array<{ a: AlertChange; policy: Policy; severity: string }> = [];
    for (const a of changed) {
      const own = live.get(a.fingerprint);
      if (a.status === 'resolved') {
        if (own) this.resolve(own, nowMs, `RESOLVED ${own.title}`);
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
      const policy = this.policies.find((p) => p.matches(a.labels));
      if (policy) opening.push({ a, policy, severity });
    }
    if (groupLive || opening.length > this.d.config.escalation.max_incidents_per_group) {
      const first = opening[0];
      if (!groupLive && first) {
        const name = labelValue(group.commonLabels, 'alertname') ?? labelValue(first.a.labels, 'alertname') ?? 'alerts';
        const title = `${name} (${opening.length} alerts)`;
        this.openIncident(groupFp, title, first.severity, { ...group.commonLabels, summary: `${opening.length} alerts of one Alertmanager group` }, first.policy, nowMs, group.groupKey);
      }
    } else {
      for (const { a, policy, severity } of opening) {
        const title = [labelValue(a.labels, 'alertname') ?? 'alert', labelValue(a.labels, 'instance') ?? ''].filter(Boolean).join(' ');
        this.openIncident(a.fingerprint, title, severity, { ...a.labels, summary: a.summary }, policy, nowMs, group.groupKey);
      }
    }
    if (group.status === 'resolved' && groupLive) this.resolve(groupLive, nowMs, `RESOLVED ${groupLive.title}`);
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
    this.incidents.setSeverity(inc.id, severity, { ...inc.labels, summary, severity });
    this.d.log.warn({ event: 'incident_raised', incident: inc.id, code: inc.ackCode, severity }, `${inc.ackCode} is now ${severity}: ${summary}`);
    if (inc.state !== 'open') return;
    // Pages still held (quiet hours, a bundle window) would repeat the old words later: replaced.
    this.incidents.dropUnsent(inc.id);
    this.raisedAt = nowMs;
    const next = this.policies.find((p) => p.matches(alertLabels));
    if (next && next.name !== inc.policy) {
      const first = next.step(0);
      this.incidents.switchPolicy(inc.id, next.name, nowMs, 0, first ? nowMs + first.afterMs : null);
      this.d.log.info({ event: 'incident_policy', incident: inc.id, code: inc.ackCode, from: inc.policy, to: next.name }, `${inc.ackCode} now follows policy ${next.name}`);
      if (first && first.afterMs === 0) return;
    }
    const raised = this.incidents.get(inc.id) as Incident;
    const policy = this.policies.find((p) => p.name === inc.policy);
    const idx = Math.max(0, inc.nextStep - 1);
    const step = policy?.step(idx);
    if (!step) return;
    for (const person of this.recipients(step.to, nowMs)) {
      for (const channel of this.route(step.notify, person)) {
        this.incidents.addPage({ incidentId: inc.id, step: `${idx}:${severity}`, channel, person: person.name, nowMs, notBeforeMs: nowMs, text: JSON.stringify(this.alertText(raised)) });
      }
    }
  }

  /**
   * An incident's alert fell back from critical (a VPN group regaining its quorum): that is news
   * for whoever was paged, on the channels that paged them ("VPN served again by node-1;
   * redundancy still lost"), and the incident is lowered. When the new labels select another
   * policy, the incident follows it from now; steps with no wait are skipped, the notice says it.
   */
  private lower(inc: Incident, severity: string, summary: string, alertLabels: LabelSet, nowMs: number): void {
    this.incidents.setSeverity(inc.id, severity, { ...inc.labels, summary, severity });
    this.d.log.info({ event: 'incident_lowered', incident: inc.id, code: inc.ackCode, severity }, `${inc.ackCode} is now ${severity}: ${summary}`);
    if (inc.heldSinceMs !== null) return;
    const lowered = this.incidents.get(inc.id) as Incident;
    const text: PageText = {
      subject: `[${severity.toUpperCase()}] ${inc.title} - no longer critical - ack ${inc.ackCode}`,
      body: [summary, `${inc.title} is ${severity} now, no longer critical, since ${humanTime(nowMs)}.`, `Acknowledge: "!ack ${inc.ackCode}" in IRC, or reply "ACK ${inc.ackCode}" to the SMS.`],
    };
    for (const r of this.noticeRecipients(inc.id)) {
      this.incidents.addPage({ incidentId: inc.id, step: 'lowered', channel: r.channel, person: r.person, nowMs, notBeforeMs: nowMs, text: JSON.stringify(text) });
    }
    if (lowered.state !== 'open') return;
    const next = this.policies.find((p) => p.matches(alertLabels));
    if (!next || next.name === inc.policy) return;
    let k = 0;
    while (next.step(k)?.afterMs === 0 && k < 1000) k++;
    const step = next.step(k);
    this.incidents.switchPolicy(inc.id, next.name, nowMs, k, step ? nowMs + step.afterMs : null);
    this.d.log.info({ event: 'incident_policy', incident: inc.id, code: inc.ackCode, from: inc.policy, to: next.name }, `${inc.ackCode} now follows policy ${next.name}`);
  }

  private openIncident(fingerprint: string, title: string, severity: string, labels: Record<string, string>, policy: Policy, nowMs: number, groupKey: string): void {
    const first = policy.step(0);
    const inc = this.incidents.open({ kind: 'alert', fingerprint, title, severity, labels, policy: policy.name, nowMs, firstDueMs: first ? nowMs + first.afterMs : null, groupKey });
    if (!inc) return;
    this.d.log.info({ event: 'incident_opened', incident: inc.id, code: inc.ackCode, title, policy: policy.name }, 'incident opened');
    // The monitoring-path rule: while IRC cannot carry the news, page out of band at once.
    if (this.pathDownSinceMs !== undefined && this.incidents.live('path', null)) this.pageOutOfBand(inc, nowMs);
  }

  private resolve(inc: Incident, nowMs: number, subject: string): void {
    this.incidents.resolve(inc.id, nowMs);
    this.incidents.dropUnsent(inc.id);
    // Resolved notices go to whoever was paged, on the channels they were paged on; not while a
    // silence or maintenance window holds the incident (it mutes notifications, resolved ones too,
    // as Alertmanager's silences do).
    const notices = inc.heldSinceMs === null ? this.noticeRecipients(inc.id) : [];
    for (const r of notices) {
      this.incidents.addPage({ incidentId: inc.id, step: 'resolved', channel: r.channel, person: r.person, nowMs, notBeforeMs: nowMs, text: JSON.stringify({ subject, body: [`${inc.title} resolved after ${formatDuration(nowMs - inc.openedMs)}.`] } satisfies PageText) });
    }
    this.d.log.info({ event: 'incident_resolved', incident: inc.id, code: inc.ackCode }, 'incident resolved');
  }

  /**
   * Who gets the "resolved"/"restored" notice of an incident, and how: whoever was paged, on the
   * channel they were paged on, except that nobody is called to be told all is well (a called
   * person gets the notice by SMS, if SMS is configured).
   */
  private noticeRecipients(incidentId: number): Array<{ channel: PagingChannel; person: string }> {
    const out = new Map<string, { channel: PagingChannel; person: string }>();
    for (const r of this.incidents.pagedRecipients(incidentId)) {
      const channel = r.channel === 'voice' ? 'sms' : r.channel;
      if (this.channels.includes(channel)) out.set(`${channel}\u0000${r.person}`, { channel, person: r.person });
    }
    return [...out.values()];
  }

  /**
   * For a batch: a function giving the ack code of the open incident an alert belongs to (its
   * own, else its group's), if any. Two queries for the whole batch.
   */
  ackCodesFor(fingerprints: readonly string[], groupKey: string): (fingerprint: string) => string | undefined {
    if (!this.enabled) return () => undefined;
    const own = this.incidents.liveAlerts(fingerprints);
    const group = this.incidents.live('alert', groupFingerprint(groupKey))?.ackCode;
    return (fp) => own.get(fp)?.ackCode ?? group;
  }

  // ---------------------------------------------------------------- acknowledgements

  /** Acknowledges by code; stops escalation (until `ack_timeout`, when set). */
  ack(code: string, by: string): AckResult {
    return this.d.db.transaction((): AckResult => {
      const inc = this.incidents.byCode(code);
      if (!inc) return { ok: false, reason: `no incident with id ${code.toUpperCase()}` };
      if (inc.state === 'resolved') return { ok: false, reason: `${inc.ackCode} is already resolved` };
      if (inc.state === 'acked') return { ok: false, reason: `${inc.ackCode} was already acknowledged by ${inc.ackedBy ?? 'someone'}` };
      const now = this.d.clock.now();
      const t = this.d.config.escalation.ack_timeout;
      this.incidents.ack(inc.id, by, now, t > 0 ? now + t : null);
      this.incidents.dropUnsent(inc.id);
      this.d.log.info({ event: 'incident_acked', incident: inc.id, code: inc.ackCode, by }, 'incident acknowledged');
      return { ok: true, incident: this.incidents.get(inc.id) as Incident };
    })();
  }

  /**
   * Acknowledges every open incident opened by the same group notification as the incident with
   * this code (an Alertmanager group of five alerts opens five incidents: "!ack CODE+" takes all).
   */
  ackGroup(code: string, by: string): { ok: true; incidents: Incident[] } | { ok: false; reason: string } {
    const inc = this.incidents.byCode(code);
    if (!inc) return { ok: false, reason: `no incident with id ${code.toUpperCase()}` };
    const members = inc.groupKey === null ? [inc] : this.incidents.unresolvedInGroup(inc.groupKey);
    const acked: Incident[] = [];
    for (const m of members) {
      if (m.state !== 'open') continue;
      const r = this.ack(m.ackCode, by);
      if (r.ok) acked.push(r.incident);
    }
    if (acked.length === 0) return { ok: false, reason: `${inc.ackCode}'s group has no open incident left (${inc.state === 'resolved' ? 'resolved' : 'acknowledged'})` };
    return { ok: true, incidents: acked };
  }

  // ---------------------------------------------------------------- silences and maintenance

  /**
   * Applies what is muted now (silences, maintenance windows) to the incidents already open: an
   * incident whose alert labels are muted is held (no step runs, no page goes, pages waiting in a
   * bundle window wait on), and one no longer muted is released, its remaining steps moved later
   * by the time it was held. Returns what changed, for the operator's reply and the log.
   */
  applyMutes(muted: (labels: LabelSet) => boolean, nowMs: number): { held: Incident[]; released: Incident[] } {
    const out = { held: [] as Incident[], released: [] as Incident[] };
    if (!this.enabled) return out;
    this.d.db.transaction(() => {
      for (const inc of this.incidents.unresolvedAlerts()) {
        const m = muted(inc.labels);
        if (m && inc.heldSinceMs === null) {
          this.incidents.hold(inc.id, nowMs);
          out.held.push(inc);
        } else if (!m && inc.heldSinceMs !== null) {
          this.incidents.release(inc.id, nowMs);
          out.released.push(inc);
        }
      }
    })();
    for (const i of out.held) this.d.log.info({ event: 'incident_held', incident: i.id, code: i.ackCode }, `${i.ackCode} held: a silence or maintenance window matches it`);
    for (const i of out.released) this.d.log.info({ event: 'incident_released', incident: i.id, code: i.ackCode, held_ms: nowMs - (i.heldSinceMs ?? nowMs) }, `${i.ackCode} released: escalation resumes where it was held`);
    if (out.released.length > 0) this.kick();
    return out;
  }

  /**
   * A page did not reach its person (a call ended busy, unanswered, or with key 2): the incidents
   * still open move to their next step now instead of after its wait.
   */
  escalateNow(incidentIds: readonly number[], why: string): void {
    const now = this.d.clock.now();
    let moved = 0;
    this.d.db.transaction(() => {
      for (const id of incidentIds) {
        const inc = this.incidents.get(id);
        if (!inc || inc.state !== 'open') continue;
        if (inc.nextDueMs === null) {
          this.d.log.warn({ event: 'escalation_exhausted', incident: inc.id, code: inc.ackCode, why }, `${inc.ackCode} did not reach anyone and its policy has no further step`);
          continue;
        }
        this.incidents.setSchedule(inc.id, inc.nextStep, Math.min(inc.nextDueMs, now));
        moved++;
      }
    })();
    if (moved > 0) this.d.log.info({ event: 'escalated_now', incidents: moved, why }, `${why}: next step now`);
    this.kick();
  }

  // ---------------------------------------------------------------- delivery receipts

  /**
   * An SMS did not reach the phone (Twilio said undelivered or failed, or no "delivered" came in
   * time): each page it carried goes again at once on the person's next channel (email, else a
   * call; a notice never becomes a call), and SMS counts as failing for that person until an SMS
   * to them is delivered.
   */
  smsUndelivered(outboxId: number, person: string, why: string): void {
    const now = this.d.clock.now();
    this.smsFailing.add(person, now);
    let moved = 0;
    const p = this.d.schedule.person(person);
    this.d.db.transaction(() => {
      for (const page of this.incidents.pagesOfMessage(outboxId)) {
        const inc = this.incidents.get(page.incidentId);
        const notice = NOTICE_STEPS.has(page.step);
        if (!inc || !p || (!notice && (inc.state !== 'open' || inc.heldSinceMs !== null))) continue;
        const step = page.step.split(':')[0] as string;
        const next = (['email', 'voice'] as const).find(
          (ch) => this.channels.includes(ch) && !(notice && ch === 'voice') && PAGING_CHANNELS[ch].destination(p) !== undefined && !this.incidents.pagedOn(inc.id, step, ch, person),
        );
        if (!next) continue;
        if (this.incidents.addPage({ incidentId: inc.id, step: `${step}:undelivered`, channel: next, person, nowMs: now, notBeforeMs: now, text: page.text })) moved++;
      }
    })();
    this.d.log.warn({ event: 'sms_undelivered', outbox: outboxId, person, why, rerouted: moved }, `SMS to ${person} not delivered (${why}); ${moved} page(s) sent another way`);
    if (moved > 0) this.bundler.flush(now, true);
    this.kick();
  }

  /** An SMS to `person` was delivered: SMS works for them again. */
  smsDelivered(person: string): void {
    if (this.smsFailing.delete(person)) this.d.log.info({ event: 'sms_delivered_again', person }, `SMS reaches ${person} again`);
  }

  /** SMS without a receipt in time count as undelivered; returns when to look again. */
  private checkReceipts(now: number): number | undefined {
    const sms = this.d.config.sms;
    if (!sms?.status_url) return undefined;
    for (const m of this.receipts.overdue(now - sms.delivery_timeout)) {
      if (this.receipts.rerouted(m.messageSid, now)) this.smsUndelivered(m.outboxId, m.person, `no delivery receipt within ${formatDuration(sms.delivery_timeout)} (last status: ${m.status})`);
    }
    const oldest = this.receipts.oldestUnsettled();
    return oldest === undefined ? undefined : oldest + sms.delivery_timeout;
  }

  /** Takes an acknowledgement back; escalation resumes at once. */
  unack(code: string, by: string): AckResult {
    const inc = this.incidents.byCode(code);
    if (!inc) return { ok: false, reason: `no incident with id ${code.toUpperCase()}` };
    if (inc.state !== 'acked') return { ok: false, reason: `${inc.ackCode} is not acknowledged` };
    this.incidents.unack(inc.id, this.d.clock.now());
    this.d.log.info({ event: 'incident_unacked', incident: inc.id, code: inc.ackCode, by }, 'acknowledgement taken back');
    this.kick();
    return { ok: true, incident: this.incidents.get(inc.id) as Incident };
  }

  // ---------------------------------------------------------------- the clock

  /** Starts the timer loop (after a restart, overdue steps run at once). */
  start(): void {
    this.stopped = false;
    this.kick();
    const path = this.d.path;
    if (path) {
      this.unwatchPath = path.onChange(() => this.pathChanged(path));
      this.pathChanged(path);
    }
  }

  /** Stops timers; after this, state changes are ignored (the store is about to close). */
  stop(): void {
    this.stopped = true;
    this.unwatchPath?.();
    this.unwatchPath = undefined;
    this.d.clock.clearTimeout(this.timer);
    this.d.clock.clearTimeout(this.pathTimer);
  }

  /** Runs due work now and re-arms the timer for the next due time. */
  kick(): void {
    if (this.stopped || !this.enabled) return;
    this.d.clock.clearTimeout(this.timer);
    let next: number | undefined;
    try {
      next = this.tick();
    } catch (err) {
      this.d.log.error({ event: 'escalation_error', err: String(err) }, 'escalation tick failed; retrying in 5 s');
      next = this.d.clock.now() + 5_000;
    }
    if (next !== undefined) this.timer = this.d.clock.setTimeout(() => this.kick(), Math.max(0, next - this.d.clock.now()));
  }

  /** One pass: due steps, then bundles. Returns when to run again. */
  tick(): number | undefined {
    this.d.checkClock?.();
    const now = this.d.clock.now();
    this.d.db.transaction(() => {
      for (const inc of this.incidents.due(now)) this.runDue(inc, now);
    })();
    const wake = this.bundler.flush(now, this.raisedAt !== undefined);
    this.raisedAt = undefined;
    const receipts = this.checkReceipts(now);
    const due = this.incidents.nextDue();
    return [wake, due, receipts].filter((t): t is number => t !== undefined).reduce<number | undefined>((a, b) => (a === undefined ? b : Math.min(a, b)), undefined);
  }

  private runDue(inc: Incident, now: number): void {
    if (inc.state === 'acked') {
      // The acknowledgement lapsed: page again from the step it had reached.
      this.incidents.relapse(inc.id);
      this.d.log.info({ event: 'ack_lapsed', incident: inc.id, code: inc.ackCode }, 'acknowledgement timed out; paging again');
    }
    const policy = this.policies.find((p) => p.name === inc.policy);
    const step = policy?.step(inc.nextStep);
    if (!policy || !step) {
      this.incidents.setSchedule(inc.id, inc.nextStep, null);
      return;
    }
    const people = this.recipients(step.to, now);
    // After a move to another policy its steps are pages of their own ("0:crit"), not repeats of
    // the first policy's step 0.
    const name = inc.policyChanged ? `${inc.nextStep}:${policy.name}` : String(inc.nextStep);
    for (const person of people) {
      for (const channel of this.route(step.notify, person)) {
        this.incidents.addPage({ incidentId: inc.id, step: name, channel, person: person.name, nowMs: now, notBeforeMs: this.notBefore(person, inc.severity, now), text: JSON.stringify(this.alertText(inc)) });
      }
    }
    const following = policy.step(inc.nextStep + 1);
    this.incidents.setSchedule(inc.id, inc.nextStep + 1, following ? Math.max(now, inc.stepsBaseMs + inc.heldMs + following.afterMs) : null);
  }

  private recipients(to: string, now: number): Person[] {
    if (to === 'oncall') {
      const p = this.d.schedule.primary(now);
      if (!p) this.d.log.error({ event: 'nobody_on_call' }, 'nobody is on call: check oncall.rotations');
      return p ? [p] : [];
    }
    const p = this.d.schedule.person(to);
    return p ? [p] : [];
  }

  /** Channels to use: the step's, with an unhealthy one replaced by the other configured channel. */
  private route(want: readonly PagingChannel[], person: Person): PagingChannel[] {
    const out = new Set<PagingChannel>();
    for (const ch of want) {
      if (!this.channels.includes(ch)) continue;
      const alt = PAGING_CHANNELS[ch].fallback;
      const failing = !this.d.health.healthy(ch) || (ch === 'sms' && this.smsFailing.has(person.name));
      if (failing && this.channels.includes(alt)) out.add(alt);
      else out.add(ch);
    }
    return [...out].filter((ch) => PAGING_CHANNELS[ch].destination(person) !== undefined);
  }

  private notBefore(person: Person, severity: string, now: number): number {
    return isCritical(severity) || !inQuietHours(person, now) ? now : quietHoursEnd(person, now);
  }

  private alertText(inc: Incident): PageText {
    const sev = inc.severity.toUpperCase();
    // A summary that ends a sentence already ("… 10 min.") gets no second full stop.
    const summary = (inc.labels['summary'] ?? '').replace(/[.\s]+$/, '');
    const link = this.d.config.http.public_url;
    return {
      subject: `[${sev}] ${inc.title} - ack ${inc.ackCode}`,
      body: [
        `${inc.title} is firing${summary ? `: ${summary}` : ''}.`,
        `Since ${humanTime(inc.openedMs)} (${inc.severity}).`,
        `Acknowledge: "!ack ${inc.ackCode}" in IRC, or reply "ACK ${inc.ackCode}" to the SMS.`,
        ...(link ? [`Status: ${link}`] : []),
      ],
    };
  }

  /** A channel turned unhealthy: pages stuck on it are sent again on the other channel. */
  private failOver(kind: PagingChannel): void {
    const alt = PAGING_CHANNELS[kind].fallback;
    if (!this.channels.includes(alt)) return;
    const now = this.d.clock.now();
    const stuck = this.incidents.stuckPages(kind);
    this.d.db.transaction(() => {
      for (const r of stuck) {
        this.incidents.addPage({ incidentId: r.incidentId, step: `${r.step}:fallback`, channel: alt, person: r.person, nowMs: now, notBeforeMs: now, text: r.text });
      }
    })();
    this.d.log.warn({ event: 'channel_unhealthy', channel: kind, rerouted: stuck.length, to: alt }, `${kind} keeps failing; paging by ${alt}`);
    this.bundler.flush(now, true);
  }

  // ---------------------------------------------------------------- the monitoring-path rule

  /** Applies a path change; an error is logged, never thrown into the path's event source. */
  private pathChanged(path: PathMonitor): void {
    try {
      this.pathState(path.healthy(), path.reason(), path.name);
    } catch (err) {
      this.d.log.error({ event: 'escalation_error', err: String(err) }, `could not apply the ${path.name} state to escalation`);
    }
  }

  /**
   * The rule itself. Unhealthy for longer than `path_grace` opens "<path> down", paged by email
   * and SMS only (never through the path it is about), together with every open paging alert
   * nobody could acknowledge in band; recovery sends "<path> restored".
   */
  private pathState(healthy: boolean, reason: string, name: string): void {
    if (!this.enabled || this.stopped) return;
    const now = this.d.clock.now();
    if (healthy) {
      this.d.clock.clearTimeout(this.pathTimer);
      this.pathTimer = undefined;
      const down = this.pathDownSinceMs;
      this.pathDownSinceMs = undefined;
      const inc = this.incidents.live('path', null);
      if (inc) {
        this.d.db.transaction(() => {
          this.incidents.resolve(inc.id, now);
          const from = down ?? inc.openedMs;
          const paged = this.noticeRecipients(inc.id);
          // The channel gets one summary line of the outage only if somebody was paged about it.
          if (paged.length === 0) return;
          const r = this.d.pathOutageEnded({ incident: inc.ackCode, fromMs: from, toMs: now });
          const text = JSON.stringify({
            subject: `Lifeline: ${name} restored (${inc.ackCode})`,
            // One line: an SMS carries the subject and the first body line only.
            body: [`The ${name} can carry alerts again after ${formatDuration(now - from)}. While it was down ${r.fired} alert(s) started firing and ${r.resolved} resolved; ${r.firingNow} firing now. A summary of the outage is queued for the IRC channel.`],
          } satisfies PageText);
          for (const p of paged) this.incidents.addPage({ incidentId: inc.id, step: 'restored', channel: p.channel, person: p.person, nowMs: now, notBeforeMs: now, text });
        })();
        this.d.log.info({ event: 'irc_path_restored', incident: inc.id }, `${name} restored`);
        // Notices go at once; pages keep their bundle windows.
        this.bundler.flush(now, false);
      }
      return;
    }
    this.pathReason = reason;
    if (this.pathDownSinceMs !== undefined) return;
    this.pathDownSinceMs = now;
    this.pathTimer = this.d.clock.setTimeout(() => this.pathDown(name), this.d.config.escalation.path_grace);
  }

  private pathDown(name: string): void {
    if (this.stopped || this.pathDownSinceMs === undefined || this.d.path?.healthy() !== false) return;
    const now = this.d.clock.now();
    const since = this.pathDownSinceMs;
    this.d.db.transaction(() => {
      const inc = this.incidents.open({ kind: 'path', fingerprint: null, title: `${name} down`, severity: 'critical', labels: { reason: this.pathReason }, policy: 'path', nowMs: since, firstDueMs: null });
      if (!inc) return;
      const person = this.d.schedule.primary(now);
      if (!person) return;
      // Written channels first; a call follows when the SMS is not confirmed delivered (receipts).
      for (const channel of this.channels.filter((c) => c !== 'voice')) {
        if (PAGING_CHANNELS[channel].destination(person) === undefined) continue;
        this.incidents.addPage({
          incidentId: inc.id,
          step: 'path',
          channel,
          person: person.name,
          nowMs: now,
          notBeforeMs: now,
          text: JSON.stringify({
            subject: `[CRITICAL] Lifeline: ${name} down - ack ${inc.ackCode}`,
            body: [`The ${name} cannot carry alerts since ${humanTime(since)} (${formatDuration(now - since)}): ${this.pathReason}.`, 'Alerts are paged by email and SMS until it is back.', `Acknowledge: reply "ACK ${inc.ackCode}".`],
          } satisfies PageText),
        });
      }
      for (const a of this.incidents.unresolved().filter((i) => i.kind === 'alert' && i.state === 'open' && i.heldSinceMs === null)) this.pageOutOfBand(a, now);
      this.d.log.error({ event: 'irc_path_down', incident: inc.id, reason: this.pathReason, since_ms: now - since }, `${name} down: paging out of band`);
    })();
    this.bundler.flush(now, true);
    this.kick();
  }

  /** Pages an alert incident by email and SMS to on-call at once (bundled per person). */
  private pageOutOfBand(inc: Incident, now: number): void {
    const person = this.d.schedule.primary(now);
    if (!person || inc.heldSinceMs !== null) return;
    for (const channel of this.route(this.channels.filter((c) => c !== 'voice'), person)) {
      this.incidents.addPage({ incidentId: inc.id, step: 'oob', channel, person: person.name, nowMs: now, notBeforeMs: this.notBefore(person, inc.severity, now), text: JSON.stringify(this.alertText(inc)) });
    }
  }
}
