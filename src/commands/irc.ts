import { re2js } from '../util/lazy.js';
import { compileRegex } from '../util/regex.js';
import type { MessageEvent } from 'irc-framework';
import type { Config } from '../config/schema.js';
import type { Clock } from '../util/clock.js';
import { TokenBucket } from '../util/tokenBucket.js';
import type { IrcState } from '../notifiers/irc/state.js';
import type { Commands } from './commands.js';
import type { Logger } from '../observability/logger.js';

/** A parsed IRC message as commands need it. */
export interface CommandMessage {
  nick: string;
  ident: string;
  hostname: string;
  account: string | undefined;
  target: string;
  text: string;
  /** Server time of the message (IRCv3 server-time), when the server sent one. */
  timeMs: number | undefined;
  /** IRCv3 batch type, e.g. "znc.in/playback". */
  batch: string | undefined;
  /** NOTICEs are never answered (bots must not answer each other's notices). */
  notice: boolean;
}

/** Turns an irc-framework event into a CommandMessage. */
export function commandMessage(e: MessageEvent & { batch?: { type?: string } }): CommandMessage {
  return {
    nick: e.nick,
    ident: e.ident,
    hostname: e.hostname,
    account: e.account ?? e.tags?.['account'],
    target: e.target,
    text: e.message,
    timeMs: typeof e.time === 'number' && e.time > 0 ? e.time : undefined,
    batch: e.batch?.type,
    notice: e.type === 'notice',
  };
}

/** Senders whose command budgets are tracked at once. */
const MAX_SENDERS = 10_000;

/** Glob match for hostmasks: * any run, ? one character; case-insensitive, linear time (RE2). */
function globMatch(pattern: string, value: string): boolean {
  const { RE2JS } = re2js();
  const body = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : RE2JS.quote(c))).join('');
  return compileRegex(body, RE2JS.CASE_INSENSITIVE).matches(value);
}

/** What the IRC side needs. */
/**
 * Warns when commands.allowed has only nick: rules: anyone who takes a free nick could ack and
 * silence. Where the network tags accounts (IRCv3 account-tag), nick rules count only for
 * identified senders.
 */
export function warnNickOnlyRules(allowed: readonly string[], log: Logger): void {
  if (allowed.length === 0 || !allowed.every((r) => r.startsWith('nick:'))) return;
  log.warn(
    { event: 'commands_nick_only', key: 'commands.allowed' },
    'commands.allowed has only nick: rules; anyone who takes a free nick may ack and silence. Prefer "account:NAME" (IRCv3 account-tag) or "host:MASK"; where the network tags accounts, nick rules count only for identified senders',
  );
}

export interface IrcCommandDeps {
  config: Config;
  clock: Clock;
  commands: Commands;
  ircState(): IrcState;
  /** Sends a reply line to a channel or nick. */
  say(target: string, text: string, notice: boolean): void;
}

/**
 * Commands from IRC, in a channel or by private message: who may change state comes from
 * `commands.allowed` (nick, IRCv3 account or hostmask). Messages replayed from the bouncer's
 * playback buffer are ignored: they come in a "znc.in/playback" batch or carry a server time from
 * before we connected. Replies go to the channel, or by notice to a private sender.
 */
export class IrcCommands {
  /** Per-sender command budgets, keyed by lower-cased nick!user@host. */
  private readonly budgets = new Map<string, TokenBucket>();

  constructor(private readonly d: IrcCommandDeps) {}

  /**
   * Whether this sender may give another command now. Each nick!user@host has its own bucket;
   * the map is pruned of full buckets, and bounded so a crowd of new masks cannot grow it
   * without end (past the bound, new senders wait until it shrinks).
   */
  private withinRate(m: CommandMessage): boolean {
    const key = `${m.nick}!${m.ident}@${m.hostname}`.toLowerCase();
    const c = this.d.config.commands;
    let b = this.budgets.get(key);
    if (!b) {
      if (this.budgets.size >= MAX_SENDERS) {
        for (const [k, v] of this.budgets) if (v.waitMs(c.rate_burst) === 0) this.budgets.delete(k);
        if (this.budgets.size >= MAX_SENDERS) return false;
      }
      b = new TokenBucket(this.d.clock, c.rate_burst, 1000 / c.rate_interval);
      this.budgets.set(key, b);
    }
    return b.tryTake();
  }

  private mayChange(m: CommandMessage): boolean {
    const mask = `${m.nick}!${m.ident}@${m.hostname}`;
    const identified = m.account !== undefined && m.account !== '' && m.account !== '*';
    return this.d.config.commands.allowed.some((rule) => {
      const [kind, value] = [rule.slice(0, rule.indexOf(':')), rule.slice(rule.indexOf(':') + 1)];
      // Where the network tags accounts, an untagged message comes from a nick nobody vouches for.
      if (kind === 'nick') return value.toLowerCase() === m.nick.toLowerCase() && (identified || !this.d.ircState().accounts);
      if (kind === 'account') return m.account !== undefined && value.toLowerCase() === m.account.toLowerCase();
      return globMatch(value, mask);
    });
  }

  /** Handles one message; returns the reply lines it sent (for tests and logs). */
  handle(m: CommandMessage): string[] {
    const prefix = this.d.config.commands.prefix;
    const st = this.d.ircState();
    if (m.notice || !m.text.startsWith(prefix) || m.nick === st.nick) return [];
    if (m.batch === 'znc.in/playback') return [];
    if (m.timeMs !== undefined && st.connectedSinceMs !== undefined && m.timeMs < st.connectedSinceMs - 2_000) return [];
    if (!this.withinRate(m)) return [];
    const isChannel = /^[#&!+]/.test(m.target);
    const replyTo = isChannel ? m.target : m.nick;
    const [cmd = '', ...args] = m.text.slice(prefix.length).trim().split(/\s+/);
    const lines = this.d.commands.run(cmd.toLowerCase(), args, { name: m.nick, mayChange: this.mayChange(m) });
    for (const l of lines) this.d.say(replyTo, l, !isChannel);
    return lines;
  }
}
