/**
 * The source-neutral alert every stage after the sources speaks. Alertmanager's webhook payload
 * (sources/alertmanager.ts) is converted at the edge; probes produce the same shape.
 */
export interface Alert {
  /** Stable identity: the same alert keeps the same fingerprint across notifications. */
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** RFC 3339 times as the source gave them ('' when unknown). */
  startsAt: string;
  endsAt: string;
  /** Link back to whatever raised the alert ('' when none). */
  generatorURL: string;
}

/** What names the thing an alert is about, for people: its instance, else its job. */
export function instanceOf(labels: Readonly<Record<string, string>>): string {
  return labels['instance'] ?? labels['job'] ?? '';
}

/** Where a batch came from. */
export type AlertSource = 'alertmanager' | 'probe';

/**
 * A batch of alerts that arrive together (one Alertmanager group notification, one probe round),
 * delivered as one message to the route's destinations.
 */
export interface AlertBatch {
  source: AlertSource;
  /** Identity of the group (Alertmanager's groupKey; a probe's name). */
  groupKey: string;
  status: 'firing' | 'resolved';
  /** Labels every alert of the batch shares. */
  commonLabels: Readonly<Record<string, string>>;
  /** Alerts the source left out (Alertmanager's max_alerts). */
  truncatedAlerts: number;
  alerts: readonly Alert[];
}
