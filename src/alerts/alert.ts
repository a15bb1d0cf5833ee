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
  /**
   * Set on a Lifeline probe's own alerts (down or warning) and on an inferred cause's: which
   * probe it reports. Stored in columns beside the fingerprint, never parsed out of it.
   */
  probe?: ProbeSubject;
  /**
   * Lifeline's own alert whose startsAt every cluster instance derives alike: a probe down from
   * every region (the first down region's time) or a peer down (its last heartbeat's send time).
   * Its incident is then one episode across the regions (escalation/episode.ts): one page.
   */
  sharedStart?: true;
  /**
   * Lifeline's own alert that is one event for every cluster instance while each sees its start
   * at its own time: a redundancy group's, an inferred shared cause's. Its incident's episode is
   * agreed between the instances (escalation/episodeAgreement.ts): one page, acks everywhere.
   */
  agreedEpisode?: true;
}

/**
 * What a probe alert is about. A redundancy group's alert has none: it speaks for a group.
 */
export interface ProbeSubject {
  /** The probe's name; for an inferred cause, "~ENDPOINT" (probes/policy/sharedCause.ts), as in its probe label. */
  name: string;
  /** The probe's warning alert (a certificate about to expire), not its down alert. */
  warning: boolean;
}

/** What names the thing an alert is about, for people: its instance, else its job. */
export function instanceOf(labels: Readonly<Record<string, string>>): string {
  return labels['instance'] ?? labels['job'] ?? '';
}

/**
 * Where an alert came from, stored with it (alerts.source) and with the notification that carried
 * it (receipts.source): Alertmanager's webhook, or Lifeline's own probes (heartbeats, a dead man's
 * switch, are a probe kind; redundancy groups and inferred causes are the probes' alerts too), or
 * the cluster (`peer`: a peer Lifeline down or unreachable, this region's NATS down; issue 23).
 */
export type AlertSource = 'alertmanager' | 'probe' | 'peer';

/** Every AlertSource, for checking a stored value. */
export const ALERT_SOURCES: readonly AlertSource[] = ['alertmanager', 'probe', 'peer'];

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
