import type { Db } from './db.js';

/**
 * People SMS is failing for (store/migrations.ts v11): set when an SMS to them was undelivered,
 * failed or got no receipt in time, cleared when one is delivered. Kept in the store so a restart
 * (or a SIGKILL) does not send the next page into the SMS that just failed.
 */
export class SmsFailingStore {
  private readonly put;
  private readonly del;
  private readonly get;
  constructor(db: Db) {
    this.put = db.prepare('INSERT INTO sms_failing (person, since_ms) VALUES (?, ?) ON CONFLICT (person) DO NOTHING');
    this.del = db.prepare('DELETE FROM sms_failing WHERE person = ?');
    this.get = db.prepare<[string], { since_ms: number }>('SELECT since_ms FROM sms_failing WHERE person = ?');
  }

  /** Records that SMS did not reach `person` (the first failure's time is kept). */
  add(person: string, nowMs: number): void {
    this.put.run(person, nowMs);
  }

  /** SMS reached `person` again; true when it had been failing. */
  delete(person: string): boolean {
    return this.del.run(person).changes > 0;
  }

  /** Whether SMS is failing for `person`. */
  has(person: string): boolean {
    return this.get.get(person) !== undefined;
  }
}
