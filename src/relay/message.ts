import type { GroupNotification, ReceivedAlert } from '../sources/alertmanager.js';

/** What the outbox keeps of one alert: enough to render a line and to fold into a digest. */
export interface AlertBrief {
  fp: string;
  status: 'firing' | 'resolved';
  name: string;
  instance: string;
  severity: string;
  summary: string;
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
}

/** Free text (notices from Lifeline itself). */
export interface TextMessage {
  kind: 'text';
  text: string;
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
export function briefOf(a: ReceivedAlert): AlertBrief {
  return {
    fp: a.fingerprint,
    status: a.status,
    name: a.labels['alertname'] ?? '',
    instance: a.labels['instance'] ?? a.labels['job'] ?? '',
    severity: a.labels['severity'] ?? '',
    summary: a.annotations['summary'] ?? a.annotations['description'] ?? a.annotations['message'] ?? '',
  };
}

/** Builds the group message for a notification. */
export function groupMessageOf(n: GroupNotification): GroupMessage {
  return {
    kind: 'group',
    groupKey: n.groupKey,
    status: n.status,
    commonLabels: { ...n.commonLabels },
    truncated: n.truncatedAlerts,
    alerts: n.alerts.map(briefOf),
  };
}
