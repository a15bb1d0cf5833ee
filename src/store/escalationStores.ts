import type { Db } from './db.js';
import { EpisodeAckStore } from './episodeAcks.js';
import { IncidentStore } from './incidents.js';
import { SmsFailingStore } from './smsFailing.js';
import { SmsMessageStore } from './smsMessages.js';

/** Runs `fn` in one database transaction (nested: a savepoint) and returns its result. */
export type Atomic = <T>(fn: () => T) => T;

/** The stores escalation keeps its state in, and their transaction, over one database. */
export interface EscalationStores {
  incidents: IncidentStore;
  /** Delivery receipts of SMS (with sms.status_url). */
  receipts: SmsMessageStore;
  /** People whose last SMS did not reach them: their SMS pages go by the fallback until one does. */
  smsFailing: SmsFailingStore;
  /** Acks of episodes, this instance's and its cluster peers' (migration 16). */
  episodeAcks: EpisodeAckStore;
  atomic: Atomic;
}

/** Escalation's stores over `db`. */
export function escalationStores(db: Db): EscalationStores {
  return { incidents: new IncidentStore(db), receipts: new SmsMessageStore(db), smsFailing: new SmsFailingStore(db), episodeAcks: new EpisodeAckStore(db), atomic: (fn) => db.transaction(fn)() };
}
