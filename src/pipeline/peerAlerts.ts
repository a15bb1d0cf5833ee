import type { Alert, AlertBatch } from '../alerts/alert.js';
import type { ClusterEvent, PeerDownReason } from '../cluster/node.js';

/*
 * The watchdog is watched (issue 23): a peer down is itself an incident, raised through the normal
 * pipeline (an alert of source `peer`: an incident, the policy's steps, the normal pages, and with
 * them the cluster's one-page-per-event claims), resolved when the peer is heard again.
 */

/** Alert names of the cluster's own alerts (what a route, a policy or a silence matches on). */
export const PEER_ALERTNAMES = { silent: 'LifelinePeerDown', unreachable: 'LifelinePeerUnreachable', local: 'LifelineNatsDown' } as const satisfies Record<PeerDownReason, string>;

/** What PeerAlerts needs. */
export interface PeerAlertDeps {
  /** This instance's cluster.name. */
  self: string;
  /** This region's nats-server (cluster.nats_url), for the words of "this region's NATS is down". */
  natsUrl: string;
  /** What the config says about each peer (cluster.peers[].info, "Hetzner fsn1, ops VM"), by name: the page names it. */
  info?: ReadonlyMap<string, string>;
  /** Runs a batch through the pipeline (ingest), as the probes' alerts are. */
  emit(batch: AlertBatch): void;
  /** The alertname of the alert with this fingerprint when it fires now (a resolve is sent only for one that does, under its name). */
  firing(fingerprint: string): string | undefined;
  now(): number;
}

/** The fingerprint of the alert "peer `peer` is down / unreachable". */
export function peerFingerprint(peer: string): string {
  return `peer:${peer}`;
}

/** The fingerprint of "this region's NATS is down" (one, whatever the number of peers). */
export const NATS_FINGERPRINT = 'peer:~nats';

/** What the page says, per reason: the first words are what a person reads on a phone. */
/** `peer` is the peer's name, with its config `info` in brackets when there is one. */
const DOWN_SUMMARY: Readonly<Record<Exclude<PeerDownReason, 'local'>, (peer: string, self: string) => string>> = {
  silent: (peer, self) => `Lifeline peer ${peer} is down: its region's nats-server answers ${self}, the instance sends no heartbeat (its process or host died)`,
  unreachable: (peer, self) => `Lifeline peer ${peer} unreachable from ${self}: its region does not answer (a partition, or the region is lost); each side pages this, duplicates over loss`,
};

/**
 * Turns the cluster's peer events into alerts:
 * - peerDown silent → LifelinePeerDown "Lifeline peer B is down"; unreachable →
 *   LifelinePeerUnreachable "Lifeline peer B unreachable" (one alert per peer: a second down with
 *   another reason changes it);
 * - peerDown local → LifelineNatsDown "this region's NATS is down" (this instance knows nothing of its peers then,
 *   so it raises no alert about them);
 * - peerUp → the peer's alert resolves, and the NATS alert too (a peer heard means NATS works);
 *   natsUp → the NATS alert resolves.
 */
export class PeerAlerts {
  constructor(private readonly d: PeerAlertDeps) {}

  /** The cluster's event listener. */
  readonly handle = (e: ClusterEvent): void => {
    const now = this.d.now();
    if (e.kind === 'peerDown') {
      const reason = e.reason;
      const last = e.lastHeardMs !== undefined ? `; last heard ${new Date(e.lastHeardMs).toISOString()}` : '';
      if (reason === 'local') this.d.emit(this.natsAlert('firing', `this region's NATS is down: Lifeline ${this.d.self} cannot reach its nats-server at ${this.d.natsUrl}; it pages alone and knows nothing of its peers meanwhile`, now));
      // Its start: when the peer sent its last heartbeat, by the peer's clock, the same for every
      // survivor that heard it, so they share one episode and one page (escalation/episode.ts).
      else this.d.emit(this.peerAlert(e.peer, PEER_ALERTNAMES[reason], 'firing', `${DOWN_SUMMARY[reason](this.named(e.peer), this.d.self)}${last}`, e.lastSentMs ?? now, e.lastSentMs !== undefined));
    } else if (e.kind === 'peerUp') {
      const name = this.d.firing(peerFingerprint(e.peer));
      if (name !== undefined) this.d.emit(this.peerAlert(e.peer, name, 'resolved', `Lifeline peer ${e.peer} is heard again by ${this.d.self}`, now));
      if (this.d.firing(NATS_FINGERPRINT) !== undefined) this.d.emit(this.natsAlert('resolved', `Lifeline ${this.d.self} hears its peers again through its region's nats-server`, now));
    } else if (e.kind === 'natsUp' && this.d.firing(NATS_FINGERPRINT) !== undefined) {
      this.d.emit(this.natsAlert('resolved', `Lifeline ${this.d.self} reached its region's nats-server at ${this.d.natsUrl} again`, now));
    }
  };

  /** A peer's name as a page gives it: with what the config says about it, if anything. */
  private named(peer: string): string {
    const info = this.d.info?.get(peer);
    return info ? `${peer} (${info})` : peer;
  }

  /** "Lifeline peer B is down / unreachable" (resolved under the name it fired with). */
  private peerAlert(peer: string, alertname: string, status: 'firing' | 'resolved', summary: string, atMs: number, sharedStart = false): AlertBatch {
    const alert = alertOf(peerFingerprint(peer), status, { alertname, instance: peer, peer, cluster_instance: this.d.self, severity: 'critical' }, summary, atMs);
    return batchOf(sharedStart ? { ...alert, sharedStart: true } : alert);
  }

  /** "This region's NATS is down". */
  private natsAlert(status: 'firing' | 'resolved', summary: string, nowMs: number): AlertBatch {
    return batchOf(alertOf(NATS_FINGERPRINT, status, { alertname: PEER_ALERTNAMES.local, instance: this.d.self, cluster_instance: this.d.self, severity: 'critical' }, summary, nowMs));
  }
}

function alertOf(fingerprint: string, status: 'firing' | 'resolved', labels: Record<string, string>, summary: string, nowMs: number): Alert {
  const at = new Date(nowMs).toISOString();
  return { fingerprint, status, labels, annotations: { summary }, startsAt: status === 'firing' ? at : '', endsAt: status === 'resolved' ? at : '', generatorURL: '' };
}

function batchOf(alert: Alert): AlertBatch {
  return { source: 'peer', groupKey: alert.fingerprint, status: alert.status, commonLabels: alert.labels, truncatedAlerts: 0, alerts: [alert] };
}
