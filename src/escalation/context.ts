import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { OnCallSchedule } from '../people/oncall.js';
import type { EscalationStores } from '../store/escalationStores.js';
import type { Outbox } from '../store/outbox.js';
import type { Clock } from '../util/clock.js';
import type { ChannelSet } from './channels/registry.js';
import type { ChannelHealth } from './health.js';
import type { PathMonitor } from './pathMonitor.js';
import type { Policy } from './policies.js';

/** What the escalation engine needs (the app's part; store/escalationStores.ts gives the stores). */
export interface EngineDeps extends EscalationStores {
  config: Config;
  outbox: Outbox;
  schedule: OnCallSchedule;
  clock: Clock;
  log: Logger;
  health: ChannelHealth;
  /** Wakes the dispatcher for a destination. */
  poke(destination: string): void;
  /** The in-band path the monitoring-path rule watches (IRC); none: the rule is off. */
  path?: PathMonitor;
  /**
   * An IRC path outage that paged people ended: queue the channel's summary of it (inside the
   * engine's transaction) and say what happened meanwhile, for the "restored" note.
   */
  pathOutageEnded(o: { incident: string; fromMs: number; toMs: number }): { fired: number; resolved: number; firingNow: number };
  /** Called before each pass over due steps: notices a wall-clock step and rebases stored times. */
  checkClock?(): void;
  /**
   * Why paging waits now, or undefined: in a cluster, an instance starting or rejoining pages only
   * once it has caught up with its peers (cluster/node.ts unsettledReason, bounded by settle_timeout).
   */
  pagingHeld?(): string | undefined;
}

/** What every part of escalation shares: the deps, the configured channels and the policies. */
export interface EscalationContext extends EngineDeps {
  channels: ChannelSet;
  policies: readonly Policy[];
}
