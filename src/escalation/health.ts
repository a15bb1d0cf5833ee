import type { PagingChannelKind } from '../alerts/pages.js';

/**
 * Health of the paging channels, from delivery results: a channel that failed `threshold` times
 * in a row is unhealthy until it delivers again. Escalation then uses the other channel at once
 * instead of waiting for retries.
 */
export class ChannelHealth {
  private readonly failures = new Map<PagingChannelKind, number>();
  private readonly listeners: Array<(channel: PagingChannelKind, healthy: boolean) => void> = [];
  constructor(private readonly threshold = 3) {}

  healthy(kind: PagingChannelKind): boolean {
    return (this.failures.get(kind) ?? 0) < this.threshold;
  }
  delivered(kind: PagingChannelKind): void {
    const was = this.healthy(kind);
    this.failures.set(kind, 0);
    if (!was) this.emit(kind, true);
  }
  failed(kind: PagingChannelKind): void {
    const n = (this.failures.get(kind) ?? 0) + 1;
    this.failures.set(kind, n);
    if (n === this.threshold) this.emit(kind, false);
  }
  onChange(fn: (channel: PagingChannelKind, healthy: boolean) => void): void {
    this.listeners.push(fn);
  }
  private emit(kind: PagingChannelKind, healthy: boolean): void {
    for (const l of this.listeners) l(kind, healthy);
  }
}
