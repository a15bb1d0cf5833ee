import type { Incident, IncidentStore } from '../store/incidents.js';
import type { Logger } from '../observability/logger.js';
import { boundedEpisode } from './episode.js';

/*
 * Episodes of Lifeline's own incidents whose start each instance sees at its own time (issue 23):
 * the IRC path down (the bouncer died: every instance sees it, each at its own moment), a
 * redundancy group, an inferred shared cause. No text derived from the event alone is the same on
 * every instance, so the instances agree on one, as Alertmanager HA's instances agree through
 * their notification log: each publishes the episode it opened; one opening later adopts a live
 * peer's; and when two opened at once (the bouncer dies under both), at claim time, after the
 * position wait, each moves to the earliest. Position 1 then finds position 0's claim or sent on
 * that episode and does not send: one page for the event, and an ack on either holds on both.
 */

/** What the instances agree an episode for: an incident of Lifeline's own, by what it is about. */
export type AgreedIdentity =
  /** The monitoring-path incident of a path (PathMonitor.name, "IRC alert path"). */
  | { readonly kind: 'path'; readonly path: string }
  /** An alert incident of Lifeline's own alert (its fingerprint, "redundancy:vpn", "probe:~10.0.0.1"). */
  | { readonly kind: 'alert'; readonly fingerprint: string };

/** An identity as the text every instance gives it (the key peers keep episodes by). */
export function identityText(i: AgreedIdentity): string {
  return i.kind === 'path' ? `path:${i.path}` : `alert:${i.fingerprint}`;
}

/** One instance's open episode of an identity. */
export interface OpenEpisode {
  readonly instance: string;
  readonly episode: string;
  /** When the instance opened it (or moved to it): hybrid logical clock text, which sorts as it compares (ties: instance name). */
  readonly hlc: string;
}

/**
 * What the agreement needs of the cluster (cluster/episodes.ts ClusterEpisodeBoard has it): stated
 * here so that escalation never loads src/cluster.
 */
export interface EpisodeBoard {
  /** This instance's name in the cluster. */
  readonly self: string;
  /** The open episodes of `identity`: this instance's and those of the peers live now. */
  open(identity: string): readonly OpenEpisode[];
  /** The identity this instance has `episode` open for; undefined when the episode is not an agreed one (or resolved). */
  identityOf(episode: string): string | undefined;
  /** This instance opened `episode` for `identity`, or moved its incident to it: recorded and told to the peers (inside the caller's transaction). */
  opened(identity: string, episode: string): void;
  /** This instance's incident of `episode` resolved: recorded and told to the peers (inside the caller's transaction). */
  resolved(identity: string, episode: string): void;
  /** Whether any instance claimed or sent a page of `episode`. */
  paged(episode: string): boolean;
  /** The identity some instance (this one or a peer) has `episode` open for, if any. */
  eventOf(episode: string): string | undefined;
}

/**
 * The one place the instances' episodes of an agreed incident are chosen: at open, and at claim
 * time. The order that decides, the same on every instance that knows the same: an episode some
 * instance already claimed or sent a page of first (position 0 claims without waiting; a peer's
 * earlier open that had not arrived yet must not make position 1 page again), then the earliest
 * opened by hybrid logical clock, ties by instance name.
 */
export class EpisodeAgreement {
  constructor(
    private readonly board: EpisodeBoard,
    private readonly incidents: IncidentStore,
    private readonly log: Logger,
  ) {}

  /**
   * The episode of an incident of `id` opening now (at `openedMs`): the first of the live peers'
   * open episodes (adopted: the same text, so the same ack code), else a new one
   * "<identity>@<openedMs>~<self>". Tell the board with `opened` once the incident is open.
   */
  choose(id: AgreedIdentity, openedMs: number): string {
    const key = identityText(id);
    const peers = this.board.open(key).filter((e) => e.instance !== this.board.self);
    return this.first(peers)?.episode ?? boundedEpisode(`${key}@${openedMs}~${this.board.self}`);
  }

  /** An incident of `id` opened here with `episode` (from choose): the peers learn it. */
  opened(id: AgreedIdentity, episode: string): void {
    this.board.opened(identityText(id), episode);
  }

  /** An incident resolved here: when its episode is an agreed one, the peers learn it. */
  resolved(inc: Incident): void {
    if (inc.episode === null) return;
    const key = this.board.identityOf(inc.episode);
    if (key !== undefined) this.board.resolved(key, inc.episode);
  }

  /**
   * At claim time (after the position wait): the episode a page of incident `incidentId` is
   * claimed under. An agreed incident whose episode is not the first of its identity moves to the
   * first (store/incidents.ts moveEpisode: the new ack code, the old one kept as an alias) and
   * the peers learn it; `moved` is then called with the moved incident (an ack of its new
   * episode made on a peer holds here at once). Other incidents keep theirs.
   */
  canonical(incidentId: number, nowMs: number, moved: (inc: Incident) => void): string | undefined {
    const inc = this.incidents.get(incidentId);
    if (!inc || inc.episode === null) return undefined;
    const key = inc.state === 'resolved' ? undefined : this.board.identityOf(inc.episode);
    if (key === undefined) return inc.episode;
    const first = this.first(this.board.open(key));
    if (!first || first.episode === inc.episode) return inc.episode;
    const now = this.incidents.moveEpisode(inc.id, first.episode, nowMs);
    if (!now) return inc.episode;
    this.board.opened(key, first.episode);
    this.log.info(
      { event: 'incident_episode_moved', incident: inc.id, code: now.ackCode, alias: inc.ackCode, from: inc.episode, to: first.episode, peer: first.instance },
      `${inc.ackCode} is the same event as ${first.instance}'s, opened earlier: now ${now.ackCode} (${inc.ackCode} still answers here)`,
    );
    moved(now);
    return first.episode;
  }

  /**
   * The open incident here of the same event as a peer's `episode` (the same identity), when this
   * instance has it under another episode (both opened it during a partition, or the peer's ack
   * came before this instance moved at claim time): an ack of the peer's episode holds on it.
   */
  sameEvent(episode: string): Incident | undefined {
    const key = this.board.eventOf(episode);
    const own = key === undefined ? undefined : this.board.open(key).find((e) => e.instance === this.board.self);
    const inc = own ? this.incidents.byEpisode(own.episode) : undefined;
    return inc && inc.state !== 'resolved' ? inc : undefined;
  }

  /** The episode that wins among `list` (see the class comment). */
  private first(list: readonly OpenEpisode[]): OpenEpisode | undefined {
    const paged = list.filter((e) => this.board.paged(e.episode));
    return [...(paged.length > 0 ? paged : list)].sort((a, b) => (a.hlc < b.hlc ? -1 : a.hlc > b.hlc ? 1 : a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0))[0];
  }
}
