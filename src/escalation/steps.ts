import type { PageReason, PagingChannelKind } from '../alerts/pages.js';
import { isCritical } from '../alerts/severity.js';
import { inQuietHours, quietHoursEnd, type Person } from '../people/oncall.js';
import type { Incident } from '../store/incidents.js';
import type { EscalationContext } from './context.js';
import { alertText, type PageText } from './pageText.js';
import type { Step } from './policies.js';

/**
 * Due steps: who a step pages (on-call or a named person), on which channels (a failing one
 * replaced by its fallback), and when (quiet hours hold what is not critical). Pages are decided
 * here and in the rules beside it; the bundler sends them.
 */
export class Steps {
  constructor(private readonly d: EscalationContext) {}

  /** Runs every due step in one transaction. */
  runDue(now: number): void {
    this.d.atomic(() => {
      for (const inc of this.d.incidents.due(now)) this.run(inc, now);
    });
  }

  private run(inc: Incident, now: number): void {
    if (inc.state === 'acked') {
      // The acknowledgement lapsed: page again from the step it had reached.
      this.d.incidents.relapse(inc.id);
      this.d.log.info({ event: 'ack_lapsed', incident: inc.id, code: inc.ackCode }, 'acknowledgement timed out; paging again');
    }
    const policy = this.d.policies.find((p) => p.name === inc.policy);
    const step = policy?.step(inc.nextStep);
    if (!policy || !step) {
      this.d.incidents.setSchedule(inc.id, inc.nextStep, null);
      return;
    }
    // After a move to another policy its steps are pages of their own, not repeats of the first policy's step.
    const reason: PageReason = inc.policyChanged ? { kind: 'switched', index: inc.nextStep, policy: policy.name } : { kind: 'step', index: inc.nextStep };
    this.page(inc, step, reason, now, (person) => this.notBefore(person, inc.severity, now));
    const following = policy.step(inc.nextStep + 1);
    this.d.incidents.setSchedule(inc.id, inc.nextStep + 1, following ? Math.max(now, inc.stepsBaseMs + inc.heldMs + following.afterMs) : null);
  }

  /** Decides the pages of one step of an incident: each recipient on each channel the step routes to. */
  page(inc: Incident, step: Step, reason: PageReason, now: number, notBefore: (p: Person) => number, text: PageText = this.alertText(inc)): void {
    const json = JSON.stringify(text);
    for (const person of this.recipients(step.to, now)) {
      for (const channel of this.route(step.notify, person)) {
        this.d.incidents.addPage({ incidentId: inc.id, reason, channel, person: person.name, nowMs: now, notBeforeMs: notBefore(person), text: json });
      }
    }
  }

  /** Who a step's `to` names now: on-call's primary, or the person. */
  recipients(to: string, now: number): Person[] {
    if (to === 'oncall') {
      const p = this.d.schedule.primary(now);
      if (!p) this.d.log.error({ event: 'nobody_on_call' }, 'nobody is on call: check oncall.rotations');
      return p ? [p] : [];
    }
    const p = this.d.schedule.person(to);
    return p ? [p] : [];
  }

  /**
   * Channels to use: the wanted configured ones, each failing one (unhealthy, or by its receipts
   * not reaching this person) replaced by its fallback when that is configured, and only those
   * that reach the person.
   */
  route(want: readonly PagingChannelKind[], person: Person): PagingChannelKind[] {
    const out = new Set<PagingChannelKind>();
    for (const kind of want) {
      const ch = this.d.channels.get(kind);
      if (!ch) continue;
      const failing = !this.d.health.healthy(kind) || (ch.receipts && this.d.smsFailing.has(person.name));
      out.add(failing && this.d.channels.has(ch.fallback) ? ch.fallback : kind);
    }
    return [...out].filter((k) => this.d.channels.get(k)?.destination(person) !== undefined);
  }

  /** When a page to `person` may go: now, or after their quiet hours unless it is critical. */
  notBefore(person: Person, severity: string, now: number): number {
    return isCritical(severity) || !inQuietHours(person, now) ? now : quietHoursEnd(person, now);
  }

  /** An alert incident's page. */
  alertText(inc: Incident): PageText {
    return alertText(inc, this.d.config.http.public_url);
  }

  /**
   * Who gets a notice (resolved, restored, lowered) of an incident, and how: whoever was paged,
   * each on the channel its paging channel sends notices by (nobody is called to be told all is
   * well: a called person gets it by SMS), if that is configured.
   */
  noticeRecipients(incidentId: number): Array<{ channel: PagingChannelKind; person: string }> {
    const out = new Map<string, { channel: PagingChannelKind; person: string }>();
    for (const r of this.d.incidents.pagedRecipients(incidentId)) {
      const channel = this.d.channels.get(r.channel)?.noticesVia ?? r.channel;
      if (this.d.channels.has(channel)) out.set(`${channel}\u0000${r.person}`, { channel, person: r.person });
    }
    return [...out.values()];
  }

  /** Queues a notice to whoever was paged about an incident (see noticeRecipients). */
  notify(incidentId: number, reason: PageReason, text: PageText, now: number): number {
    const recipients = this.noticeRecipients(incidentId);
    const json = JSON.stringify(text);
    for (const r of recipients) this.d.incidents.addPage({ incidentId, reason, channel: r.channel, person: r.person, nowMs: now, notBeforeMs: now, text: json });
    return recipients.length;
  }
}
