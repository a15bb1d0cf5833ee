import { PAGING_CHANNEL_KINDS, type PagingChannelKind } from '../../alerts/pages.js';
import type { ChannelConfig, PagingChannel } from './channel.js';
import { EMAIL } from './email.js';
import { SMS } from './sms.js';
import { VOICE } from './voice.js';
import type { PagingDestinations } from '../../observability/contactNames.js';

/** The registry: one channel object per paging channel kind. */
export const PAGING_CHANNELS: Readonly<Record<PagingChannelKind, PagingChannel>> = Object.freeze({ email: EMAIL, sms: SMS, voice: VOICE });

/** The paging channel an outbox destination belongs to; undefined for IRC, console and the rest. */
export function pagingChannelOf(destination: string): PagingChannelKind | undefined {
  return PAGING_CHANNEL_KINDS.find((k) => PAGING_CHANNELS[k].owns(destination));
}

/** The registry as logging reads it: which destination reaches a person on each channel (observability/contactNames.ts). */
export const PAGING_DESTINATIONS: PagingDestinations<PagingChannelKind> = Object.freeze({
  channels: PAGING_CHANNEL_KINDS.map((k) => ({ channel: k, destination: (p: Parameters<PagingChannel['destination']>[0]) => PAGING_CHANNELS[k].destination(p) })),
  channelOf: pagingChannelOf,
});

/** The channels a config sets up, and the one place escalation asks about them. */
export class ChannelSet {
  /** The configured channels, in registry order. */
  readonly list: readonly PagingChannel[];
  constructor(readonly config: ChannelConfig) {
    this.list = PAGING_CHANNEL_KINDS.map((k) => PAGING_CHANNELS[k]).filter((c) => c.configured(config));
  }

  /** The channel of a kind, if configured. */
  get(kind: PagingChannelKind): PagingChannel | undefined {
    return this.list.find((c) => c.kind === kind);
  }

  /** Whether a kind is configured. */
  has(kind: PagingChannelKind): boolean {
    return this.get(kind) !== undefined;
  }

  /** The configured written channels (path-down and out-of-band pages). */
  written(): PagingChannel[] {
    return this.list.filter((c) => c.written);
  }
}
