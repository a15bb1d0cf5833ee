import { EventEmitter } from 'node:events';
import type { Availability, Delivery, Notifier } from './notifier.js';

/**
 * Base for notifiers with no connection state of their own (console, email, SMS): a destination
 * prefix says what they handle, and they are always ready to try; whether a try works is what
 * their send() reports.
 */
export abstract class AlwaysReadyNotifier implements Notifier {
  abstract readonly kind: string;
  abstract readonly digestsBacklog: boolean;
  abstract sentMeans(destination: string): string;
  private readonly events = new EventEmitter();

  constructor(private readonly prefix: string) {}

  handles(destination: string): boolean {
    return destination.startsWith(this.prefix);
  }
  ready(): boolean {
    return true;
  }
  availability(): Availability {
    return { readySinceMs: 0, lastOutage: undefined };
  }
  abstract prepare(destination: string, lines: readonly string[]): string[];
  abstract send(delivery: Delivery, signal?: AbortSignal): Promise<void>;
  onReadyChange(listener: () => void): () => void {
    this.events.on('ready', listener);
    return () => this.events.off('ready', listener);
  }
}
