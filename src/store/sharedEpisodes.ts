import type { Db } from './db.js';

/** One instance's open episode of an identity (migration 19). */
export interface SharedEpisodeRow {
  readonly instance: string;
  readonly identity: string;
  readonly episode: string;
  /** When it was opened (or moved to), as a hybrid logical clock text (cluster/hlc.ts formatHlc: sorts as it compares). */
  readonly hlc: string;
}

/**
 * The shared_episodes table (migration 19): the open episode every instance (this one and its
 * peers) gave each incident of Lifeline's own that the instances agree on (escalation/episodeAgreement.ts).
 */
export class SharedEpisodeStore {
  private readonly putStmt;
  private readonly dropStmt;
  private readonly ofStmt;
  private readonly identityStmt;
  private readonly anyStmt;

  constructor(db: Db) {
    // A later message of the same instance replaces the earlier (moved to another episode); an older one arriving late does not.
    this.putStmt = db.prepare<[SharedEpisodeRow]>(
      `INSERT INTO shared_episodes (instance, identity, episode, hlc) VALUES (@instance, @identity, @episode, @hlc)
       ON CONFLICT (instance, identity) DO UPDATE SET episode = excluded.episode, hlc = excluded.hlc WHERE excluded.hlc > shared_episodes.hlc`,
    );
    this.dropStmt = db.prepare<[string, string, string]>('DELETE FROM shared_episodes WHERE instance = ? AND identity = ? AND episode = ?');
    this.ofStmt = db.prepare<[string], SharedEpisodeRow>('SELECT instance, identity, episode, hlc FROM shared_episodes WHERE identity = ? ORDER BY hlc');
    this.identityStmt = db.prepare<[string, string], { identity: string }>('SELECT identity FROM shared_episodes WHERE instance = ? AND episode = ?');
    this.anyStmt = db.prepare<[string], { identity: string }>('SELECT identity FROM shared_episodes WHERE episode = ? LIMIT 1');
  }

  /** Records that `instance` has `episode` open for `identity` (replacing its earlier one). */
  put(r: SharedEpisodeRow): void {
    this.putStmt.run(r);
  }

  /** `instance`'s episode of `identity` resolved there (a row of another episode stays: the instance moved on). */
  drop(instance: string, identity: string, episode: string): void {
    this.dropStmt.run(instance, identity, episode);
  }

  /** Every instance's open episode of `identity`, earliest first. */
  of(identity: string): SharedEpisodeRow[] {
    return this.ofStmt.all(identity);
  }

  /** The identity any instance has `episode` open for, if any. */
  identityOfAny(episode: string): string | undefined {
    return this.anyStmt.get(episode)?.identity;
  }

  /** The identity `instance` has `episode` open for, if any. */
  identityOf(instance: string, episode: string): string | undefined {
    return this.identityStmt.get(instance, episode)?.identity;
  }
}
