import { EventEmitter } from 'node:events';
import { CONSOLE_DESTINATION } from '../policy/routing.js';
import type { Logger } from '../observability/logger.js';
import type { Availability, Delivery, Notifier } from './notifier.js';
import { cleanLine } from './text.js';

/**
 * Prints what would be sent, as log events: lets a new user see Lifeline work with no outside
 * service, and is a last-resort channel for operators who read the container's logs.
 */
export class ConsoleNotifier implements Notifier {
  readonly digestsBacklog = true;
  readonly kind = 'console';
  private readonly events = new EventEmitter();
  constructor(
    private readonly log: Logger,
    private readonly startedMs: number,
  ) {}
  handles(destination: string): boolean {
    return destination === CONSOLE_DESTINATION;
  }
  ready(): boolean {
    return true;
  }
  availability(): Availability {
    return { readySinceMs: this.startedMs, lastOutage: undefined };
  }
  prepare(_destination: string, lines: readonly string[]): string[] {
    // Strip IRC formatting codes: a terminal shows them as garbage.
    return lines.map((l) => cleanLine(l).replace(/\x03\d{0,2}(,\d{1,2})?|[\x02\x0f]/g, ''));
  }
  async send(d: Delivery, _signal?: AbortSignal): Promise<void> {
    for (let i = d.startAt; i < d.lines.length; i++) {
      this.log.info({ event: 'console_notification', destination: d.destination, line: i + 1, of: d.lines.length }, d.lines[i] as string);
      d.onProgress(i + 1);
    }
  }
  onReadyChange(listener: () => void): () => void {
    this.events.on('ready', listener);
    return () => this.events.off('ready', listener);
  }
}
