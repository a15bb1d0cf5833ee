import { emailDestination } from '../notifiers/email.js';
import { smsDestination } from '../notifiers/sms.js';
import { voiceDestination } from '../notifiers/voice.js';
import type { Person } from '../people/oncall.js';
import { NOTICE_STEPS, type PagingChannel } from '../store/incidents.js';

/**
 * The ways escalation can page a person, out of band from IRC (the type lives with the page rows
 * that store it). IRC is not one of them: it is the path the monitoring-path rule watches, and its
 * delivery failures must never trip the failover between these channels.
 */
export type { PagingChannel };
export { NOTICE_STEPS };

/** What escalation knows about one paging channel. */
export interface PagingChannelSpec {
  readonly channel: PagingChannel;
  /** The outbox destination that reaches a person on this channel, if they can be reached on it. */
  destination(person: Person): string | undefined;
  /** The channel pages move to when this one keeps failing. */
  readonly fallback: PagingChannel;
}

/** The registry: one entry per paging channel (voice joins here later). */
export const PAGING_CHANNELS: Readonly<Record<PagingChannel, PagingChannelSpec>> = Object.freeze({
  email: { channel: 'email', fallback: 'sms', destination: (p: Person) => (p.email ? emailDestination(p.email) : undefined) },
  sms: { channel: 'sms', fallback: 'email', destination: (p: Person) => (p.phone ? smsDestination(p.phone) : undefined) },
  // A call that cannot be placed (or keeps failing) becomes an SMS to the same phone.
  voice: { channel: 'voice', fallback: 'sms', destination: (p: Person) => (p.phone ? voiceDestination(p.phone) : undefined) },
});

/** The paging channel an outbox destination belongs to; undefined for IRC, console and the rest. */
export function pagingChannelOf(destination: string): PagingChannel | undefined {
  if (destination.startsWith('email:')) return 'email';
  if (destination.startsWith('sms:')) return 'sms';
  if (destination.startsWith('voice:')) return 'voice';
  return undefined;
}
