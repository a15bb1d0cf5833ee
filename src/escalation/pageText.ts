import { bySeverity } from '../alerts/severity.js';
import { formatDuration } from '../config/duration.js';
import type { Incident } from '../store/incidents.js';

/*
 * Every page's words: an alert's page, its notices (lowered, resolved), the monitoring path's
 * pages (down, restored), bundles of several pages and what a call says. An SMS carries a page's
 * subject and first body line only, so what must reach a phone goes there.
 */

/** What a page says: a subject line (sorts well on a phone) and body lines. */
export interface PageText {
  subject: string;
  body: string[];
}

/** A time as people read it in a page: "Fri 4 Dec 15:49 UTC" (UTC: a page goes to people in several zones). */
export function humanTime(ms: number): string {
  const d = new Date(ms);
  const day = d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).replace(',', '');
  return `${day} ${d.toISOString().slice(11, 16)} UTC`;
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

/** How to acknowledge, in every alert page. */
function ackLine(code: string): string {
  return `Acknowledge: "!ack ${code}" in IRC, or reply "ACK ${code}" to the SMS.`;
}

/** An alert incident's page; `link`: the status page (http.public_url), if set. */
export function alertText(inc: Incident, link: string | undefined): PageText {
  const sev = inc.severity.toUpperCase();
  // A summary that ends a sentence already ("… 10 min.") gets no second full stop.
  const summary = (inc.labels['summary'] ?? '').replace(/[.\s]+$/, '');
  return {
    subject: `[${sev}] ${inc.title} - ack ${inc.ackCode}`,
    body: [`${inc.title} is firing${summary ? `: ${summary}` : ''}.`, `Since ${humanTime(inc.openedMs)} (${inc.severity}).`, ackLine(inc.ackCode), ...(link ? [`Status: ${link}`] : [])],
  };
}

/** Notice: an incident fell back from critical. */
export function loweredText(inc: Incident, severity: string, summary: string, nowMs: number): PageText {
  return {
    subject: `[${severity.toUpperCase()}] ${inc.title} - no longer critical - ack ${inc.ackCode}`,
    body: [summary, `${inc.title} is ${severity} now, no longer critical, since ${humanTime(nowMs)}.`, ackLine(inc.ackCode)],
  };
}

/** Notice: an incident resolved. */
export function resolvedText(inc: Incident, nowMs: number): PageText {
  return { subject: `RESOLVED ${inc.title}`, body: [`${inc.title} resolved after ${formatDuration(nowMs - inc.openedMs)}.`] };
}

/** The monitoring path's page: it cannot carry alerts. */
export function pathDownText(name: string, code: string, sinceMs: number, nowMs: number, reason: string): PageText {
  return {
    subject: `[CRITICAL] Lifeline: ${name} down - ack ${code}`,
    body: [`The ${name} cannot carry alerts since ${humanTime(sinceMs)} (${formatDuration(nowMs - sinceMs)}): ${reason}.`, 'Alerts are paged by email and SMS until it is back.', `Acknowledge: reply "ACK ${code}".`],
  };
}

/** Notice: the monitoring path carries alerts again, with what happened meanwhile. */
export function restoredText(name: string, code: string, fromMs: number, nowMs: number, r: { fired: number; resolved: number; firingNow: number }): PageText {
  return {
    subject: `Lifeline: ${name} restored (${code})`,
    // One line: an SMS carries the subject and the first body line only.
    body: [`The ${name} can carry alerts again after ${formatDuration(nowMs - fromMs)}. While it was down ${r.fired} alert(s) started firing and ${r.resolved} resolved; ${r.firingNow} firing now. A summary of the outage is queued for the IRC channel.`],
  };
}

/** Pages shown in full in a bundled email, then by subject only, then counted. */
const MAX_FULL_PAGES = 20;
const MAX_BRIEF_PAGES = 200;

/** Several pages in one email: the first ones in full, the rest by subject (a storm can bundle thousands). */
export function fullBundle(texts: readonly PageText[]): PageText {
  if (texts.length === 1) return texts[0] as PageText;
  const subject = `${texts.length} pages: ${(texts[0] as PageText).subject}`;
  const full = texts.slice(0, MAX_FULL_PAGES).flatMap((t) => ['', t.subject, ...t.body.map((b) => `  ${b}`)]);
  const brief = texts.slice(MAX_FULL_PAGES, MAX_FULL_PAGES + MAX_BRIEF_PAGES).map((t) => t.subject);
  const rest = texts.length - MAX_FULL_PAGES - brief.length;
  return { subject, body: [...full, ...(brief.length ? ['', ...brief] : []), ...(rest > 0 ? [`…and ${rest} more`] : [])] };
}

/** Several pages in one short message (two SMS segments at most): each page's subject, so every ack code survives. */
export function briefBundle(texts: readonly PageText[]): PageText {
  if (texts.length === 1) {
    const t = texts[0] as PageText;
    return { subject: t.subject, body: t.body.slice(0, 1) };
  }
  return { subject: `Lifeline ${texts.length} pages`, body: texts.map((t) => t.subject) };
}

/**
 * What a call says: one call for all of a person's pending pages, so it reads the count and the
 * worst incident (the most severe, then the oldest), its age and its code letter by letter.
 */
export function callText(incs: readonly Incident[], nowMs: number): PageText {
  const worst = [...incs].sort((a, b) => bySeverity(a.severity, b.severity) || a.openedMs - b.openedMs)[0];
  const subject = `Lifeline call: ${incs.length} incident${incs.length === 1 ? '' : 's'}`;
  if (!worst) return { subject, body: ['Lifeline has a page for you.'] };
  const count = incs.length === 1 ? 'one incident' : `${incs.length} incidents. The worst`;
  const spelled = [...worst.ackCode].join(' ');
  return { subject, body: [`This is Lifeline with ${count}: ${worst.title}, ${worst.severity}, for ${spokenDuration(nowMs - worst.openedMs)}, incident ${spelled}.`] };
}
