import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { OnCallSchedule } from '../people/oncall.js';
import type { EscalationStores } from '../store/escalationStores.js';
import type { Outbox } from '../store/outbox.js';
import type { Clock } from '../util/clock.js';
import type { ChannelSet } from './channels/registry.js';
import type { EpisodeAgreement, EpisodeBoard } from './episodeAgreement.js';
import type { ChannelHealth } from './health.js';
import type { PathMonitor } from './pathMonitor.js';
import type { Policy } from './policies.js';

/** What the escalation engine needs (the app's part; store/escalationStores.ts gives the stores). */
export interface EngineDeps extends EscalationStores {
  config: Config;
  outbox: Outbox;
  schedule: OnCallSchedule;
  clock: Clock;
  log: Logger;
  health: ChannelHealth;
  /** Wakes the dispatcher for a destination. */
  poke(destination: string): void;
  /** The in-band path the monitoring-path rule watches (IRC); none: the rule is off. */
  path?: PathMonitor;
  /**
   * An IRC path outage that paged people ended: queue the channel's summary of it (inside the
   * engine's transaction) and say what happened meanwhile, for the "restored" note.
   */
  pathOutageEnded(o: { incident: string; fromMs: number; toMs: number }): { fired: number; resolved: number; firingNow: number };
  /** Called before each pass over due steps: notices a wall-clock step and rebases stored times. */
  checkClock?(): void;
  /**
   * Why paging waits now, or undefined: in a cluster, an instance starting or rejoining pages only
   * once it has caught up with its peers (cluster/node.ts unsettledReason, bounded by settle_timeout).
   */
  pagingHeld?(): string | undefined;
  /** The cluster's say over pages and acks (escalation/clusterPaging.ts); none: this instance alone, as without a cluster. */
  gate?: PageGate;
  /**
   * The episodes of Lifeline's own incidents that the instances agree on (the IRC path down, a
   * redundancy group, a shared cause: escalation/episodeAgreement.ts); with `gate` only.
   */
  episodes?: EpisodeBoard;
}

/** What a gate says about one page of an episode shared with peers. */
export type GateVerdict =
  /** Claimed for this instance: send it. */
  | { readonly kind: 'send' }
  /** Peer `by` sent it: record it so, send nothing. */
  | { readonly kind: 'peer'; readonly by: string }
  /** A peer's claim on it is live until `untilMs`: ask again then (it lapses unless the peer sends). */
  | { readonly kind: 'wait'; readonly untilMs: number };

/**
 * One page per event across Lifeline instances (issue 23): the paging core asks it before a page of
 * an episode shared with peers goes, tells it when the page went, and tells it of acks made here.
 */
export interface PageGate {
  /** This instance's name in the cluster. */
  readonly self: string;
  /** The wait before a due page may go: this instance's position among live instances × peer_timeout (0 at position 0). */
  delayMs(): number;
  /** Claims page `key` of `episode` for this instance (recorded, and told to the peers), or says who stands in the way. */
  claim(episode: string, key: string): GateVerdict;
  /**
   * How often the claims of pages queued here but not delivered yet are renewed: a page stuck
   * behind a slow SMTP server is not taken over by a peer while this instance lives (its claim
   * lapses only when it stops renewing: dead, or cut off).
   */
  readonly renewEveryMs: number;
  /**
   * Renews this instance's claim on page `key` of `episode` (still queued here); false when a peer
   * has sent that page meanwhile (it took it over while this instance was cut off): this copy must not go.
   */
  renew(episode: string, key: string): boolean;
  /** Page `key` of `episode` went out (its notifier accepted it) carrying ack code `code`: marked sent, told to the peers. */
  sent(episode: string, key: string, channel: string, code: string): void;
  /** An ack made here, told to the peers inside the ack's transaction; returns its timestamp as text (sorts as it compares). */
  acked(episode: string, by: string): { instance: string; hlc: string };
  /** An unack (`!unack`) made here, told to the peers inside its transaction; returns its timestamp as `acked` does. */
  unacked(episode: string, by: string): { instance: string; hlc: string };
}

/** What every part of escalation shares: the deps, the configured channels and the policies. */
export interface EscalationContext extends EngineDeps {
  channels: ChannelSet;
  policies: readonly Policy[];
  /** Over `episodes`: chooses agreed episodes at open and at claim time; none without a cluster. */
  agreement: EpisodeAgreement | undefined;
}
