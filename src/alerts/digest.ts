import { bySeverity } from './severity.js';
import { naturalCompare } from '../util/naturalCompare.js';
import { MAX_SUMMARY_ALERTS, type OutboxMessage, type SummaryEntry, type SummaryMessage } from './messages.js';

/** A pending outbox message with its creation time, as the fold needs it. */
export interface FoldInput {
  createdMs: number;
  message: OutboxMessage;
}

/**
 * Folds pending messages into one summary, coalesced by fingerprint: an alert that fired, resolved
 * and fired again while IRC was away is one entry that "fired" and is "still firing". Text messages
 * are counted but their text is not kept (Lifeline's own notices are re-derived on reconnect).
 */
export function fold(inputs: readonly FoldInput[]): SummaryMessage {
  const out: SummaryMessage = {
    kind: 'summary',
    sinceMs: Number.POSITIVE_INFINITY,
    messages: 0,
    alerts: {},
    overflow: { fired: 0, resolved: 0, stillFiring: 0 },
  };
  for (const { createdMs, message } of inputs) {
    out.sinceMs = Math.min(out.sinceMs, createdMs);
    if (message.kind === 'summary') {
      out.messages += message.messages;
      out.sinceMs = Math.min(out.sinceMs, message.sinceMs);
      out.overflow.fired += message.overflow.fired;
      out.overflow.resolved += message.overflow.resolved;
      out.overflow.stillFiring += message.overflow.stillFiring;
      if (message.outage) out.outage = message.outage;
      for (const [fp, e] of Object.entries(message.alerts)) merge(out, fp, e);
    } else {
      out.messages += 1;
      if (message.kind === 'group') {
        for (const a of message.alerts) {
          merge(out, a.fp, {
            status: a.status,
            fired: a.status === 'firing',
            resolved: a.status === 'resolved',
            name: a.name,
            instance: a.instance,
            severity: a.severity,
          });
        }
      }
    }
  }
  if (!Number.isFinite(out.sinceMs)) out.sinceMs = 0;
  bound(out);
  return out;
}

function merge(out: SummaryMessage, fp: string, e: SummaryEntry): void {
  const prev = out.alerts[fp];
  if (!prev) {
    out.alerts[fp] = { ...e };
    return;
  }
  prev.fired ||= e.fired;
  prev.resolved ||= e.resolved;
  prev.status = e.status;
  prev.name = e.name || prev.name;
  prev.instance = e.instance || prev.instance;
  prev.severity = e.severity || prev.severity;
}

/** Keeps at most MAX_SUMMARY_ALERTS entries, dropping resolved ones first, counting what is dropped. */
function bound(out: SummaryMessage): void {
  const fps = Object.keys(out.alerts);
  let excess = fps.length - MAX_SUMMARY_ALERTS;
  if (excess <= 0) return;
  const order = fps.sort((a, b) => rank(out.alerts[a] as SummaryEntry) - rank(out.alerts[b] as SummaryEntry));
  for (const fp of order) {
    if (excess <= 0) break;
    const e = out.alerts[fp] as SummaryEntry;
    if (e.fired) out.overflow.fired++;
    if (e.resolved) out.overflow.resolved++;
    if (e.status === 'firing') out.overflow.stillFiring++;
    delete out.alerts[fp];
    excess--;
  }
}

function rank(e: SummaryEntry): number {
  return e.status === 'resolved' ? 0 : 1;
}

/** Totals of a summary, overflow included. */
export interface DigestTotals {
  fired: number;
  resolved: number;
  stillFiring: number;
  /** Still-firing alerts, most severe first. */
  firing: SummaryEntry[];
}

/** Counts a summary for rendering. */
export function totals(s: SummaryMessage): DigestTotals {
  let fired = s.overflow.fired;
  let resolved = s.overflow.resolved;
  const firing: SummaryEntry[] = [];
  for (const e of Object.values(s.alerts)) {
    if (e.fired) fired++;
    if (e.resolved) resolved++;
    if (e.status === 'firing') firing.push(e);
  }
  firing.sort((a, b) => bySeverity(a.severity, b.severity) || naturalCompare(a.name, b.name) || naturalCompare(a.instance, b.instance));
  return { fired, resolved, stillFiring: firing.length + s.overflow.stillFiring, firing };
}
