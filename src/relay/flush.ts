import type { Outbox } from '../store/outbox.js';
import { sleep, type Clock } from '../util/clock.js';

/** How often shutdown looks at the outbox while it drains. */
export const FLUSH_STEP_MS = 100;

/** How many looks shutdown gives the outbox at most: 3 s in all, so a stop never hangs on a slow path. */
export const FLUSH_LOOKS = 30;

/**
 * At shutdown, gives what is still in the outbox a bounded moment to go while the path is up (IRC
 * lines wait there for flood-control tokens): a stop then does not leave an alert for the next
 * start. Returns at once when nothing is pending or the path is down (it would not drain).
 */
export async function flushOutbox(d: { outbox: Pick<Outbox, 'pendingCount'>; clock: Clock; pathUp(): boolean }): Promise<void> {
  for (let i = 0; i < FLUSH_LOOKS && d.outbox.pendingCount() > 0 && d.pathUp(); i++) await sleep(d.clock, FLUSH_STEP_MS);
}
