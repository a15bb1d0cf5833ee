import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import IRC, { type Client, type ConnectOptions, type MessageEvent, type RawEvent } from 'irc-framework';
import type { IrcConfig } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import { backoffDelay } from '../../util/backoff.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { DEFAULT_LINE_LIMIT } from './split.js';
import { tlsTransport } from './transport.js';
import type { IrcState, UpstreamState } from './state.js';
import { zncUpstreamHint } from './znc.js';

/** Makes irc-framework clients; tests may pass their own. */
export type ClientFactory = () => Client;

/** Events: 'state' (IrcState) on every change; 'message' (MessageEvent) for incoming PRIVMSGs. */
export interface IrcSupervisorEvents {
  state: [IrcState];
  message: [MessageEvent];
  registered: [];
}

/**
 * Owns the connection to the IRC server or bouncer. irc-framework parses the protocol; this class
 * owns everything irc-framework gets wrong for a watchdog:
 *  - reconnects forever with capped, jittered backoff, including when the very first attempt
 *    fails (irc-framework only retries after a connection that had registered);
 *  - finds dead links itself: a PING after `ping_interval` of silence, and the link is declared
 *    dead after `ping_timeout` more (half-open TCP and a SIGSTOPped bouncer look exactly alike);
 *  - tracks the bouncer's upstream separately from the link (see znc.ts) and runs a canary
 *    message through the network that must come back;
 *  - publishes one immutable state snapshot for the rest of the program.
 * A fresh irc-framework Client is made for every attempt, so no state leaks between connections.
 */
export class IrcSupervisor extends EventEmitter<IrcSupervisorEvents> {
  private client: Client | undefined;
  private attemptInRow = 0;
  private stopped = false;
  private timers = new Map<string, TimerHandle>();
  private lastRxMs = 0;
  private pingOutstandingSince: number | undefined;
  /** Canaries in flight, token → sent time. Several may overlap when the interval is short. */
  private canaries = new Map<string, number>();
  private nickTries = 0;
  private joined = new Set<string>();
  private s: IrcState;
  /** Writes a canary line; set by whoever owns the send queue so canaries obey flood control. */
  canarySender: ((line: string) => void) | undefined;

  constructor(
    private readonly cfg: IrcConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly makeClient: ClientFactory = () => new IRC.Client(),
    private readonly random: () => number = Math.random,
  ) {
    super();
    this.s = {
      link: 'disconnected',
      connectedSinceMs: undefined,
      disconnectedSinceMs: clock.now(),
      lastError: 'not connected yet',
      upstream: 'unknown',
      upstreamSinceMs: undefined,
      canary: { lastOkMs: undefined, lastRttMs: undefined, failing: false },
      joined: [],
      nick: cfg.nick,
      lastOutage: undefined,
      attempts: 0,
    };
  }

  /** The current state snapshot. */
  get state(): IrcState {
    return this.s;
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
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
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
    this.update({ link: 'stopped', connectedSinceMs: undefined, joined: [] });
  }

  /**
   * Writes one raw line now. Returns false when not registered. Callers pass lines that have been
   * through cleanLine (send queue) or are built from constants.
   */
  write(line: string): boolean {
    if (this.s.link !== 'registered' || !this.client) return false;
    if (/[\r\n\0]/.test(line)) throw new Error('refusing to write a line containing CR, LF or NUL');
    this.client.raw(line);
    return true;
  }

  private update(patch: Partial<IrcState>): void {
    this.s = Object.freeze({ ...this.s, ...patch });
    this.emit('state', this.s);
  }

  private setUpstream(up: UpstreamState, why: string): void {
    if (this.s.upstream === up) return;
    this.log.info({ event: 'irc_upstream', upstream: up, why }, `IRC upstream ${up}: ${why}`);
    this.update({ upstream: up, upstreamSinceMs: this.clock.now() });
    // Confirm a recovery end to end soon rather than at the next canary interval.
    if (up === 'up' && this.s.canary.failing && this.cfg.canary.enabled && this.s.link === 'registered') {
      this.timer('canary', 1_000, () => this.sendCanary());
    }
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
    this.joined.clear();
    this.update({ link: 'connecting', attempts: this.s.attempts + 1, joined: [] });
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
    client.on('join', mine((e: { nick: string; channel: string }) => this.onJoin(e)));
    client.on('part', mine((e: { nick: string; channel: string }) => this.onLeave(e.nick, e.channel)));
    client.on('kick', mine((e: { kicked: string; channel: string; nick: string; message: string }) => this.onKick(e)));
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
    this.lastRxMs = this.clock.now();
    this.pingOutstandingSince = undefined;
    if (this.cfg.bouncer === 'znc') {
      const hint = zncUpstreamHint(e.line);
      if (hint) this.setUpstream(hint.state, hint.why);
    }
  }

  private onRegistered(nick: string): void {
    const now = this.clock.now();
    if (this.s.link === 'registered') {
      // ZNC replays the network's 001 when it gets back upstream: the link itself never dropped.
      return;
    }
    this.clearTimer('register');
    this.lastRxMs = now;
    const from = this.s.disconnectedSinceMs;
    this.update({
      link: 'registered',
      connectedSinceMs: now,
      disconnectedSinceMs: undefined,
      lastOutage: from !== undefined ? { fromMs: from, toMs: now } : this.s.lastOutage,
      lastError: undefined,
      nick,
    });
    if (this.cfg.bouncer === 'none') this.setUpstream('up', 'registered with the server');
    this.log.info({ event: 'irc_registered', nick: this.s.nick }, 'registered with IRC');
    for (const ch of this.cfg.channels) this.client?.join(ch.name, ch.key?.reveal());
    this.schedulePing();
    if (this.cfg.canary.enabled) this.timer('canary', Math.min(5_000, this.cfg.canary.interval), () => this.sendCanary());
    this.emit('registered');
  }

  private onDisconnect(reason: string): void {
    if (this.stopped) return;
    const wasUp = this.s.link === 'registered';
    const livedMs = this.s.connectedSinceMs !== undefined ? this.clock.now() - this.s.connectedSinceMs : 0;
    // Every timer belongs to the connection that is gone (ping, canaries, rejoins, registration).
    for (const name of [...this.timers.keys()]) this.clearTimer(name);
    this.dropClient();
    this.canaries.clear();
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

  private onJoin(e: { nick: string; channel: string }): void {
    if (e.nick !== this.s.nick) return;
    this.joined.add(e.channel.toLowerCase());
    this.update({ joined: [...this.joined] });
    this.log.info({ event: 'irc_joined', channel: e.channel }, 'joined channel');
  }

  private onLeave(nick: string, channel: string): void {
    if (nick !== this.s.nick) return;
    this.joined.delete(channel.toLowerCase());
    this.update({ joined: [...this.joined] });
  }

  private onKick(e: { kicked: string; channel: string; nick: string; message: string }): void {
    if (e.kicked !== this.s.nick) return;
    this.onLeave(e.kicked, e.channel);
    this.log.warn({ event: 'irc_kicked', channel: e.channel, by: e.nick }, 'kicked; rejoining');
    const ch = this.cfg.channels.find((c) => c.name.toLowerCase() === e.channel.toLowerCase());
    if (ch) this.timer(`rejoin:${ch.name}`, this.cfg.rejoin_delay, () => this.client?.join(ch.name, ch.key?.reveal()));
  }

  private onMessage(e: MessageEvent): void {
    const own = this.s.nick;
    const sentMs = e.nick === own ? this.canaries.get(e.message) : undefined;
    if (sentMs !== undefined) {
      // Any canary coming back proves the path; those sent before it are settled too.
      const now = this.clock.now();
      for (const [token, at] of this.canaries) {
        if (at <= sentMs) {
          this.canaries.delete(token);
          this.clearTimer(`canaryTimeout:${token}`);
        }
      }
      this.update({ canary: { lastOkMs: now, lastRttMs: now - sentMs, failing: false } });
      if (this.cfg.bouncer !== 'none') this.setUpstream('up', 'canary came back through the network');
      return;
    }
    if (this.cfg.bouncer === 'znc' && e.nick === '*status') {
      const hint = zncUpstreamHint(`:*status!znc@znc.in PRIVMSG ${own ?? '*'} :${e.message}`);
      if (hint) this.setUpstream(hint.state, hint.why);
      return;
    }
    this.emit('message', e);
  }

  /** Dead-link detection: PING after `ping_interval` of silence; dead after `ping_timeout` more. */
  private schedulePing(): void {
    const now = this.clock.now();
    if (this.pingOutstandingSince !== undefined) {
      const deadline = this.pingOutstandingSince + this.cfg.ping_timeout;
      if (now >= deadline) {
        const silent = Math.round((now - this.lastRxMs) / 1000);
        this.log.warn({ event: 'irc_dead_link', silent_s: silent }, 'IRC link dead: no reply to PING');
        this.onDisconnect(`no data from the server for ${silent}s (ping timeout)`);
        return;
      }
      this.timer('ping', deadline - now, () => this.schedulePing());
      return;
    }
    const due = this.lastRxMs + this.cfg.ping_interval;
    if (now >= due) {
      this.pingOutstandingSince = now;
      this.write(`PING :lifeline-${now}`);
      this.timer('ping', this.cfg.ping_timeout, () => this.schedulePing());
      return;
    }
    this.timer('ping', due - now, () => this.schedulePing());
  }

  /**
   * The canary: a PRIVMSG to our own nick. The server (behind the bouncer) delivers it back to us,
   * so it only returns if the whole path works: bouncer, its upstream link, and the network.
   */
  private sendCanary(): void {
    if (this.s.link !== 'registered') return;
    const own = this.s.nick;
    const token = `lifeline-canary ${randomBytes(6).toString('hex')}`;
    this.canaries.set(token, this.clock.now());
    // Lost canaries stay recognisable (a late echo still proves the path), ten at most.
    if (this.canaries.size > 10) this.canaries.delete(this.canaries.keys().next().value as string);
    const line = `PRIVMSG ${own} :${token}`;
    if (this.canarySender) this.canarySender(line);
    else this.write(line);
    this.timer(`canaryTimeout:${token}`, this.cfg.canary.timeout, () => {
      if (!this.canaries.has(token)) return; // it came back in time
      this.log.warn({ event: 'irc_canary_lost', timeout_ms: this.cfg.canary.timeout }, 'canary message did not come back');
      this.update({ canary: { ...this.s.canary, failing: true }, lastError: 'canary message did not come back through the network' });
      if (this.cfg.bouncer !== 'none') this.setUpstream('down', 'canary did not come back');
    });
    this.timer('canary', this.cfg.canary.interval, () => this.sendCanary());
  }
}
