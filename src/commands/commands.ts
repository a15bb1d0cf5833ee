import type { Config } from '../config/schema.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import type { AckResult, EscalationEngine } from '../escalation/engine.js';
import type { IrcState } from '../notifiers/irc/state.js';
import { cleanValue } from '../notifiers/text.js';
import type { OnCallSchedule } from '../people/oncall.js';
import { parseMatcherText } from '../policy/matchers.js';
import type { AlertStore } from '../store/alerts.js';
import type { Outbox } from '../store/outbox.js';
import type { SilenceStore } from '../store/silences.js';
import type { ProbeStatus } from '../probes/engine.js';
import { deliveryWords } from '../escalation/delivery.js';
import type { PageDelivery } from '../store/incidents.js';
import type { Clock } from '../util/clock.js';

/** What commands can see and change. */
export interface CommandDeps {
  config: Config;
  clock: Clock;
  engine: EscalationEngine;
  schedule: OnCallSchedule;
  alerts: AlertStore;
  outbox: Outbox;
  silences: SilenceStore;
  /** The IRC path, when IRC is configured. */
  ircState(): IrcState | undefined;
  /** The probes' states, when any are configured. */
  probes?(): readonly ProbeStatus[];
}

/** Who is asking, as the transport (IRC, SMS) established it. */
export interface Actor {
  /** Shown in replies and recorded with acks and silences ("alice", "alice (SMS)"). */
  name: string;
  /** Whether this actor may change state (ack, unack, silence, unsilence). */
  mayChange: boolean;
}

/** Longest silence a command may set. */
const MAX_SILENCE_MS = 7 * 86_400_000;

/**
 * The commands themselves, once, whatever carried them: IRC (commands/irc.ts) and SMS replies
 * (commands/sms.ts) both end here. Reading commands are for everyone; changing ones only for an
 * actor the transport authorized. Returns the reply lines.
 */
export class Commands {
  constructor(private readonly d: CommandDeps) {}

  /** The help text, with the configured prefix. */
  help(): string[] {
    const p = this.d.config.commands.prefix;
    return [
      `${p}alerts - firing alerts and open incidents`,
      `${p}status - the IRC path, outbox and incidents`,
      `${p}oncall - who is on call now`,
      `${p}ack ID / ${p}unack ID - acknowledge an incident / take it back`,
      `${p}silence MATCHERS DURATION - e.g. ${p}silence alertname=HostDown instance=~vpn-.* 2h`,
      `${p}silences / ${p}unsilence ID - list active silences / end one now`,
    ];
  }

  /** Runs one command (lower-case name, arguments) for an actor. */
  run(cmd: string, args: readonly string[], who: Actor): string[] {
    switch (cmd) {
      case 'help':
        return this.help();
      case 'oncall':
        return this.oncall();
      case 'status':
        return this.status();
      case 'alerts':
        return this.alerts();
      case 'silences':
        return this.listSilences();
      case 'ack':
      case 'unack':
      case 'silence':
      case 'unsilence':
        if (!who.mayChange) return [`sorry ${who.name}, you may not ${cmd.endsWith('silence') ? 'set silences' : 'change incidents'} here (see commands.allowed)`];
        return cmd === 'silence' ? this.silence(args, who) : cmd === 'unsilence' ? this.unsilence(args, who) : this.ack(cmd, args[0], who);
      default:
        return [`unknown command "${cleanValue(cmd, 30)}"; try ${this.d.config.commands.prefix}help`];
    }
  }

  private oncall(): string[] {
    const shifts = this.d.schedule.shifts(this.d.clock.now());
    if (shifts.length === 0) return ['nobody is on call: no rotation is configured'];
    return shifts.map((s) => `${s.rotation}: ${s.person.name} until ${new Date(s.untilMs).toISOString().slice(0, 16).replace('T', ' ')} UTC${s.override ? ' (override)' : ''}`);
  }

  private status(): string[] {
    const st = this.d.ircState();
    const open = this.d.engine.incidents.unresolved();
    const since = st?.connectedSinceMs !== undefined ? `up ${formatDuration(this.d.clock.now() - st.connectedSinceMs)}` : st?.link;
    const irc = st ? `IRC ${since}, upstream ${st.upstream}, canary ${st.canary.failing ? 'FAILING' : 'ok'}` : 'IRC not configured';
    const lines = [`${irc}; outbox ${this.d.outbox.pendingCount()} pending; incidents ${open.filter((i) => i.state === 'open').length} open, ${open.filter((i) => i.state === 'acked').length} acked`];
    const probes = this.d.probes?.() ?? [];
    if (probes.length > 0) {
      const down = probes.filter((p) => p.status === 'down');
      const failing = probes.filter((p) => p.status !== 'down' && p.last && !p.last.up);
      lines.push(`probes: ${probes.length - down.length} of ${probes.length} up${failing.length ? `, ${failing.length} failing (not yet an alert)` : ''}`);
      for (const p of down.slice(0, 5)) lines.push(`  DOWN ${p.name} since ${formatDuration(this.d.clock.now() - p.sinceMs)}${p.behind ? ` (behind ${p.behind})` : ''}: ${p.last?.summary ?? ''}`);
      if (down.length > 5) lines.push(`  and ${down.length - 5} more down`);
    }
    return lines;
  }

  private alerts(): string[] {
    const counts = this.d.alerts.countByStatus();
    const open = this.d.engine.incidents.unresolved(8);
    const lines = [`${counts.firing} firing`];
    // The latest page of each incident, and what became of it (receipts and calls included).
    const last = new Map<number, PageDelivery>();
    for (const p of this.d.engine.incidents.pageLog(200, open.map((i) => i.id))) if (!last.has(p.incidentId)) last.set(p.incidentId, p);
    for (const i of open) {
      const p = last.get(i.id);
      const paged = p ? `; paged ${p.person} by ${p.channel} ${new Date(p.createdMs).toISOString().slice(11, 16)} UTC: ${deliveryWords(p).text}` : '';
      lines.push(`  ${i.ackCode} ${i.state.toUpperCase()} [${i.severity}] ${i.title}${i.ackedBy ? ` (ack ${i.ackedBy})` : ''}${paged}`);
    }
    if (open.length === 0) lines.push('  no open incidents');
    return lines;
  }

  /** Acknowledges an incident by id for an actor the transport authorized; each transport words the answer. */
  acknowledge(code: string, who: Actor): AckResult {
    return who.mayChange ? this.d.engine.ack(code, who.name) : { ok: false, reason: `${who.name} may not acknowledge` };
  }

  private ack(cmd: 'ack' | 'unack', code: string | undefined, who: Actor): string[] {
    if (!code || !/^[A-Za-z0-9]{4}$/.test(code)) return [`usage: ${this.d.config.commands.prefix}${cmd} ID (the 4-character id from the page)`];
    const r = cmd === 'ack' ? this.acknowledge(code, who) : this.d.engine.unack(code, who.name);
    if (!r.ok) return [r.reason];
    return [cmd === 'ack' ? `${r.incident.ackCode} acknowledged by ${who.name}: ${r.incident.title}` : `${r.incident.ackCode} unacknowledged by ${who.name}; paging resumes`];
  }

  private silence(args: readonly string[], who: Actor): string[] {
    const now = this.d.clock.now();
    const ms = parseDuration(args.at(-1) ?? '');
    if (args.length < 2 || ms === undefined) return [`usage: ${this.d.config.commands.prefix}silence label=value [label=~regex ...] DURATION (e.g. 2h)`];
    if (ms > MAX_SILENCE_MS) return ['a silence may last at most 7d'];
    let matchers: Record<string, string>;
    try {
      matchers = parseMatcherText(args.slice(0, -1).join(' '));
    } catch (err) {
      return [cleanValue((err as Error).message, 200)];
    }
    const s = this.d.silences.add(matchers, who.name, now, now + ms);
    return [`silence #${s.id} set by ${who.name} for ${formatDuration(ms)}: ${matcherText(matchers)}`];
  }

  private listSilences(): string[] {
    const now = this.d.clock.now();
    const active = this.d.silences.active(now);
    if (active.length === 0) return ['no active silences'];
    const shown = active.slice(0, 8).map((s) => `  #${s.id} ${cleanValue(matcherText(s.matchers), 200)} by ${cleanValue(s.createdBy, 40)}, ${formatDuration(s.expiresMs - now)} left`);
    return [`${active.length} active silence(s)`, ...shown, ...(active.length > shown.length ? [`  …and ${active.length - shown.length} more`] : [])];
  }

  private unsilence(args: readonly string[], who: Actor): string[] {
    const id = Number((args[0] ?? '').replace(/^#/, ''));
    if (!Number.isInteger(id) || id <= 0) return [`usage: ${this.d.config.commands.prefix}unsilence ID (see ${this.d.config.commands.prefix}silences)`];
    return this.d.silences.end(id, this.d.clock.now()) ? [`silence #${id} ended by ${who.name}`] : [`no active silence #${id}`];
  }
}

/** Matchers as people type them: label=value, label=~regex. */
function matcherText(matchers: Readonly<Record<string, string>>): string {
  return Object.entries(matchers)
    .map(([k, v]) => (v.startsWith('~') ? `${k}=~${v.slice(1)}` : `${k}=${v}`))
    .join(' ');
}
