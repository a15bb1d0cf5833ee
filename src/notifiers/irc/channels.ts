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
  /** Membership changed: the channels we are in, and the configured ones out of reach (see OUT_LIMIT_MS). */
  changed(m: { joined: readonly string[]; stuck: readonly string[] }): void;
}

/**
 * After the bouncer is back on its network, how long a channel may stay without our JOIN before
 * Lifeline asks for it itself. ZNC rejoins on its own at once (see `awaitRejoin`); ngircd answers
 * that JOIN about 5 s later (measured), a network that paces new connections harder more. Our own
 * JOIN only helps when ZNC does not rejoin (a channel it disabled after failed joins, or one it
 * never had); a spare JOIN costs one line of ZNC's flood queue and the network ignores it.
 */
export const REJOIN_GRACE_MS = 30_000;

/**
 * How long a configured channel may stay without us while connected before the IRC path counts
 * as unable to carry alerts (state.ts `stuck`): its lines wait unwritten, and a path that says
 * healthy meanwhile would page nobody. Two rejoin graces: the bouncer's own rejoin (about 5 s with
 * ngircd) and one JOIN of ours have had their time; a kick's rejoin (`rejoin_delay`, 5 s) too.
 */
export const OUT_LIMIT_MS = 2 * REJOIN_GRACE_MS;

/**
 * Channel membership: joins every configured channel after registration, tracks JOIN/PART/KICK
 * for our own nick, rejoins after a kick (with the channel key) after `rejoin_delay`, and counts a
 * channel not joined while the bouncer rejoins it after its upstream came back.
 */
export class Channels {
  private readonly joined = new Set<string>();
  private readonly rejoins = new Map<string, TimerHandle>();
  /** Channels waiting for the bouncer to rejoin them, with since when (the grace timer, if armed). */
  private readonly awaiting = new Map<string, { sinceMs: number; timer: TimerHandle | undefined }>();
  /** Configured channels we are out of while connected, each with the timer that marks it stuck at OUT_LIMIT_MS (lower case). */
  private readonly out = new Map<string, TimerHandle>();
  private readonly stuck = new Set<string>();

  constructor(private readonly d: ChannelDeps) {}

  /** Channels we are in now (lower case). */
  get list(): string[] {
    return [...this.joined];
  }

  /** Joins all configured channels (a fresh registration). */
  joinAll(): void {
    for (const ch of this.d.cfg.channels) {
      this.markOut(ch.name);
      this.d.join(ch.name, ch.key?.reveal());
    }
  }

  /** A configured channel we are not in: it counts as stuck if it stays so for OUT_LIMIT_MS. */
  private markOut(name: string): void {
    const key = name.toLowerCase();
    if (this.out.has(key) || !this.d.cfg.channels.some((c) => c.name.toLowerCase() === key)) return;
    this.out.set(
      key,
      this.d.clock.setTimeout(() => {
        if (this.joined.has(key)) return;
        this.stuck.add(key);
        this.d.log.warn({ event: 'irc_channel_stuck', channel: name, out_ms: OUT_LIMIT_MS }, `${name}: not in the channel for ${OUT_LIMIT_MS / 1000}s while connected; its lines wait, and the IRC path counts as down until we are back in it`);
        this.emit();
      }, OUT_LIMIT_MS),
    );
  }

  private emit(): void {
    this.d.changed({ joined: this.list, stuck: [...this.stuck] });
  }

  /** Forgets membership and pending rejoins (link gone). */
  reset(): void {
    for (const t of this.rejoins.values()) this.d.clock.clearTimeout(t);
    this.rejoins.clear();
    for (const a of this.awaiting.values()) this.d.clock.clearTimeout(a.timer);
    this.awaiting.clear();
    for (const t of this.out.values()) this.d.clock.clearTimeout(t);
    this.out.clear();
    this.stuck.clear();
    this.joined.clear();
  }

  /**
   * The bouncer's session with its network ended (`back` false) or a new one began (`back` true):
   * either way it is in no channel now. ZNC facts (1.8, src/IRCSock.cpp and IRCNetwork.cpp; checked
   * with Debian's ZNC 1.8.2 in front of ngircd 26):
   *  - when its upstream socket goes, ~CIRCSock calls CChan::Reset() on every channel (IsOn false)
   *    and tells clients nothing about channels: no PART, no KICK, no numeric;
   *  - on the network's 001 it writes "*status: Connected!", forwards the 001, and
   *    CIRCNetwork::IRCConnected() queues WHO, then JOIN for every channel not disabled
   *    (JoinChans, at once unless JoinDelay is set);
   *  - the network's answer, our own JOIN, is forwarded to every client (CIRCSock::OnJoinMessage
   *    returns false unless the channel is detached), followed by 353 names and 366 end of names.
   *    With ngircd it comes about 5 s after the 001 (WHO answered after 1 s, JOIN 4 s later);
   *  - in that window ZNC echoes a PRIVMSG to the channel at once (EchoMessage runs before
   *    PutIRC) and queues it behind its JOIN (one FIFO flood queue per upstream socket): the echo
   *    says nothing about the channel. Measured with ngircd: such a line was echoed (and logged
   *    `sent`) about 5 s before the network had us in the channel; it got there after the JOIN.
   *    Had the JOIN failed (RFC 2812: 473 invite only, 474 banned, 475 bad key), the network
   *    would have refused the line with 404 after ZNC had echoed it.
   * So the relayed JOIN is the proof the network has us in the channel (366 follows it and proves
   * nothing more). Until it comes, the channel counts as not joined and its lines wait; when the
   * bouncer is back and a channel has no JOIN after REJOIN_GRACE_MS, we send one (ZNC forwards a
   * client's JOIN upstream: CClient::OnJoinMessage → CChan::JoinUser).
   */
  awaitRejoin(back: boolean, why: string): void {
    const now = this.d.clock.now();
    const was = new Set(this.joined);
    this.joined.clear();
    for (const ch of this.d.cfg.channels) {
      const key = ch.name.toLowerCase();
      const a = this.awaiting.get(key);
      if (back && a?.timer !== undefined) continue; // already waiting for this session's JOIN
      this.d.clock.clearTimeout(a?.timer);
      this.awaiting.set(key, { sinceMs: a?.sinceMs ?? now, timer: back ? this.askLater(ch.name) : undefined });
      this.markOut(ch.name);
      if (back) {
        this.d.log.info({ event: 'irc_channel_rejoining', channel: ch.name, why }, `${ch.name}: the bouncer is back on its network; lines for the channel wait until the network has us back in it (${why})`);
      } else if (was.has(key)) {
        this.d.log.warn({ event: 'irc_channel_left', channel: ch.name, why }, `${ch.name}: the bouncer left its network and with it the channel; lines for the channel wait (${why})`);
      }
    }
    if (was.size > 0) this.emit();
  }

  /** Channels the bouncer has not rejoined yet since its upstream came back or went (lower case). */
  get rejoining(): string[] {
    return [...this.awaiting.keys()];
  }

  private askLater(name: string): TimerHandle {
    return this.d.clock.setTimeout(() => this.askToRejoin(name), REJOIN_GRACE_MS);
  }

  /** No JOIN within the grace: send one, and again every REJOIN_GRACE_MS until it comes. */
  private askToRejoin(name: string): void {
    const a = this.awaiting.get(name.toLowerCase());
    if (!a) return;
    a.timer = this.askLater(name);
    const ch = this.d.cfg.channels.find((c) => c.name === name);
    const waited = this.d.clock.now() - a.sinceMs;
    this.d.log.warn({ event: 'irc_rejoin_asked', channel: name, waited_ms: waited }, `${name}: the bouncer has not rejoined the channel after ${Math.round(waited / 1000)}s; sending JOIN`);
    this.d.join(name, ch?.key?.reveal());
  }

  onJoin(nick: string, channel: string): void {
    if (nick !== this.d.nick()) return;
    const key = channel.toLowerCase();
    const a = this.awaiting.get(key);
    if (a) {
      this.d.clock.clearTimeout(a.timer);
      this.awaiting.delete(key);
    }
    this.joined.add(key);
    this.d.clock.clearTimeout(this.out.get(key));
    this.out.delete(key);
    if (this.stuck.delete(key)) this.d.log.info({ event: 'irc_channel_unstuck', channel }, `${channel}: back in the channel`);
    this.emit();
    this.d.log.info({ event: 'irc_joined', channel, ...(a ? { waited_ms: this.d.clock.now() - a.sinceMs } : {}) }, a ? `joined channel; its waiting lines go now (waited ${Math.round((this.d.clock.now() - a.sinceMs) / 1000)}s)` : 'joined channel');
  }

  onLeave(nick: string, channel: string): void {
    if (nick !== this.d.nick()) return;
    this.joined.delete(channel.toLowerCase());
    this.markOut(channel);
    this.emit();
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
