import { RE2JS } from 're2js';
import { compileRegex } from '../util/regex.js';
import type { MessageEvent } from 'irc-framework';
import type { Config } from '../config/schema.js';
import type { IrcState } from '../notifiers/irc/state.js';
import type { Commands } from './commands.js';

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

/** Glob match for hostmasks: * any run, ? one character; case-insensitive, linear time (RE2). */
function globMatch(pattern: string, value: string): boolean {
  const body = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : RE2JS.quote(c))).join('');
  return compileRegex(body, RE2JS.CASE_INSENSITIVE).matches(value);
}

/** What the IRC side needs. */
export interface IrcCommandDeps {
  config: Config;
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
  constructor(private readonly d: IrcCommandDeps) {}

  private mayChange(m: CommandMessage): boolean {
    const mask = `${m.nick}!${m.ident}@${m.hostname}`;
    return this.d.config.commands.allowed.some((rule) => {
      const [kind, value] = [rule.slice(0, rule.indexOf(':')), rule.slice(rule.indexOf(':') + 1)];
      if (kind === 'nick') return value.toLowerCase() === m.nick.toLowerCase();
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
    const isChannel = /^[#&!+]/.test(m.target);
    const replyTo = isChannel ? m.target : m.nick;
    const [cmd = '', ...args] = m.text.slice(prefix.length).trim().split(/\s+/);
    const lines = this.d.commands.run(cmd.toLowerCase(), args, { name: m.nick, mayChange: this.mayChange(m) });
    for (const l of lines) this.d.say(replyTo, l, !isChannel);
    return lines;
  }
}
