import { EventEmitter } from 'node:events';
import type { Logger } from '../observability/logger.js';
import type { Availability, Delivery, Notifier } from '../notifiers/notifier.js';
import type { Clock, TimerHandle } from '../util/clock.js';

/*
 * IRC with several Lifeline instances (issue 23). Every instance stays connected to the bouncer as
 * its own ZNC user with its own nick (README "Two regions": a second client of the same ZNC user
 * cannot tell its lines from the other's). Only the poster — the first live instance by name —
 * posts alerts and answers commands. The others are standbys: they hold their alert lines in
 * their outbox (not sent, never counted as sent) and read the poster's lines in the channel
 * under its nick (cluster.peers[].irc_nick):
 * - a held line the poster posted is covered: taken out of the queue unsent (Outbox.markCovered);
 * - a held line not seen within irc_takeover while the poster posted nothing since it was queued:
 *   the poster's lines stopped arriving (its IRC path or its process): the standby takes over
 *   posting and commands; it gives them back when the poster's lines are seen again;
 * - a held line not seen within irc_takeover while the poster kept posting (a digest folds lines,
 *   so they need not match) counts as covered too: a standby never posts what is that old;
 * - the poster down (peer down) makes the next instance the poster at once: it posts what it still
 *   holds (at most irc_takeover old), through the dispatcher's replay policy as any backlog.
 */

/** A pending IRC entry of this instance, as the standby judges it. */
export interface HeldLine {
  id: number;
  createdMs: number;
  /** Its first rendered line (before the wire split). */
  firstLine: string;
}

/** What the standby logic needs. */
export interface IrcStandbyDeps {
  readonly self: string;
  readonly peers: ReadonlyArray<{ name: string; irc_nick?: string | undefined }>;
  /**
   * Peers that may be live: heard within peer_timeout, or not judged yet since start (counted, as
   * the paging position counts them, so a starting instance does not post over a live poster
   * before it has heard it).
   */
  livePeers(): readonly string[];
  readonly takeoverMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** This instance's pending IRC entries not started yet. */
  held(): HeldLine[];
  /** Takes an entry out of the queue unsent; false when it was no longer pending. */
  cover(id: number): boolean;
}

/** Lines of peers remembered for matching: enough for a storm within irc_takeover. */
const MAX_SEEN = 2_000;
/** How often held lines are judged. */
const SWEEP_MS = 1_000;
/** Clock difference and queueing slack between a line queued here and the same line seen from the poster. */
const SLACK_MS = 5_000;
/** Shortest prefix that counts as the same line when one side split it at another length (the nicks differ). */
const MIN_PREFIX = 40;

/**
 * A line as both instances render it: formatting codes, ack codes (each instance's incident codes
 * are its own) and runs of spaces removed.
 */
export function comparable(line: string): string {
  return line
    .replace(/\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x16\x1d\x1e\x1f]/g, '')
    .replace(/\((?:!ack [^)]*|incidents [^)]*)\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Whether two comparable lines are the same alert line (one may be the other's first wire piece). */
export function sameLine(a: string, b: string): boolean {
  if (a === b) return a.length > 0;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return short.length >= MIN_PREFIX && long.startsWith(short);
}

/** Who posts, who holds, and when a standby takes over. */
export class IrcStandby {
  private readonly events = new EventEmitter();
  private readonly nickOf = new Map<string, string>();
  private readonly peerOfNick = new Map<string, string>();
  private seen: Array<{ peer: string; line: string; atMs: number }> = [];
  private readonly lastLineMs = new Map<string, number>();
  /** Set while this standby posts because the poster's lines stopped. */
  private takenOver: { poster: string; atMs: number } | undefined;
  private wasPosting: boolean | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly d: IrcStandbyDeps) {
    for (const p of d.peers) {
      if (p.irc_nick === undefined) continue;
      this.nickOf.set(p.name, p.irc_nick);
      this.peerOfNick.set(p.irc_nick.toLowerCase(), p.name);
    }
  }

  /** The instance that posts: the first live instance by name (peers not yet judged count as live). */
  poster(): string {
    return [this.d.self, ...this.d.livePeers()].sort()[0] ?? this.d.self;
  }

  /** Whether this instance posts alerts and answers commands now. */
  posting(): boolean {
    return this.poster() === this.d.self || this.takenOver !== undefined;
  }

  /** The peer whose nick this is, if any. */
  peerOf(nick: string): string | undefined {
    return this.peerOfNick.get(nick.toLowerCase());
  }

  /** Subscribes to "posting may have changed". */
  onChange(fn: () => void): void {
    this.events.on('change', fn);
  }

  /** Starts judging held lines every second. */
  start(): void {
    this.timer = this.d.clock.setTimeout(() => this.tick(), SWEEP_MS);
  }

  stop(): void {
    this.stopped = true;
    this.d.clock.clearTimeout(this.timer);
  }

  private tick(): void {
    if (this.stopped) return;
    try {
      this.sweep();
    } catch (err) {
      this.d.log.error({ event: 'irc_standby_failed', err: String(err) }, 'could not judge the held IRC lines; trying again in a second');
    }
    this.timer = this.d.clock.setTimeout(() => this.tick(), SWEEP_MS);
  }

  /**
   * A line said in a channel. From a peer's nick it is that peer's post (remembered for covering);
   * the poster's line also ends a takeover. Returns true when it is a peer's line (never a command).
   */
  observe(nick: string, text: string, playback = false): boolean {
    const peer = this.peerOf(nick);
    if (peer === undefined) return false;
    const now = this.d.clock.now();
    this.seen.push({ peer, line: comparable(text), atMs: now });
    if (this.seen.length > MAX_SEEN) this.seen = this.seen.slice(-MAX_SEEN / 2);
    this.lastLineMs.set(peer, now);
    if (!playback && this.takenOver && peer === this.poster()) {
      this.d.log.info({ event: 'irc_handed_back', poster: peer }, `IRC: ${peer}'s lines arrive again; it posts, this instance holds its lines again`);
      this.takenOver = undefined;
    }
    this.changed();
    return true;
  }

  /** Judges the held lines (every second, and after each peer line). */
  sweep(): void {
    this.changed();
    if (this.posting()) return;
    const now = this.d.clock.now();
    const poster = this.poster();
    const watched = this.nickOf.has(poster);
    const posterSince = (ms: number): boolean => (this.lastLineMs.get(poster) ?? -Infinity) >= ms;
    for (const h of this.d.held()) {
      const line = comparable(h.firstLine);
      const by = this.seen.find((s) => s.atMs >= h.createdMs - SLACK_MS && sameLine(s.line, line));
      if (by) {
        if (this.d.cover(h.id)) this.d.log.info({ event: 'irc_held_covered', entry: h.id, by: by.peer }, `IRC: held line posted by ${by.peer}; not posted here`);
        continue;
      }
      if (now - h.createdMs < this.d.takeoverMs) continue;
      if (!watched || posterSince(h.createdMs)) {
        if (this.d.cover(h.id)) {
          this.d.log.info(
            { event: 'irc_held_expired', entry: h.id, poster },
            watched ? `IRC: held line not seen from ${poster}, which kept posting (a digest folds lines); not posted here` : `IRC: held line older than irc_takeover; ${poster} is live and posts it (no irc_nick to check)`,
          );
        }
        continue;
      }
      this.takenOver = { poster, atMs: now };
      this.d.log.warn(
        { event: 'irc_takeover', poster, entry: h.id, heldMs: now - h.createdMs },
        `IRC: ${poster} posted nothing for ${Math.round((now - h.createdMs) / 1000)} s while this instance held a line; taking over posting and commands until its lines arrive again`,
      );
      this.changed();
      return;
    }
  }

  private changed(): void {
    const now = this.posting();
    if (now === this.wasPosting) return;
    this.wasPosting = now;
    this.d.log.info({ event: now ? 'irc_posting' : 'irc_standby', poster: this.poster() }, now ? 'IRC: this instance posts alerts and answers commands' : `IRC: ${this.poster()} posts; this instance holds its alert lines and ignores commands`);
    this.events.emit('change');
  }
}

/**
 * The IRC notifier of a clustered instance: the same notifier, ready for alert lines only while
 * this instance posts. While it is not, the dispatcher leaves the entries pending (held: not sent,
 * never counted as sent).
 */
export class StandbyIrcNotifier implements Notifier {
  readonly kind: string;
  readonly digestsBacklog: boolean;
  private readonly events = new EventEmitter();

  constructor(
    private readonly inner: Notifier,
    private readonly standby: IrcStandby,
  ) {
    this.kind = inner.kind;
    this.digestsBacklog = inner.digestsBacklog;
    inner.onReadyChange(() => this.events.emit('ready'));
    standby.onChange(() => this.events.emit('ready'));
  }

  sentMeans(destination: string): string {
    return this.inner.sentMeans(destination);
  }
  handles(destination: string): boolean {
    return this.inner.handles(destination);
  }
  ready(destination: string): boolean {
    return this.standby.posting() && this.inner.ready(destination);
  }
  availability(destination: string): Availability {
    return this.inner.availability(destination);
  }
  prepare(destination: string, lines: readonly string[]): string[] {
    return this.inner.prepare(destination, lines);
  }
  awaitTurn(destination: string, signal: AbortSignal): Promise<void> {
    return this.inner.awaitTurn ? this.inner.awaitTurn(destination, signal) : Promise.resolve();
  }
  send(delivery: Delivery, signal: AbortSignal): Promise<void> {
    return this.inner.send(delivery, signal);
  }
  onReadyChange(listener: () => void): () => void {
    this.events.on('ready', listener);
    return () => this.events.off('ready', listener);
  }
  onUnconfirmed(listener: (destination: string, entryIds: readonly number[], why: string) => void): () => void {
    return this.inner.onUnconfirmed ? this.inner.onUnconfirmed(listener) : () => undefined;
  }
}
