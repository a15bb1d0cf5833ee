import type { Db } from './db.js';

/** The acknowledgement of an episode that holds on every instance (the earliest by hybrid logical clock). */
export interface EpisodeAck {
  readonly episode: string;
  readonly by: string;
  /** The instance it was made on. */
  readonly instance: string;
  /** Its hybrid logical clock timestamp as text (cluster/hlc.ts formatHlc: sorts as it compares). */
  readonly hlc: string;
}

/** The episode_acks table (migration 16): acks of episodes, this instance's and its peers'. */
export class EpisodeAckStore {
  private readonly getStmt;
  private readonly putStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string], EpisodeAck>('SELECT episode, by, instance, hlc FROM episode_acks WHERE episode = ?');
    // The earliest ack wins: a later one never replaces it, so every instance ends with the same.
    this.putStmt = db.prepare<[{ episode: string; by: string; instance: string; hlc: string; at: number }]>(
      `INSERT INTO episode_acks (episode, by, instance, hlc, at_ms) VALUES (@episode, @by, @instance, @hlc, @at)
       ON CONFLICT (episode) DO UPDATE SET by = excluded.by, instance = excluded.instance, hlc = excluded.hlc WHERE excluded.hlc < episode_acks.hlc`,
    );
  }

  /** The ack that holds for an episode, if any. */
  get(episode: string): EpisodeAck | undefined {
    return this.getStmt.get(episode);
  }

  /** Takes in an ack; returns the one that holds now (this one when it is the earliest). */
  put(a: EpisodeAck, nowMs: number): EpisodeAck {
    this.putStmt.run({ ...a, at: nowMs });
    return this.get(a.episode) ?? a;
  }
}
