import type { MessageEvent } from 'irc-framework';
import type { Config } from '../../config/schema.js';
import { formatDuration, parseDuration } from '../../config/duration.js';
import type { EscalationEngine } from '../../escalation/engine.js';
import type { OnCallSchedule } from '../../people/oncall.js';
import { parseMatcherText } from '../../policy/matchers.js';
import type { SilenceStore } from '../../store/silences.js';
import type { AlertStore } from '../../store/alerts.js';
import type { Outbox } from '../../store/outbox.js';
import type { Clock } from '../../util/clock.js';
import { cleanValue } from '../text.js';
import type { IrcState } from './state.js';

/** What commands can see and change. */
export interface CommandDeps {
  config: Config;
  clock: Clock;
  engine: EscalationEngine;
  schedule: OnCallSchedule;
  alerts: AlertStore;
  outbox: Outbox;
  silences: SilenceStore;
  ircState(): IrcState;
  /** Sends a reply line to a channel or nick. */
  say(target: string, text: string, notice: boolean): void;
}

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

const HELP = [
  '!alerts - firing alerts and open incidents',
  '!status - the IRC path, outbox and incidents',
  '!oncall - who is on call now',
  '!ack ID / !unack ID - acknowledge an incident / take it back',
  '!silence MATCHERS DURATION - e.g. !silence alertname=HostDown instance=~vpn-.* 2h',
];

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

/** Glob match for hostmasks: * any run, ? one character; case-insensitive. */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(value);
}

/**
 * IRC commands, in a channel or by private message. Reading commands (!alerts, !status, !oncall,
 * !help) are for everyone; changing ones (!ack, !unack, !silence) only for configured nicks,
 * accounts or hostmasks. Messages replayed from the bouncer's playback buffer are ignored: they
 * come in a "znc.in/playback" batch or carry a server time from before we connected.
 */
export class CommandHandler {
  constructor(private readonly d: CommandDeps) {}

  private authorized(m: CommandMessage): boolean {
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
    const lines = this.run(cmd.toLowerCase(), args, m);
    for (const l of lines) this.d.say(replyTo, l, !isChannel);
    return lines;
  }

  private run(cmd: string, args: string[], m: CommandMessage): string[] {
    const now = this.d.clock.now();
    switch (cmd) {
      case 'help':
        return HELP;
      case 'oncall': {
        const shifts = this.d.schedule.shifts(now);
        if (shifts.length === 0) return ['nobody is on call: no rotation is configured'];
        return shifts.map((s) => `${s.rotation}: ${s.person.name} until ${new Date(s.untilMs).toISOString().slice(0, 16).replace('T', ' ')} UTC${s.override ? ' (override)' : ''}`);
      }
      case 'status': {
        const st = this.d.ircState();
        const open = this.d.engine.incidents.unresolved();
        const since = st.connectedSinceMs !== undefined ? `up ${formatDuration(now - st.connectedSinceMs)}` : st.link;
        return [`IRC ${since}, upstream ${st.upstream}, canary ${st.canary.failing ? 'FAILING' : 'ok'}; outbox ${this.d.outbox.pendingCount()} pending; incidents ${open.filter((i) => i.state === 'open').length} open, ${open.filter((i) => i.state === 'acked').length} acked`];
      }
      case 'alerts': {
        const counts = this.d.alerts.countByStatus();
        const open = this.d.engine.incidents.unresolved(8);
        const lines = [`${counts.firing} firing`];
        for (const i of open) lines.push(`  ${i.ackCode} ${i.state.toUpperCase()} [${i.severity}] ${i.title}${i.ackedBy ? ` (ack ${i.ackedBy})` : ''}`);
        if (open.length === 0) lines.push('  no open incidents');
        return lines;
      }
      case 'ack':
      case 'unack': {
        if (!this.authorized(m)) return [`sorry ${m.nick}, you may not change incidents here (see commands.allowed)`];
        const code = args[0];
        if (!code || !/^[A-Za-z0-9]{4}$/.test(code)) return [`usage: ${this.d.config.commands.prefix}${cmd} ID (the 4-character id from the page)`];
        const r = cmd === 'ack' ? this.d.engine.ack(code, m.nick) : this.d.engine.unack(code, m.nick);
        if (!r.ok) return [r.reason];
        return [cmd === 'ack' ? `${r.incident.ackCode} acknowledged by ${m.nick}: ${r.incident.title}` : `${r.incident.ackCode} unacknowledged by ${m.nick}; paging resumes`];
      }
      case 'silence': {
        if (!this.authorized(m)) return [`sorry ${m.nick}, you may not set silences here (see commands.allowed)`];
        const durationText = args.at(-1) ?? '';
        const ms = parseDuration(durationText);
        if (args.length < 2 || ms === undefined) return [`usage: ${this.d.config.commands.prefix}silence label=value [label=~regex ...] DURATION (e.g. 2h)`];
        if (ms > 7 * 86_400_000) return ['a silence may last at most 7d'];
        let matchers: Record<string, string>;
        try {
          matchers = parseMatcherText(args.slice(0, -1).join(' '));
        } catch (err) {
          return [cleanValue((err as Error).message, 200)];
        }
        const s = this.d.silences.add(matchers, m.nick, now, now + ms);
        const text = Object.entries(matchers).map(([k, v]) => (v.startsWith('~') ? `${k}=~${v.slice(1)}` : `${k}=${v}`)).join(' ');
        return [`silence #${s.id} set by ${m.nick} for ${formatDuration(ms)}: ${text}`];
      }
      default:
        return [`unknown command "${cleanValue(cmd, 30)}"; try ${this.d.config.commands.prefix}help`];
    }
  }
}
