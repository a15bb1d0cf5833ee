import { bySeverity } from '../alerts/severity.js';
import type { Config } from '../config/schema.js';
import { smsDestination } from '../notifiers/sms.js';
import { voiceDestination } from '../notifiers/voice.js';
import type { Logger } from '../observability/logger.js';
import type { OnCallSchedule, Person } from '../people/oncall.js';
import type { Db } from '../store/db.js';
import type { Outbox } from '../store/outbox.js';
import { NOTICE_STEPS, PAGING_CHANNELS, type PagingChannel } from './channels.js';
import type { IncidentStore, PageRow } from '../store/incidents.js';

/** What a page says: a subject line (sorts well on a phone) and body lines. */
export interface PageText {
  subject: string;
  body: string[];
}

/**
 * One message for several pages. Email gets every page in full; SMS (two segments at most) gets
 * each page's subject, most urgent first, so every ack code survives the length limit.
 */
export function bundleText(texts: readonly PageText[], channel: PagingChannel): PageText {
  if (texts.length === 1) {
    const t = texts[0] as PageText;
    return channel === 'sms' ? { subject: t.subject, body: t.body.slice(0, 1) } : t;
  }
  const subject = `${texts.length} pages: ${(texts[0] as PageText).subject}`;
  if (channel === 'sms') return { subject: `Lifeline ${texts.length} pages`, body: texts.map((t) => t.subject) };
  // A storm can bundle thousands of pages: the email lists the first ones in full, the rest by subject.
  const full = texts.slice(0, MAX_FULL_PAGES).flatMap((t) => ['', t.subject, ...t.body.map((b) => `  ${b}`)]);
  const brief = texts.slice(MAX_FULL_PAGES, MAX_FULL_PAGES + MAX_BRIEF_PAGES).map((t) => t.subject);
  const rest = texts.length - MAX_FULL_PAGES - brief.length;
  return { subject, body: [...full, ...(brief.length ? ['', ...brief] : []), ...(rest > 0 ? [`…and ${rest} more`] : [])] };
}

/** A duration as text-to-speech reads it well: "less than a minute", "12 minutes", "2 hours 5 minutes". */
export function spokenDuration(ms: number): string {
  const min = Math.floor(ms / 60_000);
  if (min < 1) return 'less than a minute';
  const unit = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (min < 60) return unit(min, 'minute');
  const h = Math.floor(min / 60);
  return min % 60 === 0 ? unit(h, 'hour') : `${unit(h, 'hour')} ${unit(min % 60, 'minute')}`;
}

/** Pages shown in full in a bundled email, then by subject only, then counted. */
const MAX_FULL_PAGES = 20;
const MAX_BRIEF_PAGES = 200;

/** What the bundler needs. */
export interface BundlerDeps {
  config: Config;
  db: Db;
  outbox: Outbox;
  incidents: IncidentStore;
  schedule: OnCallSchedule;
  log: Logger;
  channels: readonly PagingChannel[];
  poke(destination: string): void;
}

/**
 * Turns decided pages into outbox messages, one per (person, channel) at a time, within SMS
 * budgets. The budgets are counted from the outbox itself, so they survive restarts.
 */
export class PageBundler {
  constructor(private readonly d: BundlerDeps) {}

  /**
   * Gives unsent pages to the outbox, one message per (person, channel): the first page goes at
   * once, later ones within `bundle_window` wait and go together. SMS beyond the person's budget
   * go by email, with one SMS saying so. `force` sends everything now (the path-down notice).
   * Returns when bundles are next due.
   */
  flush(now: number, force: boolean): number | undefined {
    const window = this.d.config.escalation.bundle_window;
    let wake: number | undefined;
    const groups = new Map<string, PageRow[]>();
    for (const p of this.d.incidents.unsentPages()) {
      if (p.notBeforeMs > now) {
        wake = Math.min(wake ?? p.notBeforeMs, p.notBeforeMs);
        continue;
      }
      const k = `${p.channel}\u0000${p.person}`;
      groups.set(k, [...(groups.get(k) ?? []), p]);
    }
    for (const rows of groups.values()) {
      const { channel, person: name } = rows[0] as PageRow;
      const person = this.d.schedule.person(name);
      if (!person) continue;
      // Notices (resolved, restored) go at once on their own: they never wait for a bundle window
      // and never open one, so they cannot hold back a page.
      const notices = rows.filter((r) => NOTICE_STEPS.has(r.step));
      const pages = rows.filter((r) => !NOTICE_STEPS.has(r.step));
      if (notices.length > 0) this.d.db.transaction(() => this.sendBundle(channel, person, notices, now))();
      if (pages.length === 0) continue;
      const last = this.d.incidents.lastSentMs(channel, name);
      const urgent = force || pages.some((r) => r.step === 'path');
      if (!urgent && last !== undefined && now < last + window) {
        wake = Math.min(wake ?? last + window, last + window);
        continue;
      }
      this.d.db.transaction(() => this.sendBundle(channel, person, pages, now))();
    }
    return wake;
  }

  private sendBundle(channel: PagingChannel, person: Person, rows: PageRow[], now: number): void {
    let ch = channel;
    // Calls have their own budget; past it, the page goes by SMS (which has its own).
    if (ch === 'voice' && person.phone && this.overCallBudget(person.phone, now)) {
      this.d.log.warn({ event: 'voice_budget_reached', person: person.name }, 'call budget reached; paging by SMS');
      if (this.d.channels.includes('sms')) ch = 'sms';
      else return;
    }
    if (ch === 'sms' && person.phone && this.overBudget(person.phone, now)) {
      this.budgetNotice(person, now);
      if (this.d.channels.includes('email') && person.email) ch = 'email';
      else {
        this.d.log.warn({ event: 'sms_budget_reached', person: person.name }, 'SMS budget reached and no email to fall back to; pages held');
        return;
      }
    }
    // One entry per incident: its latest step's text (several steps may have come due meanwhile).
    const latest = new Map<number, PageRow>();
    for (const r of rows) latest.set(r.incidentId, r);
    const msg = ch === 'voice' ? this.callText([...latest.keys()], now) : bundleText(this.worstFirst([...latest.values()]).map((r) => JSON.parse(r.text) as PageText), ch);
    const dest = PAGING_CHANNELS[ch].destination(person);
    if (dest === undefined) return;
    const id = this.d.outbox.enqueue(dest, { kind: 'page', subject: msg.subject, body: msg.body }, now);
    this.d.incidents.markPagesSent(rows.map((r) => r.id), id);
    this.d.log.info({ event: 'paged', person: person.name, channel: ch, pages: rows.length, outbox: id }, 'page queued');
    this.d.poke(dest);
  }

  /**
   * A bundle leads with its cause and its worst: the path-down page first (it explains why the
   * others come by email and SMS), then by severity (critical before warning), then oldest first.
   * Its subject is the first item's, so the subject names the worst.
   */
  private worstFirst(rows: readonly PageRow[]): PageRow[] {
    const inc = new Map(rows.map((r) => [r.incidentId, this.d.incidents.get(r.incidentId)]));
    const causal = (r: PageRow): number => (r.step === 'path' ? 0 : 1);
    const severity = (r: PageRow): string => inc.get(r.incidentId)?.severity ?? '';
    const opened = (r: PageRow): number => inc.get(r.incidentId)?.openedMs ?? 0;
    return [...rows].sort((a, b) => causal(a) - causal(b) || bySeverity(severity(a), severity(b)) || opened(a) - opened(b) || a.incidentId - b.incidentId);
  }

  /**
   * What a call says: one call for all of a person's pending pages, so it reads the count and the
   * worst incident (the most severe, then the oldest), its age and its code letter by letter.
   */
  private callText(incidentIds: readonly number[], now: number): PageText {
    const incs = incidentIds.flatMap((id) => this.d.incidents.get(id) ?? []);
    const worst = [...incs].sort((a, b) => bySeverity(a.severity, b.severity) || a.openedMs - b.openedMs)[0];
    const subject = `Lifeline call: ${incs.length} incident${incs.length === 1 ? '' : 's'}`;
    if (!worst) return { subject, body: ['Lifeline has a page for you.'] };
    const count = incs.length === 1 ? 'one incident' : `${incs.length} incidents. The worst`;
    const spelled = [...worst.ackCode].join(' ');
    return { subject, body: [`This is Lifeline with ${count}: ${worst.title}, ${worst.severity}, for ${spokenDuration(now - worst.openedMs)}, incident ${spelled}.`] };
  }

  private overCallBudget(phone: string, now: number): boolean {
    const v = this.d.config.voice;
    if (!v) return false;
    const dest = voiceDestination(phone);
    return this.d.incidents.countSentSince(dest, now - 3_600_000) >= v.max_per_hour || this.d.incidents.countSentSince(dest, now - 86_400_000) >= v.max_per_day;
  }

  private overBudget(phone: string, now: number): boolean {
    const s = this.d.config.sms;
    if (!s) return false;
    const dest = smsDestination(phone);
    return this.d.incidents.countSentSince(dest, now - 3_600_000) >= s.max_per_hour || this.d.incidents.countSentSince(dest, now - 86_400_000) >= s.max_per_day;
  }

  /** One SMS per hour telling the person that pages now come by email (a text message: not counted). */
  private budgetNotice(person: Person, now: number): void {
    const dest = smsDestination(person.phone as string);
    if (this.d.outbox.hasNoticeSince(dest, 'sms_budget', now - 3_600_000)) return;
    const s = this.d.config.sms as NonNullable<Config['sms']>;
    const id = this.d.outbox.enqueue(dest, { kind: 'text', tag: 'sms_budget', text: `Lifeline: SMS budget reached (${s.max_per_hour}/h, ${s.max_per_day}/day); further pages come by email.` }, now);
    this.d.log.warn({ event: 'sms_budget_reached', person: person.name, outbox: id }, 'SMS budget reached; paging by email');
    this.d.poke(dest);
  }
}
