import type { PagingChannelKind } from '../../alerts/pages.js';
import type { Config } from '../../config/schema.js';
import type { Person } from '../../people/oncall.js';
import type { Incident } from '../../store/incidents.js';
import type { PageText } from '../pageText.js';

/** The config sections paging channels read (each its own). */
export type ChannelConfig = Pick<Config, 'email' | 'sms' | 'voice'>;

/** Counts page messages sent to a destination (from the outbox, so budgets survive restarts). */
export interface SentCounter {
  countSentSince(destination: string, sinceMs: number): number;
}

/** What a channel may use to put several pages into one message. */
export interface BundleContext {
  /** The incidents the pages are about, one each. */
  incidents: readonly Incident[];
  nowMs: number;
}

/**
 * One way escalation pages a person, out of band from IRC, as healthchecks' transports are: what
 * differs between channels (how a person is reached, where pages go when it fails or is over its
 * budget, how several pages become one message) lives here, never in `if kind ==` checks
 * elsewhere. IRC is not one: it is the path the monitoring-path rule watches, and its delivery
 * failures must never trip the failover between these channels.
 */
export interface PagingChannel {
  readonly kind: PagingChannelKind;
  /** Whether the config sets the channel up (its section is there). */
  configured(config: ChannelConfig): boolean;
  /** The outbox destination that reaches a person on this channel, if they can be reached on it. */
  destination(person: Person): string | undefined;
  /** Whether an outbox destination is this channel's. */
  owns(destination: string): boolean;
  /** The channel pages move to when this one keeps failing. */
  readonly fallback: PagingChannelKind;
  /** Whether it carries text: the path-down page, out-of-band pages and fault reports use written channels only. */
  readonly written: boolean;
  /** The channel that tells a person paged here that all is well (resolved, restored, lowered). */
  readonly noticesVia: PagingChannelKind;
  /** Whether delivery receipts say per person that it does not reach them (their pages then go by the fallback). */
  readonly receipts: boolean;
  /** Where the pages of a message that did not reach the phone go again, in order (only written ones for notices). */
  readonly undeliveredGoesBy: readonly PagingChannelKind[];
  /** Its step in the default policy (no policies configured), if it has one. */
  readonly defaultStep?: { afterMs: number; repeat?: { every: number; max: number } };
  /** Whether the person's budget on this channel is used up. */
  overBudget(person: Person, nowMs: number, sent: SentCounter, config: ChannelConfig): boolean;
  /** Past the budget: the channel pages go by instead, and the text telling the person so (once an hour). */
  readonly pastBudget?: { goesBy: PagingChannelKind; notice?(config: ChannelConfig): string };
  /** One message for several pages (worst first) to one person. */
  bundle(texts: readonly PageText[], ctx: BundleContext): PageText;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Whether page messages to `destination` reached an hourly or daily limit. */
export function overLimits(destination: string | undefined, nowMs: number, sent: SentCounter, limits: { max_per_hour: number; max_per_day: number } | undefined): boolean {
  if (destination === undefined || !limits) return false;
  return sent.countSentSince(destination, nowMs - HOUR_MS) >= limits.max_per_hour || sent.countSentSince(destination, nowMs - DAY_MS) >= limits.max_per_day;
}
