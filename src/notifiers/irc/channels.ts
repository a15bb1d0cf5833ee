import type { IrcConfig } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import type { Clock, TimerHandle } from '../../util/clock.js';

/** What channel membership needs from the connection. */
export interface ChannelDeps {
  cfg: IrcConfig;
  clock: Clock;
  log: Logger;
  /** Sends JOIN (with the key, if any). */
  join(name: string, key: string | undefined): void;
  /** Our nick now. */
  nick(): string;
  /** Membership changed. */
  changed(joined: readonly string[]): void;
}

/**
 * Channel membership: joins every configured channel after registration, tracks JOIN/PART/KICK
 * for our own nick, and rejoins after a kick (with the channel key) after `rejoin_delay`.
 */
export class Channels {
  private readonly joined = new Set<string>();
  private readonly rejoins = new Map<string, TimerHandle>();

  constructor(private readonly d: ChannelDeps) {}

  /** Channels we are in now (lower case). */
  get list(): string[] {
    return [...this.joined];
  }

  /** Joins all configured channels (a fresh registration). */
  joinAll(): void {
    for (const ch of this.d.cfg.channels) this.d.join(ch.name, ch.key?.reveal());
  }

  /** Forgets membership and pending rejoins (link gone). */
  reset(): void {
    for (const t of this.rejoins.values()) this.d.clock.clearTimeout(t);
    this.rejoins.clear();
    this.joined.clear();
  }

  onJoin(nick: string, channel: string): void {
    if (nick !== this.d.nick()) return;
    this.joined.add(channel.toLowerCase());
    this.d.changed(this.list);
    this.d.log.info({ event: 'irc_joined', channel }, 'joined channel');
  }

  onLeave(nick: string, channel: string): void {
    if (nick !== this.d.nick()) return;
    this.joined.delete(channel.toLowerCase());
    this.d.changed(this.list);
  }

  onKick(kicked: string, channel: string, by: string): void {
    if (kicked !== this.d.nick()) return;
    this.onLeave(kicked, channel);
    this.d.log.warn({ event: 'irc_kicked', channel, by }, 'kicked; rejoining');
    const ch = this.d.cfg.channels.find((c) => c.name.toLowerCase() === channel.toLowerCase());
    if (!ch) return;
    this.d.clock.clearTimeout(this.rejoins.get(ch.name));
    this.rejoins.set(
      ch.name,
      this.d.clock.setTimeout(() => {
        this.rejoins.delete(ch.name);
        this.d.join(ch.name, ch.key?.reveal());
      }, this.d.cfg.rejoin_delay),
    );
  }
}
