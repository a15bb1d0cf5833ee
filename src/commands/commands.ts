import type { Config } from '../config/schema.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import type { AckResult, EscalationEngine } from '../escalation/engine.js';
import type { IrcState } from '../notifiers/irc/state.js';
import { cleanValue } from '../notifiers/text.js';
import type { OnCallSchedule } from '../people/oncall.js';
import { matcherText, parseMatchers, type Matcher } from '../policy/matchers.js';
import type { AlertStore } from '../store/alerts.js';
import type { Outbox } from '../store/outbox.js';
import type { Mutes } from '../pipeline/mutes.js';
import type { Incident } from '../store/incidents.js';
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
  /** Silences (and what they hold). */
  mutes: Mutes;
  /** The IRC path, when IRC is configured. */
  ircState(): IrcState | undefined;
  /** The probes' states, when any are configured. */
  probes?(): readonly ProbeStatus[];
  /** Alerts that fire by design (a dead man's switch's Watchdog): not counted as firing. */
  quietNames?: readonly string[];
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
      `${p}ack ID [ID ...] / ${p}ack ID+ / ${p}unack ID - acknowledge incidents / every incident of ID's alert group / take it back`,
      `${p}silence MATCHERS DURATION - e.g. ${p}silence alertname=HostDown instance=~"vpn-.*" 2h (Alertmanager's = != =~ !~)`,
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
        return cmd === 'silence' ? this.silence(args, who) : cmd === 'unsilence' ? this.unsilence(args, who) : cmd === 'ack' ? this.ackAll(args, who) : this.unack(args[0], who);
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
    const counts = this.d.alerts.countByStatus(this.d.quietNames);
    const open = this.d.engine.incidents.unresolved(8);
    const all = this.d.engine.incidents.countUnresolved();
    const shown = open.length < all.open + all.acked ? `; the newest ${open.length} of ${all.open + all.acked} incidents:` : open.length > 0 ? `; ${open.length} incident${open.length === 1 ? '' : 's'}:` : '';
    const lines = [`${counts.firing} firing${shown}`];
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

  /**
   * Acknowledges every code given ("26S7 VWZV"), a whole alert group with "26S7+", and says
   * which codes were not found or could not be acknowledged: one line per incident acknowledged,
   * then one line for the rest. Used by IRC and SMS alike.
   */
  acknowledgeAll(codes: readonly string[], who: Actor): { acked: Incident[]; lines: string[] } {
    const usage = `usage: ${this.d.config.commands.prefix}ack ID [ID ...] or ${this.d.config.commands.prefix}ack ID+ (the 4-character ids from the pages; + takes the id's whole alert group)`;
    if (codes.length === 0) return { acked: [], lines: [usage] };
    if (codes.length > MAX_ACK_CODES) return { acked: [], lines: [`at most ${MAX_ACK_CODES} ids at once; for a whole alert group write ID+`] };
    const bad = codes.filter((c) => !/^[A-Za-z0-9]{4}\+?$/.test(c));
    if (bad.length > 0) return { acked: [], lines: [`"${cleanValue(bad[0] as string, 20)}" is not an incident id; ${usage}`] };
    const acked: Incident[] = [];
    const problems: string[] = [];
    for (const c of new Set(codes.map((x) => x.toUpperCase()))) {
      if (!who.mayChange) {
        problems.push(`${who.name} may not acknowledge`);
        break;
      }
      if (c.endsWith('+')) {
        const r = this.d.engine.ackGroup(c.slice(0, -1), who.name);
        if (r.ok) acked.push(...r.incidents.filter((i) => !acked.some((a) => a.id === i.id)));
        else problems.push(r.reason);
        continue;
      }
      const r = this.d.engine.ack(c, who.name);
      if (r.ok) acked.push(r.incident);
      else problems.push(r.reason);
    }
    const lines = acked.map((i) => `${i.ackCode} acknowledged by ${who.name}: ${i.title}`);
    if (problems.length > 0) lines.push(`${acked.length > 0 ? 'not acknowledged: ' : ''}${problems.join('; ')}`);
    return { acked, lines };
  }

  private ackAll(args: readonly string[], who: Actor): string[] {
    return this.acknowledgeAll(args, who).lines;
  }

  private unack(code: string | undefined, who: Actor): string[] {
    if (!code || !/^[A-Za-z0-9]{4}$/.test(code)) return [`usage: ${this.d.config.commands.prefix}unack ID (the 4-character id from the page)`];
    const r = this.d.engine.unack(code, who.name);
    if (!r.ok) return [r.reason];
    return [`${r.incident.ackCode} unacknowledged by ${who.name}; paging resumes`];
  }

  private silence(args: readonly string[], who: Actor): string[] {
    const ms = parseDuration(args.at(-1) ?? '');
    if (args.length < 2 || ms === undefined) return [`usage: ${this.d.config.commands.prefix}silence label=value [label!=value label=~"regex" label!~"regex" ...] DURATION (e.g. 2h)`];
    if (ms <= 0) return ['a silence must last longer than 0s'];
    if (ms > MAX_SILENCE_MS) return ['a silence may last at most 7d'];
    let matchers: Matcher[];
    try {
      matchers = parseMatchers(args.slice(0, -1).join(' '));
    } catch (err) {
      return [cleanValue((err as Error).message, 300)];
    }
    const { silence, held } = this.d.mutes.silence(matchers, who.name, ms);
    const holds = held.length === 0 ? '' : `; holds ${held.length} open incident${held.length === 1 ? '' : 's'} (no step, no page until it ends): ${codeList(held)}`;
    return [`silence #${silence.id} set by ${who.name} for ${formatDuration(ms)}: ${cleanValue(matcherText(matchers), 300)}${holds}`];
  }

  private listSilences(): string[] {
    const now = this.d.clock.now();
    const active = this.d.mutes.active();
    if (active.length === 0) return ['no active silences'];
    const shown = active.slice(0, 8).map((s) => `  #${s.id} ${cleanValue(matcherText(s.matchers), 200)} by ${cleanValue(s.createdBy, 40)}, ${formatDuration(s.expiresMs - now)} left`);
    return [`${active.length} active silence(s)`, ...shown, ...(active.length > shown.length ? [`  …and ${active.length - shown.length} more`] : [])];
  }

  private unsilence(args: readonly string[], who: Actor): string[] {
    const id = Number((args[0] ?? '').replace(/^#/, ''));
    if (!Number.isInteger(id) || id <= 0) return [`usage: ${this.d.config.commands.prefix}unsilence ID (see ${this.d.config.commands.prefix}silences)`];
    const r = this.d.mutes.unsilence(id, who.name);
    if (!r) return [`no active silence #${id}`];
    const parts = [
      ...(r.resumed.length > 0 ? [`${r.resumed.length} held incident${r.resumed.length === 1 ? '' : 's'} resume${r.resumed.length === 1 ? 's' : ''}: ${codeList(r.resumed)}`] : []),
      ...(r.opened.length > 0 ? [`still firing, now paged as new: ${codeList(r.opened)}`] : []),
    ];
    return [`silence #${id} ended by ${who.name}${parts.length > 0 ? `; ${parts.join('; ')}` : ''}`];
  }
}

/** Most ids one !ack takes (each is its own transaction and reply). */
const MAX_ACK_CODES = 20;

/** Incidents by code, a few shown: "26S7 (HostDown h1), VWZV (…) and 3 more". */
function codeList(incs: readonly Incident[]): string {
  const shown = incs.slice(0, 5).map((i) => `${i.ackCode} (${cleanValue(i.title, 60)})`);
  return `${shown.join(', ')}${incs.length > shown.length ? ` and ${incs.length - shown.length} more` : ''}`;
}
