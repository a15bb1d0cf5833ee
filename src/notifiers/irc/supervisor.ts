import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import IRC, { type Client, type ConnectOptions, type MessageEvent, type RawEvent } from 'irc-framework';
import type { IrcConfig } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import { backoffDelay } from '../../util/backoff.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { TokenBucket } from '../../util/tokenBucket.js';
import { Canary } from './canary.js';
import { Channels } from './channels.js';
import { Liveness } from './liveness.js';
import { Pacer, floodProfile } from './pacing.js';
import { SendQueue } from './sendQueue.js';
import { DEFAULT_LINE_LIMIT } from './split.js';
import { tlsTransport } from './transport.js';
import type { IrcState, UpstreamState } from './state.js';
import { zncOwnCommandHint, zncUpstreamHint, type UpstreamHint } from './znc.js';

/** Makes irc-framework clients; tests may pass their own. */
export type ClientFactory = () => Client;

/** Events: 'state' (IrcState) on every change; 'message' (MessageEvent) for incoming PRIVMSGs from others. */
export interface IrcSupervisorEvents {
  state: [IrcState];
  message: [MessageEvent];
  registered: [];
  /** A canary proved every line written up to this mark reached the network. */
  'network-confirmed': [number];
  /** Lines written since the last confirmation may not have reached the network (why). */
  'network-lost': [string];
}

/**
 * The network refusing a line we wrote to a channel: 404 ERR_CANNOTSENDTOCHAN (+n without being
 * in the channel, banned, moderated), 442 ERR_NOTONCHANNEL (servers that answer so for a channel
 * we are not in) or 451 ERR_NOTREGISTERED (a bouncer forwarding before its upstream registered).
 * ZNC 1.8 echoes a PRIVMSG before forwarding it and passes the server's numeric on (measured with
 * Debian's ZNC and ngircd: the echo, then ":irc.lifeline.test 404 lifeline #closed :Cannot send to
 * channel"). Lines to a channel wait while the bouncer rejoins it (channels.ts), so none is
 * written into that window.
 */
const NETWORK_REFUSAL = /^(?:@[^ ]* )?:[^ ]+ (404|442|451) [^ ]+ ([#&!+][^ ]*)(?: :(.*))?\r?\n?$/;

/** A channel line: PRIVMSG/NOTICE to a channel name (RFC 2812 channel prefixes). */
const CHANNEL_LINE = /^(?:PRIVMSG|NOTICE) ([#&!+][^ ]*) :/;

/** After lines that need the network's proof, a canary goes within this (if none is due sooner). */
const CONFIRM_WITHIN_MS = 5_000;

/** How long a keep-alive PING may wait for a spare flood token. */
const PING_MAX_DEFER_MS = 2_000;

/**
 * Owns the connection to the IRC server or bouncer. irc-framework parses the protocol; this class
 * owns the connection's life and wires the concerns that irc-framework does not cover for a
 * watchdog, one file each:
 *  - reconnects forever with capped, jittered backoff, including when the very first attempt
 *    fails (irc-framework only retries after a connection that had registered);
 *  - liveness.ts: dead links found from missing echoes and unanswered PINGs;
 *  - canary.ts: a message through the network that must come back;
 *  - znc.ts: the bouncer's upstream link, tracked separately from ours;
 *  - channels.ts: membership, kicks and rejoins, and the bouncer rejoining after its upstream
 *    came back (a channel counts joined only once the bouncer relays our JOIN);
 *  - sendQueue.ts + pacing.ts: every line paced at what the path carries.
 * It publishes one immutable state snapshot for the rest of the program. A fresh irc-framework
 * Client is made for every attempt, so no state leaks between connections.
 */
export class IrcSupervisor extends EventEmitter<IrcSupervisorEvents> {
  /** Lines waiting for a flood token; outbox deliveries, replies and background lines share it. */
  readonly queue: SendQueue;
  /** The pace in force (lines per second), lowered when the canary shows the path holds lines. */
  readonly pacer: Pacer;
  private client: Client | undefined;
  private attemptInRow = 0;
  private stopped = false;
  private timers = new Map<string, TimerHandle>();
  private nickTries = 0;
  /** Channel/private lines written (canaries excluded), and how many of them the network has proven. */
  private linesWritten = 0;
  private networkConfirmed = 0;
  private s: IrcState;
  private readonly liveness: Liveness;
  private readonly canary: Canary;
  private readonly channels: Channels;

  constructor(
    private readonly cfg: IrcConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly makeClient: ClientFactory = () => new IRC.Client(),
    private readonly random: () => number = Math.random,
  ) {
    super();
    const profile = floodProfile(cfg);
    const bucket = new TokenBucket(clock, profile.burst, profile.linesPerSecond);
    this.queue = new SendQueue(clock, bucket, (line) => this.write(line), {}, (line) => this.heldBack(line));
    this.pacer = new Pacer(bucket, profile, log);
    this.s = {
      link: 'disconnected',
      connectedSinceMs: undefined,
      disconnectedSinceMs: clock.now(),
      lastError: 'not connected yet',
      upstream: 'unknown',
      upstreamSinceMs: undefined,
      canary: { lastOkMs: undefined, lastRttMs: undefined, failing: false },
      joined: [],
      stuck: [],
      nick: cfg.nick,
      lastOutage: undefined,
      attempts: 0,
      echo: false,
      accounts: false,
    };
    this.liveness = new Liveness({
      clock,
      log,
      pingIntervalMs: cfg.ping_interval,
      pingTimeoutMs: cfg.ping_timeout,
      sendBackground: (line, onWritten) => this.queue.push(line, 'background', PING_MAX_DEFER_MS, onWritten),
      onDead: (reason) => this.onDisconnect(reason),
      onUnechoed: (reason) => this.proofLost(reason),
    });
    this.canary = new Canary({
      clock,
      log,
      intervalMs: cfg.canary.interval,
      timeoutMs: cfg.canary.timeout,
      sendBackground: (line, maxDefer, onWritten, busyDefer) => this.queue.push(line, 'background', maxDefer, onWritten, busyDefer),
      nick: () => this.s.nick,
      mark: () => this.linesWritten,
      onOk: (rtt, mark) => this.onCanaryOk(rtt, mark),
      onLost: () => this.onCanaryLost(),
    });
    this.channels = new Channels({
      cfg,
      clock,
      log,
      join: (name, key) => this.client?.join(name, key),
      nick: () => this.s.nick,
      changed: ({ joined, stuck }) => this.update({ joined, stuck }),
    });
  }

  /** The current state snapshot. */
  get state(): IrcState {
    return this.s;
  }

  /** Channel and private lines written so far (canaries excluded): the mark canaries confirm up to. */
  get linesWrittenCount(): number {
    return this.linesWritten;
  }

  /**
   * Whether a line the far end took can still be lost before the network has it: through a
   * bouncer, or to a server that does not echo, only a canary coming back proves delivery.
   * False when no canary runs (nothing could ever confirm), or for a server that echoes itself.
   */
  get confirmsByCanary(): boolean {
    return this.cfg.canary.enabled && !(this.cfg.bouncer === 'none' && this.s.echo);
  }

  /** Asks for a canary within a few seconds, to prove lines just written reached the network. */
  confirmSoon(): void {
    if (this.cfg.canary.enabled) this.canary.confirmSoon(CONFIRM_WITHIN_MS);
  }

  /** Lines written since the last canary that came back through the network was written. */
  get linesAwaitingNetwork(): number {
    return this.linesWritten - this.networkConfirmed;
  }

  /** Lines written to the bouncer that it has not echoed yet. */
  get unconfirmedLines(): number {
    return this.liveness.unconfirmed;
  }

  /**
   * Resolves once every line written so far is proven taken by the far end (the bouncer's echo);
   * rejects (retryable) when the link drops first. Without echo-message it resolves at once.
   */
  whenProven(): Promise<void> {
    return this.liveness.whenProven();
  }

  /** Configured channels the bouncer has not rejoined since its upstream session ended or began. */
  get channelsRejoining(): readonly string[] {
    return this.channels.rejoining;
  }

  /** Bytes allowed per line by the server (ISUPPORT LINELEN, else 512). */
  lineLimit(): number {
    const v = Number(this.client?.network.supports('LINELEN'));
    return Number.isInteger(v) && v >= DEFAULT_LINE_LIMIT ? v : DEFAULT_LINE_LIMIT;
  }

  /** Starts connecting. */
  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Sends QUIT, waits briefly for the server to close, then drops the link for good. */
  async stop(reason = 'Lifeline shutting down'): Promise<void> {
    this.stopped = true;
    this.stopWatching('shutting down');
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    this.queue.failAll('shutting down');
    const c = this.client;
    if (c && this.s.link === 'registered') {
      await new Promise<void>((resolve) => {
        const done = setTimeout(resolve, 2000);
        done.unref();
        c.once('close', () => {
          clearTimeout(done);
          resolve();
        });
        c.quit(reason);
      });
    }
    this.dropClient();
    this.update({ link: 'stopped', connectedSinceMs: undefined, joined: [], stuck: [] });
  }

  /**
   * Writes one raw line now. Returns false when not registered. Callers pass lines that have been
   * through cleanLine (send queue) or are built from constants.
   */
  write(line: string): boolean {
    if (this.s.link !== 'registered' || !this.client) return false;
    if (/[\r\n\0]/.test(line)) throw new Error('refusing to write a line containing CR, LF or NUL');
    this.client.raw(line);
    this.liveness.onWritten(line);
    if (/^(?:PRIVMSG|NOTICE) /.test(line) && !line.startsWith(`PRIVMSG ${this.s.nick} :lifeline-canary `)) this.linesWritten++;
    return true;
  }

  /**
   * Why a line for a channel cannot be written now although the link is up: we are not in the
   * channel (the bouncer is rejoining it, see channels.ts). The line is handed back unwritten
   * (retryable), never written for the network to refuse after the bouncer echoed it.
   */
  private heldBack(line: string): string | undefined {
    const m = CHANNEL_LINE.exec(line);
    if (!m || this.s.link !== 'registered') return undefined;
    const channel = m[1] as string;
    if (this.s.joined.includes(channel.toLowerCase())) return undefined;
    return `not in ${channel} now (${this.channels.rejoining.includes(channel.toLowerCase()) ? 'the bouncer is rejoining it' : 'not joined'}); the line was not written and waits`;
  }

  /**
   * A fact from ZNC about its upstream (znc.ts). Each one means its session with the network ended
   * or began, so it is in no channel until it has rejoined: membership first, so the path never
   * counts ready with the old session's channels.
   */
  private onZncHint(hint: UpstreamHint): void {
    this.channels.awaitRejoin(hint.state === 'up', hint.why);
    this.setUpstream(hint.state, hint.why);
  }

  private update(patch: Partial<IrcState>): void {
    this.s = Object.freeze({ ...this.s, ...patch });
    this.emit('state', this.s);
  }

  private setUpstream(up: UpstreamState, why: string): void {
    if (this.s.upstream === up) return;
    this.log.info({ event: 'irc_upstream', upstream: up, why }, `IRC upstream ${up}: ${why}`);
    if (up === 'down') {
      // Lines written and not echoed were dropped by ZNC (see znc.ts); those echoed before may
      // still sit in ZNC's flood queue, which it discards with its upstream socket.
      this.proofLost(`the bouncer is off its network (${why})`);
      this.liveness.dropUnproven(`the bouncer is off its network (${why})`);
    }
    this.update({ upstream: up, upstreamSinceMs: this.clock.now() });
    // Back on the network: canaries sent while it was away are void; confirm end to end soon.
    if (up === 'up' && this.cfg.canary.enabled) this.canary.newEpoch(1_000);
  }

  /**
   * A canary came back through the network. The server handles one connection's lines in order
   * (and the bouncer forwards them in order), so every line written before it was seen by the
   * network too: that, not the bouncer's echo, is when a line is known to have reached people.
   */
  private onCanaryOk(rttMs: number, mark: number): void {
    if (mark > this.networkConfirmed) {
      this.log.info({ event: 'irc_network_confirmed', lines: mark - this.networkConfirmed, rtt_ms: rttMs }, `${mark - this.networkConfirmed} line(s) written before the canary are confirmed seen by the network`);
      this.networkConfirmed = mark;
      this.emit('network-confirmed', mark);
    }
    this.pacer.onCanaryRtt(rttMs);
    this.update({ canary: { lastOkMs: this.clock.now(), lastRttMs: rttMs, failing: false } });
    if (this.cfg.bouncer !== 'none') this.setUpstream('up', 'canary came back through the network');
  }

  /**
   * Lines written since the last confirmation can no longer be vouched for (link lost, bouncer
   * off its network, canary lost): say so, hand them back (the notifier requeues their entries),
   * and never let a later canary "confirm" lines a dead session may have dropped.
   */
  private proofLost(why: string): void {
    const unproven = this.linesWritten - this.networkConfirmed;
    if (unproven <= 0) return;
    this.log.warn({ event: 'irc_unconfirmed_by_network', lines: unproven, why }, `${unproven} line(s) written since the last canary came back were never confirmed by the network: ${why}`);
    this.networkConfirmed = this.linesWritten;
    this.emit('network-lost', why);
  }

  private onCanaryLost(): void {
    this.proofLost('the canary did not come back through the network');
    this.update({ canary: { ...this.s.canary, failing: true }, lastError: 'canary message did not come back through the network' });
    if (this.cfg.bouncer !== 'none') this.setUpstream('down', 'canary did not come back');
  }

  private timer(name: string, ms: number, fn: () => void): void {
    this.clearTimer(name);
    this.timers.set(
      name,
      this.clock.setTimeout(() => {
        this.timers.delete(name);
        fn();
      }, ms),
    );
  }

  private clearTimer(name: string): void {
    this.clock.clearTimeout(this.timers.get(name));
    this.timers.delete(name);
  }

  private connectOptions(): ConnectOptions {
    const c = this.cfg;
    const opts: ConnectOptions = {
      host: c.host,
      port: c.port,
      nick: this.nickTries === 0 ? c.nick : `${c.nick.slice(0, 26)}_${this.nickTries}`,
      username: c.username ?? c.nick,
      gecos: c.realname,
      tls: c.tls,
      rejectUnauthorized: c.tls_verify,
      // Our own reconnect and ping logic replace irc-framework's (see class comment).
      auto_reconnect: false,
      ping_interval: 0,
      ping_timeout: 0,
      version: null,
      // Echoes prove the bouncer took each line (liveness.ts); requested, used when granted.
      enable_echomessage: true,
      // An empty account disables irc-framework's habit of also trying SASL with the server password.
      account: {},
    };
    if (c.password) opts.password = c.password.reveal();
    if (c.tls) {
      opts.transport = tlsTransport({
        rejectUnauthorized: c.tls_verify,
        ca: c.ca_file ? readFileSync(c.ca_file) : undefined,
        cert: c.client_cert_file ? readFileSync(c.client_cert_file, 'utf8') : undefined,
        key: c.client_key_file ? readFileSync(c.client_key_file, 'utf8') : undefined,
      });
    }
    if (c.sasl?.mechanism === 'PLAIN') {
      opts.account = { account: c.sasl.account, password: c.sasl.password.reveal() };
      opts.sasl_mechanism = 'PLAIN';
      opts.sasl_disconnect_on_fail = true;
    } else if (c.sasl?.mechanism === 'EXTERNAL') {
      opts.sasl_mechanism = 'EXTERNAL';
      opts.sasl_disconnect_on_fail = true;
    }
    return opts;
  }

  private connect(): void {
    if (this.stopped) return;
    this.dropClient();
    let opts: ConnectOptions;
    try {
      opts = this.connectOptions();
    } catch (err) {
      this.onDisconnect(`cannot read TLS files: ${(err as Error).message}`);
      return;
    }
    const client = this.makeClient();
    this.client = client;
    this.channels.reset();
    this.update({ link: 'connecting', attempts: this.s.attempts + 1, joined: [], stuck: [] });
    this.log.info({ event: 'irc_connecting', host: this.cfg.host, port: this.cfg.port, tls: this.cfg.tls, attempt: this.attemptInRow + 1 }, 'connecting to IRC');

    // Events from a client we have already dropped must not touch the current state.
    const mine = <A extends unknown[]>(fn: (...a: A) => void) =>
      (...a: A): void => {
        if (this.client === client) fn(...a);
      };
    client.on('raw', mine((e: RawEvent) => this.onRaw(e)));
    // The nick comes from the event: irc-framework updates client.user.nick only after emitting it.
    client.on('registered', mine((e: { nick: string }) => this.onRegistered(e.nick)));
    client.on('socket close', mine((err: unknown) => this.onDisconnect(err ? `connection closed: ${String((err as Error).message ?? err)}` : 'connection closed by server')));
    client.on('irc error', mine((e: { error: string; reason?: string }) => this.update({ lastError: `server error: ${e.error}${e.reason ? ` (${e.reason})` : ''}` })));
    client.on('sasl failed', mine((e: { reason: string }) => this.update({ lastError: `SASL authentication failed (${e.reason}); check irc.sasl` })));
    client.on('nick in use', mine(() => this.onNickInUse()));
    client.on('join', mine((e: { nick: string; channel: string }) => this.channels.onJoin(e.nick, e.channel)));
    client.on('part', mine((e: { nick: string; channel: string }) => this.channels.onLeave(e.nick, e.channel)));
    client.on('kick', mine((e: { kicked: string; channel: string; nick: string }) => this.channels.onKick(e.kicked, e.channel, e.nick)));
    client.on('privmsg', mine((e: MessageEvent) => this.onMessage(e)));
    client.on('notice', mine((e: MessageEvent) => this.onMessage(e)));
    client.on('nick', mine((e: { nick: string; new_nick: string }) => {
      if (e.nick === this.s.nick) this.update({ nick: e.new_nick });
    }));

    // A TCP connect to a black-holed address, or a server that never finishes registration,
    // would otherwise hang for minutes.
    this.timer('register', this.cfg.register_timeout, () => {
      this.log.warn({ event: 'irc_register_timeout' }, 'IRC registration did not complete in time');
      this.onDisconnect(`registration did not complete within ${this.cfg.register_timeout / 1000}s`);
    });
    client.connect(opts);
  }

  private dropClient(): void {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    c.removeAllListeners();
    c.on('error', () => undefined);
    try {
      c.connection.end(null, true);
    } catch {
      // already closed
    }
  }

  private onRaw(e: RawEvent): void {
    if (!e.from_server) return;
    this.liveness.onRx();
    const own = parseOwnMessage(e.line, this.s.nick);
    if (own) {
      if (this.cfg.bouncer === 'znc') {
        const hint = zncOwnCommandHint(own.target, own.text);
        if (hint) this.onZncHint(hint);
      }
      // The bouncer's echo of a line we wrote proves it took the line; a second copy of a
      // message to ourselves is the network delivering it: the canary.
      if (!this.liveness.onOwnLine(own.command, own.target, own.text)) this.canary.onReturn(own.text);
      return;
    }
    const refused = NETWORK_REFUSAL.exec(e.line);
    if (refused) {
      // The bouncer echoed the line before the network refused it: a later canary proves nothing.
      this.proofLost(`the network refused a line to ${refused[2] as string} (${refused[1] as string}: ${(refused[3] ?? '').slice(0, 80)})`);
      return;
    }
    if (this.cfg.bouncer === 'znc') {
      const hint = zncUpstreamHint(e.line);
      if (hint) this.onZncHint(hint);
    }
  }

  private onRegistered(nick: string): void {
    const now = this.clock.now();
    if (this.s.link === 'registered') {
      // ZNC replays the network's 001 when it gets back upstream: the link itself never dropped.
      return;
    }
    this.clearTimer('register');
    const from = this.s.disconnectedSinceMs;
    const echo = this.client?.network.cap.isEnabled('echo-message') === true;
    const accounts = this.client?.network.cap.isEnabled('account-tag') === true;
    this.update({
      link: 'registered',
      connectedSinceMs: now,
      disconnectedSinceMs: undefined,
      lastOutage: from !== undefined ? { fromMs: from, toMs: now } : this.s.lastOutage,
      lastError: undefined,
      nick,
      echo,
      accounts,
    });
    if (this.cfg.bouncer === 'none') this.setUpstream('up', 'registered with the server');
    this.log.info({ event: 'irc_registered', nick: this.s.nick, echo_message: echo, lines_per_second: this.pacer.rate }, 'registered with IRC');
    this.channels.joinAll();
    this.liveness.start(echo);
    if (this.cfg.canary.enabled) this.canary.start();
    this.queue.pump();
    this.emit('registered');
  }

  private stopWatching(reason: string): void {
    this.liveness.stop(reason);
    this.canary.stop();
    this.channels.reset();
  }

  private onDisconnect(reason: string): void {
    if (this.stopped) return;
    const wasUp = this.s.link === 'registered';
    const livedMs = this.s.connectedSinceMs !== undefined ? this.clock.now() - this.s.connectedSinceMs : 0;
    // Everything watching the connection belongs to the one that is gone.
    for (const name of [...this.timers.keys()]) this.clearTimer(name);
    this.stopWatching(`IRC link lost: ${reason}`);
    // Their fate is unknown: the bouncer may have forwarded them or not.
    this.proofLost(`the IRC link was lost (${reason})`);
    this.dropClient();
    this.queue.failAll(`IRC link lost: ${reason}`);
    // A link that stayed up a while earns a fresh backoff; one that flaps keeps growing it.
    if (livedMs > this.cfg.reconnect.max_delay) this.attemptInRow = 0;
    const delay = backoffDelay(this.attemptInRow, { initialMs: this.cfg.reconnect.initial_delay, maxMs: this.cfg.reconnect.max_delay }, this.random);
    this.attemptInRow++;
    this.update({
      link: 'disconnected',
      connectedSinceMs: undefined,
      disconnectedSinceMs: wasUp || this.s.disconnectedSinceMs === undefined ? this.clock.now() : this.s.disconnectedSinceMs,
      lastError: reason,
      joined: [],
      stuck: [],
      upstream: this.cfg.bouncer === 'none' ? 'down' : this.s.upstream,
    });
    this.log.warn({ event: 'irc_disconnected', reason, retry_in_ms: delay }, `IRC link down: ${reason}`);
    this.timer('reconnect', delay, () => this.connect());
  }

  private onNickInUse(): void {
    if (this.s.link === 'registered') return; // a later NICK change failed; keep the current nick
    this.nickTries++;
    const alt = `${this.cfg.nick.slice(0, 26)}_${this.nickTries}`;
    this.log.warn({ event: 'irc_nick_in_use', trying: alt }, 'nick in use');
    this.client?.changeNick(alt);
  }

  private onMessage(e: MessageEvent): void {
    // Our own lines (echoes, canaries) are handled in onRaw and are never commands.
    if (e.nick.toLowerCase() === this.s.nick.toLowerCase()) return;
    if (this.cfg.bouncer === 'znc' && e.nick === '*status') {
      const hint = zncUpstreamHint(`:*status!znc@znc.in PRIVMSG ${this.s.nick} :${e.message}`);
      if (hint) this.onZncHint(hint);
      return;
    }
    this.emit('message', e);
  }
}

/** A PRIVMSG/NOTICE whose source is our own nick, from a raw line (IRCv3 tags allowed). */
function parseOwnMessage(line: string, nick: string): { command: string; target: string; text: string } | undefined {
  const m = /^(?:@[^ ]* )?:([^ !]+)(?:![^ ]*)? (PRIVMSG|NOTICE) ([^ ]+) :(.*?)\r?\n?$/.exec(line);
  if (!m || (m[1] as string).toLowerCase() !== nick.toLowerCase()) return undefined;
  return { command: m[2] as string, target: m[3] as string, text: m[4] as string };
}
