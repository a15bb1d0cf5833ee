import { headOf, isNotice, undelivered, type PagingChannelKind } from '../alerts/pages.js';
import { formatDuration } from '../config/duration.js';
import type { EscalationContext } from './context.js';

/**
 * Failover and delivery receipts: pages that did not reach a person go again another way — a
 * channel that keeps failing sends its stuck pages by its fallback, an SMS that did not reach the
 * phone sends its pages by the next channel, and a call that reached nobody moves its incidents
 * to their next step now. `flush` hands new pages to the outbox at once; `kick` runs escalation.
 */
export class Reroute {
  constructor(
    private readonly d: EscalationContext,
    private readonly flush: (now: number) => void,
    private readonly kick: () => void,
  ) {}

  /**
   * A page did not reach its person (a call ended busy, unanswered, or with key 2): the incidents
   * still open move to their next step now instead of after its wait.
   */
  escalateNow(incidentIds: readonly number[], why: string): void {
    const now = this.d.clock.now();
    let moved = 0;
    this.d.atomic(() => {
      for (const id of incidentIds) {
        const inc = this.d.incidents.get(id);
        if (!inc || inc.state !== 'open') continue;
        if (inc.nextDueMs === null) {
          this.d.log.warn({ event: 'escalation_exhausted', incident: inc.id, code: inc.ackCode, why }, `${inc.ackCode} did not reach anyone and its policy has no further step`);
          continue;
        }
        this.d.incidents.setSchedule(inc.id, inc.nextStep, Math.min(inc.nextDueMs, now));
        moved++;
      }
    });
    if (moved > 0) this.d.log.info({ event: 'escalated_now', incidents: moved, why }, `${why}: next step now`);
    this.kick();
  }

  /**
   * An SMS did not reach the phone (Twilio said undelivered or failed, or no "delivered" came in
   * time): each page it carried goes again at once on the person's next channel (email, else a
   * call; a notice never becomes a call), and SMS counts as failing for that person until an SMS
   * to them is delivered.
   */
  smsUndelivered(outboxId: number, person: string, why: string): void {
    const now = this.d.clock.now();
    this.d.smsFailing.add(person, now);
    let moved = 0;
    const p = this.d.schedule.person(person);
    this.d.atomic(() => {
      for (const page of this.d.incidents.pagesOfMessage(outboxId)) {
        const inc = this.d.incidents.get(page.incidentId);
        const notice = isNotice(page.reason);
        if (!inc || !p || (!notice && (inc.state !== 'open' || inc.heldSinceMs !== null))) continue;
        const head = headOf(page.reason);
        const next = (this.d.channels.get(page.channel)?.undeliveredGoesBy ?? [])
          .flatMap((k) => this.d.channels.get(k) ?? [])
          .find((ch) => (ch.written || !notice) && ch.destination(p) !== undefined && !this.d.incidents.pagedOn(inc.id, head, ch.kind, person));
        if (!next) continue;
        if (this.d.incidents.addPage({ incidentId: inc.id, reason: undelivered(page.reason), channel: next.kind, person, nowMs: now, notBeforeMs: now, text: page.text })) moved++;
      }
    });
    this.d.log.warn({ event: 'sms_undelivered', outbox: outboxId, person, why, rerouted: moved }, `SMS to ${person} not delivered (${why}); ${moved} page(s) sent another way`);
    if (moved > 0) this.flush(now);
    this.kick();
  }

  /** An SMS to `person` was delivered: SMS works for them again. */
  smsDelivered(person: string): void {
    if (this.d.smsFailing.delete(person)) this.d.log.info({ event: 'sms_delivered_again', person }, `SMS reaches ${person} again`);
  }

  /** SMS without a receipt in time count as undelivered; returns when to look again. */
  checkReceipts(now: number): number | undefined {
    const sms = this.d.config.sms;
    if (!sms?.status_url) return undefined;
    for (const m of this.d.receipts.overdue(now - sms.delivery_timeout)) {
      if (this.d.receipts.rerouted(m.messageSid, now)) this.smsUndelivered(m.outboxId, m.person, `no delivery receipt within ${formatDuration(sms.delivery_timeout)} (last status: ${m.status})`);
    }
    const oldest = this.d.receipts.oldestUnsettled();
    return oldest === undefined ? undefined : oldest + sms.delivery_timeout;
  }

  /** A channel turned unhealthy: pages stuck on it are sent again on its fallback channel. */
  failOver(kind: PagingChannelKind): void {
    const alt = this.d.channels.get(kind)?.fallback;
    if (alt === undefined || !this.d.channels.has(alt)) return;
    const now = this.d.clock.now();
    const stuck = this.d.incidents.stuckPages(kind);
    this.d.atomic(() => {
      for (const r of stuck) this.d.incidents.addPage({ incidentId: r.incidentId, reason: { kind: 'fallback', of: r.reason }, channel: alt, person: r.person, nowMs: now, notBeforeMs: now, text: r.text });
    });
    this.d.log.warn({ event: 'channel_unhealthy', channel: kind, rerouted: stuck.length, to: alt }, `${kind} keeps failing; paging by ${alt}`);
    this.flush(now);
  }
}
