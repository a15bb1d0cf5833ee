import { instanceOf, type Alert, type AlertBatch } from './alert.js';
import type { PagingChannelKind } from './pages.js';

/** What the outbox keeps of one alert: enough to render a line and to fold into a digest. */
export interface AlertBrief {
  fp: string;
  status: 'firing' | 'resolved';
  name: string;
  instance: string;
  severity: string;
  summary: string;
  /** Ack code of the incident this alert opened, when one is open. */
  incident?: string;
}

/** A group notification queued for a destination. */
export interface GroupMessage {
  kind: 'group';
  groupKey: string;
  status: 'firing' | 'resolved';
  commonLabels: Record<string, string>;
  truncated: number;
  alerts: AlertBrief[];
}

/** Per-alert entry of a summary: what happened to it within the summarised window. */
export interface SummaryEntry {
  status: 'firing' | 'resolved';
  fired: boolean;
  resolved: boolean;
  name: string;
  instance: string;
  severity: string;
}

/**
 * Pending messages folded together, coalesced by alert fingerprint. Bounded: past `MAX_SUMMARY_ALERTS`
 * alerts, resolved ones are dropped first and only counted.
 */
export interface SummaryMessage {
  kind: 'summary';
  /** Creation time of the oldest folded message. */
  sinceMs: number;
  /** How many messages were folded in. */
  messages: number;
  alerts: Record<string, SummaryEntry>;
  /** Alerts dropped from `alerts` to keep the summary bounded, counted by what they did. */
  overflow: { fired: number; resolved: number; stillFiring: number };
  /** Set when the summary closes an IRC path outage that paged people. */
  outage?: OutageInfo;
}

/**
 * An IRC path outage that paged people. When it ends, a summary carrying this (and what fires now,
 * from the store, as entries that neither fired nor resolved meanwhile) is queued for each channel:
 * it folds in whatever waited, so the channel gets one line about the outage.
 */
export interface OutageInfo {
  incident: string;
  fromMs: number;
  toMs: number;
}

/** Notices Lifeline needs to find again. */
export type NoticeTag = `${PagingChannelKind}_budget`;

/** Free text (notices from Lifeline itself). */
export interface TextMessage {
  kind: 'text';
  text: string;
  /** What kind of notice this is, for Lifeline's own look-ups (never matched by its text). */
  tag?: NoticeTag;
}

/** A page to one person by email or SMS: a subject line and body lines (bundled pages included). */
export interface PageMessage {
  kind: 'page';
  subject: string;
  body: string[];
}

/** Anything the outbox holds. */
export type OutboxMessage = GroupMessage | SummaryMessage | TextMessage | PageMessage;

/** Most alerts a summary keeps individually. */
export const MAX_SUMMARY_ALERTS = 2000;

/** Reduces a received alert to what messages need. */
export function briefOf(a: Alert): AlertBrief {
  return {
    fp: a.fingerprint,
    status: a.status,
    name: a.labels['alertname'] ?? '',
    instance: instanceOf(a.labels),
    severity: a.labels['severity'] ?? '',
    summary: a.annotations['summary'] ?? a.annotations['description'] ?? a.annotations['message'] ?? '',
  };
}

/** Builds the group message for a notification; `incidentOf` gives an alert's open incident code. */
export function groupMessageOf(n: AlertBatch, incidentOf: (fingerprint: string) => string | undefined = () => undefined): GroupMessage {
  return {
    kind: 'group',
    groupKey: n.groupKey,
    status: n.status,
    commonLabels: { ...n.commonLabels },
    truncated: n.truncatedAlerts,
    alerts: n.alerts.map((a) => {
      const b = briefOf(a);
      const code = a.status === 'firing' ? incidentOf(a.fingerprint) : undefined;
      return code ? { ...b, incident: code } : b;
    }),
  };
}

/** The summary queued for a channel when a path outage that paged people ends (see OutageInfo). */
export function outageSummary(o: OutageInfo, firing: ReadonlyArray<{ fp: string; name: string; instance: string; severity: string }>, firingTotal: number): SummaryMessage {
  const alerts: Record<string, SummaryEntry> = Object.create(null) as Record<string, SummaryEntry>;
  for (const a of firing.slice(0, MAX_SUMMARY_ALERTS)) alerts[a.fp] = { status: 'firing', fired: false, resolved: false, name: a.name, instance: a.instance, severity: a.severity };
  // `firing` may be capped: the rest is counted, never dropped from the total.
  const rest = Math.max(0, firingTotal - Object.keys(alerts).length);
  return { kind: 'summary', sinceMs: o.fromMs, messages: 0, alerts, overflow: { fired: 0, resolved: 0, stillFiring: rest }, outage: { ...o } };
}
