import { createHash } from 'node:crypto';
import type { Db } from './db.js';
import type { GroupMessage } from '../alerts/messages.js';

/**
 * Holds back unchanged repeats. Alertmanager re-sends a group every `repeat_interval` (and on
 * every `group_interval` when anything changed), always with the whole group. A repeat whose set
 * of (fingerprint, status) is the same as what we last queued for that destination is dropped,
 * unless `reminderMs` has passed since, so the channel gets a reminder rather than a copy per hour.
 */
export class RepeatFilter {
  private readonly get;
  private readonly put;
  constructor(
    db: Db,
    private readonly reminderMs: number,
  ) {
    this.get = db.prepare<[string, string], { signature: string; queued_ms: number }>(
      'SELECT signature, queued_ms FROM group_state WHERE destination = ? AND group_key = ?',
    );
    this.put = db.prepare(
      `INSERT INTO group_state (destination, group_key, signature, queued_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (destination, group_key) DO UPDATE SET signature = excluded.signature, queued_ms = excluded.queued_ms`,
    );
  }

  /**
   * Whether to queue `msg` for `destination` now; records the decision when it says yes. `key`
   * names the group (one part of a split group has its own key). `news`: the sender knows this is
   * a change (always yes, recorded).
   */
  admit(destination: string, msg: GroupMessage, now: number, key = msg.groupKey, news = false): boolean {
    const sig = signature(msg);
    const prev = news ? undefined : this.get.get(destination, key);
    if (prev && prev.signature === sig && now - prev.queued_ms < this.reminderMs) return false;
    this.put.run(destination, key, sig, now);
    return true;
  }
}

/** A digest of the group's alert states, independent of their order. */
export function signature(msg: GroupMessage): string {
  const h = createHash('sha256');
  h.update(msg.status);
  for (const s of msg.alerts.map((a) => `${a.fp}:${a.status}`).sort()) h.update(`\n${s}`);
  h.update(`\n+${msg.truncated}`);
  return h.digest('hex');
}
