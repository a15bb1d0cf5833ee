import { isPagingChannelKind, type PagingChannelKind } from '../alerts/pages.js';
import { NotifyError, describeError } from '../errors.js';
import type { Notifier } from '../notifiers/notifier.js';
import { PAGING_CHANNELS, pagingChannelOf } from './channels/registry.js';
import type { FaultReporter } from './faults.js';
import type { ChannelHealth } from './health.js';

/** A paging channel's state for the status page, metrics and the daily note. */
export interface PagingChannelState {
  channel: PagingChannelKind;
  /** Delivering (not failed 3 times in a row). */
  healthy: boolean;
  /** Its last failure was Lifeline's own configuration (cleared by its next delivery). */
  misconfigured: boolean;
}

/** The notifiers that page (email, SMS, voice), by channel. */
export function pagingNotifiers(notifiers: readonly Notifier[]): Map<PagingChannelKind, Notifier> {
  return new Map(notifiers.flatMap((n) => (isPagingChannelKind(n.kind) ? [[n.kind, n] as const] : [])));
}

/** The paging notifiers Lifeline's own faults are reported through: written channels only (a call needs its outbox row, and the store may be the fault). */
export function faultNotifiers(paging: ReadonlyMap<PagingChannelKind, Notifier>): Map<PagingChannelKind, Notifier> {
  return new Map([...paging].filter(([kind]) => PAGING_CHANNELS[kind].written));
}

/**
 * What delivery tells paging: each paging message delivered or failed moves its channel's health
 * (three failures in a row fail it over), and a failure caused by Lifeline's own configuration
 * (bad credentials) is a fault, reported once through the other channels, until the channel
 * delivers again. IRC and console messages never feed it: an IRC failure is the path rule's business.
 */
export class PagingFeedback {
  private readonly misconfigured = new Set<PagingChannelKind>();

  constructor(
    private readonly d: {
      health: ChannelHealth;
      faults: Pick<FaultReporter, 'raise' | 'clear'>;
      /** The configured paging channels. */
      channels: readonly PagingChannelKind[];
      /** Takes phone numbers and addresses out of an error's text (observability/contactNames.ts). */
      scrub(text: string): string;
    },
  ) {}

  /** A message to `destination` was accepted by its provider. */
  sent(destination: string): void {
    const ch = pagingChannelOf(destination);
    if (!ch) return;
    this.d.health.delivered(ch);
    if (this.misconfigured.delete(ch) && this.misconfigured.size === 0) this.d.faults.clear('notifier_misconfigured');
  }

  /** A message to `destination` failed with `err`. */
  failed(destination: string, err: unknown): void {
    const ch = pagingChannelOf(destination);
    if (!ch) return;
    this.d.health.failed(ch);
    if (err instanceof NotifyError && err.misconfigured !== undefined) {
      this.misconfigured.add(ch);
      this.d.faults.raise('notifier_misconfigured', `${ch}: ${this.d.scrub(describeError(err))}; fix ${err.misconfigured}, then check with "lifeline test-notify --channel ${ch}"`);
    }
  }

  /** Each configured paging channel: delivering, failing (3 in a row), or refused for Lifeline's own configuration. */
  states(): PagingChannelState[] {
    return this.d.channels.map((channel) => ({ channel, healthy: this.d.health.healthy(channel), misconfigured: this.misconfigured.has(channel) }));
  }
}
