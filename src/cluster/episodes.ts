import type { EpisodeBoard, OpenEpisode } from '../escalation/episodeAgreement.js';
import type { SharedEpisodeStore } from '../store/sharedEpisodes.js';
import { formatHlc, type HlcTimestamp } from './hlc.js';
import type { BodyOf } from './messages.js';

/** What the board needs of the cluster node (cluster/node.ts ClusterNode has it). */
export interface EpisodeBoardNode {
  /** Records a message for the peers (inside the caller's transaction) with its timestamp. */
  record(body: BodyOf<'incident'>, key: string | undefined, hlc: HlcTimestamp): string;
  readonly hlc: { now(): HlcTimestamp };
  /** A peer's liveness now ('up', 'down', 'unknown': not heard yet since the start). */
  peerState(peer: string): string;
  readonly claims: { touched(incident: string): boolean };
}

/**
 * The open episodes of every instance, per identity (escalation/episodeAgreement.ts), over the
 * shared_episodes table: this instance's, recorded when it opens, moves or resolves an agreed
 * incident and published as an `incident` message; its peers', from their messages (applyPeer).
 * Kept across restarts, so an instance back from one still knows its peers' open episodes (and
 * settling reads what it missed). Only peers not down count (one not heard yet since the start
 * counts, as for paging positions): a dead peer's episode is not adopted.
 */
export class ClusterEpisodeBoard implements EpisodeBoard {
  constructor(
    readonly self: string,
    private readonly store: SharedEpisodeStore,
    private readonly node: EpisodeBoardNode,
  ) {}

  open(identity: string): readonly OpenEpisode[] {
    return this.store.of(identity).filter((r) => r.instance === this.self || this.node.peerState(r.instance) !== 'down');
  }

  identityOf(episode: string): string | undefined {
    return this.store.identityOf(this.self, episode);
  }

  opened(identity: string, episode: string): void {
    this.publish(identity, episode, 'open');
  }

  resolved(identity: string, episode: string): void {
    this.publish(identity, episode, 'resolved');
  }

  paged(episode: string): boolean {
    return this.node.claims.touched(episode);
  }

  eventOf(episode: string): string | undefined {
    return this.store.identityOfAny(episode);
  }

  /** A peer's `incident` message (in the transaction that applies it). */
  applyPeer(from: string, body: BodyOf<'incident'>, hlc: HlcTimestamp): void {
    if (from === this.self) return;
    if (body.state === 'open') this.store.put({ instance: from, identity: body.identity, episode: body.episode, hlc: formatHlc(hlc) });
    else this.store.drop(from, body.identity, body.episode);
  }

  private publish(identity: string, episode: string, state: 'open' | 'resolved'): void {
    const hlc = this.node.hlc.now();
    if (state === 'open') this.store.put({ instance: this.self, identity, episode, hlc: formatHlc(hlc) });
    else this.store.drop(this.self, identity, episode);
    this.node.record({ kind: 'incident', identity, episode, state }, `incident:${state}:${episode}:${formatHlc(hlc)}`, hlc);
  }
}
