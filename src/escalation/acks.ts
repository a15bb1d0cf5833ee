import type { LabelSet } from '../alerts/labels.js';
import type { Incident } from '../store/incidents.js';
import type { EscalationContext } from './context.js';
import { groupFingerprint } from './incidents.js';

/** Result of an acknowledgement command. */
export type AckResult = { ok: true; incident: Incident } | { ok: false; reason: string };

/**
 * What people and mutes do to incidents: acknowledge (one, or a group), take an acknowledgement
 * back, find the ack code an alert's line carries, hold and release incidents under silences and
 * maintenance windows. `kick` runs escalation when a change makes work due.
 */
export class Acks {
  constructor(
    private readonly d: EscalationContext,
    private readonly kick: () => void,
  ) {}

  /**
   * For a batch: a function giving the ack code of the open incident an alert belongs to (its
   * own, else its group's), if any. Two queries for the whole batch.
   */
  ackCodesFor(fingerprints: readonly string[], groupKey: string): (fingerprint: string) => string | undefined {
    const own = this.d.incidents.liveAlerts(fingerprints);
    const group = this.d.incidents.live('alert', groupFingerprint(groupKey))?.ackCode;
    return (fp) => own.get(fp)?.ackCode ?? group;
  }

  /**
   * The incident a code names: the one holding it, else one that has it as an alias (its episode's
   * code on the cluster's other instances, when a local collision gave it another code here).
   * When an answerable incident holds the code and another has it as an alias, the code is
   * ambiguous here and names neither: the reply lists both incidents' own codes.
   */
  private byCode(code: string): { inc?: Incident; reason?: string } {
    const own = this.d.incidents.byCode(code);
    const aliased = this.d.incidents.aliasHolders(code).filter((i) => i.id !== own?.id && i.state !== 'resolved');
    if (own && own.state !== 'resolved' && aliased.length > 0) {
      const all = [own, ...aliased].map((i) => `${i.ackCode} (${i.title})`).join(', ');
      return { reason: `${code.toUpperCase()} names more than one incident here: ${all}; use one of these codes` };
    }
    const inc = own && own.state !== 'resolved' ? own : (aliased[0] ?? own);
    return inc ? { inc } : { reason: `no incident with id ${code.toUpperCase()}` };
  }

  /** Acknowledges by code; stops escalation (until `ack_timeout`, when set); in a cluster, told to the peers. */
  ack(code: string, by: string): AckResult {
    return this.d.atomic((): AckResult => {
      const { inc, reason } = this.byCode(code);
      if (!inc) return { ok: false, reason: reason ?? 'no incident' };
      if (inc.state === 'resolved') return { ok: false, reason: `${inc.ackCode} is already resolved` };
      if (inc.state === 'acked') return { ok: false, reason: `${inc.ackCode} was already acknowledged by ${inc.ackedBy ?? 'someone'}` };
      const episode = this.winningEpisode(inc);
      this.ackIncident(inc, by);
      this.record('ack', episode, by);
      // Read again: a move to the winning episode gave it that episode's code.
      const acked = this.d.incidents.get(inc.id) as Incident;
      this.d.log.info({ event: 'incident_acked', incident: inc.id, code: acked.ackCode, by }, 'incident acknowledged');
      return { ok: true, incident: acked };
    });
  }

  /**
   * The episode an ack or unack of `inc` is recorded under: an agreed episode first moves to the one
   * that wins (as at claim time), so the action reaches the peers' incident of the event (an unack
   * recorded under this instance's own episode would let the next claim-time move find the peer's
   * ack standing and acknowledge the incident again). Null: a local incident.
   */
  private winningEpisode(inc: Incident): string | null {
    return this.d.agreement?.canonical(inc.id, this.d.clock.now(), () => undefined) ?? inc.episode;
  }

  /** An ack or unack made here, of a shared episode: told to the peers and merged with theirs (store/episodeAcks.ts). */
  private record(kind: 'ack' | 'unack', episode: string | null, by: string): void {
    if (episode === null || !this.d.gate) return;
    const stamp = kind === 'ack' ? this.d.gate.acked(episode, by) : this.d.gate.unacked(episode, by);
    this.d.episodeAcks.put({ kind, episode, by, ...stamp }, this.d.clock.now());
  }

  private ackIncident(inc: Incident, by: string): void {
    const now = this.d.clock.now();
    const t = this.d.config.escalation.ack_timeout;
    this.d.incidents.ack(inc.id, by, now, t > 0 ? now + t : null);
    this.d.incidents.dropUnsent(inc.id);
  }

  /**
   * A peer's ack of an episode (runs in the transaction that applies the peer's message), merged
   * with every other ack and unack of the episode (store/episodeAcks.ts): the latest action by
   * hybrid logical clock decides, and the earliest ack since the latest unack is the one named on
   * every instance. An ack is never undone by a merge: an acked incident stays acked whatever
   * older action arrives. The local incident of the episode (or of the same event under another
   * agreed episode, episodeAgreement.ts sameEvent), if open, is acknowledged and its escalation
   * stops; one not open here yet is acknowledged when it opens (openedEpisode). An ack older than
   * an unack already here changes nothing.
   */
  applyPeerAck(episode: string, by: string, instance: string, hlc: string): void {
    const holds = this.d.episodeAcks.put({ kind: 'ack', episode, by, instance, hlc }, this.d.clock.now());
    const inc = this.d.incidents.byEpisode(episode) ?? this.d.agreement?.sameEvent(episode);
    if (!holds || !inc || inc.state === 'resolved') return;
    const who = this.byText(holds);
    if (inc.state === 'acked') {
      // Acked here too, or by another peer: whichever ack is earliest is named everywhere.
      if (inc.ackedBy !== who) this.d.incidents.setAckedBy(inc.id, who);
      return;
    }
    this.ackIncident(inc, who);
    this.d.log.info({ event: 'incident_acked', incident: inc.id, code: inc.ackCode, by: holds.by, peer: instance }, `incident acknowledged on peer ${instance}`);
    queueMicrotask(() => this.kick());
  }

  /**
   * A peer's unack of an episode (in the transaction applying the message), merged as acks are:
   * when it is the latest action on the episode, the local incident, if acked, is opened again and
   * its escalation resumes at once, as a local `!unack` does; an unack older than an ack here
   * (made before it, arriving late after a partition) undoes nothing.
   */
  applyPeerUnack(episode: string, by: string, instance: string, hlc: string): void {
    const holds = this.d.episodeAcks.put({ kind: 'unack', episode, by, instance, hlc }, this.d.clock.now());
    // As for an ack: the incident of the same event held here under another agreed episode is the one taken back.
    const inc = this.d.incidents.byEpisode(episode) ?? this.d.agreement?.sameEvent(episode);
    if (!inc || inc.state !== 'acked') return;
    if (holds) {
      // An older unack: the ack stands; a newer ack may be the one named now.
      const who = this.byText(holds);
      if (inc.ackedBy !== who) this.d.incidents.setAckedBy(inc.id, who);
      return;
    }
    this.d.incidents.unack(inc.id, this.d.clock.now());
    this.d.log.info({ event: 'incident_unacked', incident: inc.id, code: inc.ackCode, by, peer: instance }, `acknowledgement taken back on peer ${instance}`);
    queueMicrotask(() => this.kick());
  }

  /** Who acknowledged, as the incident shows it: a person, and the instance when it was another. */
  private byText(a: { by: string; instance: string }): string {
    return a.instance === this.d.gate?.self ? a.by : `${a.by} (on ${a.instance})`;
  }

  /** An incident of an episode opened here: acknowledged at once when a peer acknowledged the episode before. */
  openedEpisode(inc: Incident): boolean {
    if (inc.episode === null) return false;
    const a = this.d.episodeAcks.get(inc.episode);
    if (!a) return false;
    this.ackIncident(inc, this.byText(a));
    this.d.log.info({ event: 'incident_acked', incident: inc.id, code: inc.ackCode, by: a.by, peer: a.instance }, `incident acknowledged on peer ${a.instance} before it opened here`);
    return true;
  }

  /**
   * Acknowledges every open incident opened by the same group notification as the incident with
   * this code (an Alertmanager group of five alerts opens five incidents: "!ack CODE+" takes all).
   */
  ackGroup(code: string, by: string): { ok: true; incidents: Incident[] } | { ok: false; reason: string } {
    const { inc, reason } = this.byCode(code);
    if (!inc) return { ok: false, reason: reason ?? `no incident with id ${code.toUpperCase()}` };
    const members = inc.groupKey === null ? [inc] : this.d.incidents.unresolvedInGroup(inc.groupKey);
    const acked: Incident[] = [];
    for (const m of members) {
      if (m.state !== 'open') continue;
      const r = this.ack(m.ackCode, by);
      if (r.ok) acked.push(r.incident);
    }
    if (acked.length === 0) return { ok: false, reason: `${inc.ackCode}'s group has no open incident left (${inc.state === 'resolved' ? 'resolved' : 'acknowledged'})` };
    return { ok: true, incidents: acked };
  }

  /** Takes an acknowledgement back; escalation resumes at once; in a cluster, told to the peers (they reopen it too). */
  unack(code: string, by: string): AckResult {
    const r = this.d.atomic((): AckResult => {
      const { inc, reason } = this.byCode(code);
      if (!inc) return { ok: false, reason: reason ?? `no incident with id ${code.toUpperCase()}` };
      if (inc.state !== 'acked') return { ok: false, reason: `${inc.ackCode} is not acknowledged` };
      const episode = this.winningEpisode(inc);
      this.d.incidents.unack(inc.id, this.d.clock.now());
      this.record('unack', episode, by);
      const reopened = this.d.incidents.get(inc.id) as Incident;
      this.d.log.info({ event: 'incident_unacked', incident: inc.id, code: reopened.ackCode, by }, 'acknowledgement taken back');
      return { ok: true, incident: reopened };
    });
    if (r.ok) this.kick();
    return r;
  }

  /**
   * Applies what is muted now (silences, maintenance windows) to the incidents already open: an
   * incident whose alert labels are muted is held (no step runs, no page goes, pages waiting in a
   * bundle window wait on), and one no longer muted is released, its remaining steps moved later
   * by the time it was held. Returns what changed, for the operator's reply and the log.
   */
  applyMutes(muted: (labels: LabelSet) => boolean, nowMs: number): { held: Incident[]; released: Incident[] } {
    const out = { held: [] as Incident[], released: [] as Incident[] };
    this.d.atomic(() => {
      for (const inc of this.d.incidents.unresolvedAlerts()) {
        const m = muted(inc.labels);
        if (m && inc.heldSinceMs === null) {
          this.d.incidents.hold(inc.id, nowMs);
          out.held.push(inc);
        } else if (!m && inc.heldSinceMs !== null) {
          this.d.incidents.release(inc.id, nowMs);
          out.released.push(inc);
        }
      }
    });
    for (const i of out.held) this.d.log.info({ event: 'incident_held', incident: i.id, code: i.ackCode }, `${i.ackCode} held: a silence or maintenance window matches it`);
    for (const i of out.released) this.d.log.info({ event: 'incident_released', incident: i.id, code: i.ackCode, held_ms: nowMs - (i.heldSinceMs ?? nowMs) }, `${i.ackCode} released: escalation resumes where it was held`);
    if (out.released.length > 0) this.kick();
    return out;
  }
}
