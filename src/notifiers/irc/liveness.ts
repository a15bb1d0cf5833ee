import { NotifyError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Clock, TimerHandle } from '../../util/clock.js';

/** What liveness needs from the connection. */
export interface LivenessDeps {
  clock: Clock;
  log: Logger;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /**
   * Queues a keep-alive line (it takes a flood token: ZNC forwards client PINGs upstream);
   * `onWritten` runs when it reaches the socket.
   */
  sendBackground(line: string, onWritten: () => void): Promise<void>;
  /** The link is dead; the reason is shown to people. */
  onDead(reason: string): void;
  /**
   * The far end is alive but did not echo lines written (ZNC drops them unechoed while off its
   * network): none of the lines written so far may be counted as seen by the network.
   */
  onUnechoed(reason: string): void;
}

interface Written {
  key: string;
  writtenMs: number;
  seq: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Is the far end alive, and did it take our lines?
 *
 * Facts this rests on (Debian's ZNC 1.8 in front of ngircd, measured here):
 *  - ZNC answers a client's PING itself at once, *and* forwards it upstream, where it waits in
 *    ZNC's flood queue like a PRIVMSG (six PINGs delayed the next PRIVMSG by 5 s). A PONG proves
 *    only that ZNC is alive, and a PING costs path capacity: Lifeline pings only when idle.
 *  - ZNC offers the IRCv3 `echo-message` capability and echoes each PRIVMSG the moment it reads it,
 *    before its flood queue. An echo therefore proves the bouncer has the line, at no cost; a
 *    frozen bouncer (SIGSTOP, swap storm) echoes nothing while the kernel still accepts bytes.
 *
 * Rules: a line written and not echoed within `ping_timeout`, with nothing at all received since,
 * means the link is dead; silence for `ping_interval` sends a PING, and no byte back within
 * `ping_timeout` means dead. Without echo-message (ngircd directly), written lines count as
 * delivered once on the socket, and only the idle PING finds a dead link.
 */
export class Liveness {
  private lastRxMs = 0;
  private pingWrittenMs: number | undefined;
  private pingQueued = false;
  private echo = false;
  private pending: Written[] = [];
  private waiters: Waiter[] = [];
  private seq = 0;
  private provenSeq = 0;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(private readonly d: LivenessDeps) {}

  /** Starts watching a freshly registered link. */
  start(echoMessage: boolean): void {
    this.running = true;
    this.echo = echoMessage;
    this.lastRxMs = this.d.clock.monotonic();
    this.pingWrittenMs = undefined;
    this.pingQueued = false;
    this.arm();
  }

  /** Stops watching (link gone): unproven lines are reported unconfirmed to whoever waits. */
  stop(reason: string): void {
    this.running = false;
    this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.pingQueued = false;
    this.pingWrittenMs = undefined;
    this.failWaiters(reason);
  }

  /** Lines written but not yet echoed. */
  get unconfirmed(): number {
    return this.pending.length;
  }

  /** Anything arrived from the far end. */
  onRx(): void {
    this.lastRxMs = this.d.clock.monotonic();
    this.pingWrittenMs = undefined;
  }

  /** A PRIVMSG/NOTICE line was written to the socket. */
  onWritten(line: string): void {
    if (!this.running || !this.echo) return;
    const key = echoKey(line);
    if (key === undefined) return;
    this.pending.push({ key, writtenMs: this.d.clock.monotonic(), seq: ++this.seq });
    if (this.pending.length === 1) this.arm();
  }

  /**
   * A PRIVMSG/NOTICE from our own nick came in. Returns true when it was the echo of a line we
   * wrote (so the caller does not treat it as anything else, e.g. a canary's network copy).
   */
  onOwnLine(command: string, target: string, text: string): boolean {
    if (!this.echo) return false;
    const key = `${command.toUpperCase()} ${target.toLowerCase()} :${text}`;
    const i = this.pending.findIndex((w) => w.key === key);
    if (i < 0) return false;
    // The bouncer reads in order: everything written before this line was read too.
    const w = this.pending[i] as Written;
    this.pending.splice(0, i + 1);
    this.provenSeq = Math.max(this.provenSeq, w.seq);
    this.settleWaiters();
    return true;
  }

  /**
   * Gives up on the lines written and not echoed (the bouncer said it dropped them, or went off
   * its network): whoever waits for them gets a retryable error now, not after `ping_timeout`.
   */
  dropUnproven(reason: string): void {
    this.pending = [];
    this.provenSeq = this.seq;
    this.failWaiters(reason);
    this.arm();
  }

  /**
   * Resolves when every line written so far is proven (echoed); at once without echo-message.
   * Rejects (retryable) when the link drops or the bouncer does not confirm within `ping_timeout`.
   */
  whenProven(): Promise<void> {
    if (!this.echo || this.provenSeq >= this.seq) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ seq: this.seq, resolve, reject }));
  }

  private settleWaiters(): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq <= this.provenSeq) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  private failWaiters(reason: string): void {
    const ws = this.waiters.splice(0);
    for (const w of ws) w.reject(new NotifyError(reason, { retryable: true }));
  }

  private arm(): void {
    this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) return;
    const now = this.d.clock.monotonic();
    const t = this.d.pingTimeoutMs;
    const deadlines: number[] = [];
    const oldest = this.pending[0];
    if (oldest) deadlines.push(oldest.writtenMs + t);
    if (this.pingWrittenMs !== undefined) deadlines.push(this.pingWrittenMs + t);
    else if (!this.pingQueued) deadlines.push(this.lastRxMs + this.d.pingIntervalMs);
    if (deadlines.length === 0) return;
    const at = Math.min(...deadlines);
    this.timer = this.d.clock.setTimeout(() => {
      this.timer = undefined;
      this.check();
    }, Math.max(0, at - now));
  }

  private check(): void {
    if (!this.running) return;
    const now = this.d.clock.monotonic();
    const t = this.d.pingTimeoutMs;
    const oldest = this.pending[0];
    if (oldest && now - oldest.writtenMs >= t) {
      if (this.lastRxMs < oldest.writtenMs) {
        this.dead(`the bouncer did not echo ${this.pending.length} line(s) and sent nothing for ${Math.round((now - oldest.writtenMs) / 1000)}s`);
        return;
      }
      // Alive but not echoing (e.g. ZNC refusing lines while off its network): the lines are
      // unconfirmed, so whoever waits retries them; the link itself is fine.
      this.d.log.warn({ event: 'irc_unconfirmed', lines: this.pending.length }, 'the bouncer did not echo lines written; they will be sent again');
      const why = `the bouncer did not confirm the lines within ${Math.round(t / 1000)}s`;
      this.dropUnproven(why);
      this.d.onUnechoed(why);
    }
    if (this.pingWrittenMs !== undefined && now - this.pingWrittenMs >= t) {
      this.dead(`no data from the server for ${Math.round((now - this.lastRxMs) / 1000)}s (no reply to PING within ${Math.round(t / 1000)}s)`);
      return;
    }
    if (this.pingWrittenMs === undefined && !this.pingQueued && now - this.lastRxMs >= this.d.pingIntervalMs) this.ping();
    this.arm();
  }

  private ping(): void {
    this.pingQueued = true;
    const token = `lifeline-${this.d.clock.monotonic()}`;
    this.d
      .sendBackground(`PING :${token}`, () => {
        if (!this.running || !this.pingQueued) return;
        this.pingQueued = false;
        this.pingWrittenMs = this.d.clock.monotonic();
        this.arm();
      })
      .catch(() => {
        this.pingQueued = false;
      });
  }

  private dead(reason: string): void {
    this.d.log.warn({ event: 'irc_dead_link', reason }, `IRC link dead: ${reason}`);
    const onDead = this.d.onDead;
    this.stop(reason);
    onDead(reason);
  }
}

/** The echo key of a PRIVMSG/NOTICE line we write ("PRIVMSG #chan :text"). */
function echoKey(line: string): string | undefined {
  const m = /^(PRIVMSG|NOTICE) ([^ ]+) :(.*)$/.exec(line);
  if (!m) return undefined;
  return `${m[1] as string} ${(m[2] as string).toLowerCase()} :${m[3] as string}`;
}
