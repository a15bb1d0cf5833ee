import type { Db } from './db.js';

/** The acknowledgement of an episode that holds on every instance (see EpisodeAckStore). */
export interface EpisodeAck {
  readonly episode: string;
  readonly by: string;
  /** The instance it was made on. */
  readonly instance: string;
  /** Its hybrid logical clock timestamp as text (cluster/hlc.ts formatHlc: sorts as it compares). */
  readonly hlc: string;
}

/** What an operator did to an episode: acknowledged it, or took an acknowledgement back (`!unack`). */
export type EpisodeActionKind = 'ack' | 'unack';

/** One operator action on an episode, made on some instance at some hybrid logical clock time. */
export interface EpisodeAction extends EpisodeAck {
  readonly kind: EpisodeActionKind;
}

/**
 * The episode_actions table (migration 18): every ack and unack of every episode, this instance's
 * and its peers'. The set only grows (an action is stored once, by its episode and timestamp), so
 * every instance that has seen the same actions, in whatever order, draws the same state from it:
 *
 * - the latest action by hybrid logical clock wins (two timestamps never tie: the instance name is
 *   part of each): the episode is acknowledged when it is an ack, open when it is an unack. An unack
 *   that arrives after a newer ack is older than it and undoes nothing (an ack is never undone by a
 *   merge); an unack made after the ack (its instance had the ack, or its clock is later) reopens it.
 * - the ack that is shown ("by") is the earliest ack after the latest unack, so two people who
 *   acknowledged during a partition see the same name on both sides after the heal.
 */
export class EpisodeAckStore {
  private readonly holdsStmt;
  private readonly putStmt;

  constructor(db: Db) {
    // Text timestamps sort as they compare (formatHlc); '' sorts before every one.
    this.holdsStmt = db.prepare<[{ episode: string }], EpisodeAck>(
      `SELECT episode, by, instance, hlc FROM episode_actions
        WHERE episode = @episode AND kind = 'ack'
          AND hlc > COALESCE((SELECT MAX(hlc) FROM episode_actions WHERE episode = @episode AND kind = 'unack'), '')
        ORDER BY hlc LIMIT 1`,
    );
    this.putStmt = db.prepare<[{ episode: string; kind: EpisodeActionKind; by: string; instance: string; hlc: string; at: number }]>(
      'INSERT OR IGNORE INTO episode_actions (episode, hlc, kind, by, instance, at_ms) VALUES (@episode, @hlc, @kind, @by, @instance, @at)',
    );
  }

  /** The ack that holds for an episode, if it is acknowledged (its latest action is an ack). */
  get(episode: string): EpisodeAck | undefined {
    return this.holdsStmt.get({ episode });
  }

  /** Takes in an action (a repeat is ignored); returns the ack that holds now, undefined when the episode is not acknowledged. */
  put(a: EpisodeAction, nowMs: number): EpisodeAck | undefined {
    this.putStmt.run({ episode: a.episode, kind: a.kind, by: a.by, instance: a.instance, hlc: a.hlc, at: nowMs });
    return this.get(a.episode);
  }
}
