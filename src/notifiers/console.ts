import { CONSOLE_DESTINATION } from '../policy/routing.js';
import type { Logger } from '../observability/logger.js';
import { AlwaysReadyNotifier } from './alwaysReady.js';
import type { Delivery } from './notifier.js';
import { cleanLine, stripFormatting } from './text.js';

/**
 * Prints what would be sent, as log events: lets a new user see Lifeline work with no outside
 * service, and is a last-resort channel for operators who read the container's logs.
 */
export class ConsoleNotifier extends AlwaysReadyNotifier {
  readonly digestsBacklog = true;
  readonly kind = 'console';
  sentMeans(): string {
    return 'written to the log';
  }
  constructor(private readonly log: Logger) {
    super(CONSOLE_DESTINATION);
  }
  override prepare(_destination: string, lines: readonly string[]): string[] {
    // Strip IRC formatting codes: a terminal shows them as garbage.
    return lines.map((l) => stripFormatting(cleanLine(l)));
  }
  override async send(d: Delivery): Promise<void> {
    for (let i = d.startAt; i < d.lines.length; i++) {
      this.log.info({ event: 'console_notification', destination: d.destination, line: i + 1, of: d.lines.length }, d.lines[i] as string);
      d.onProgress(i + 1);
    }
  }
}
