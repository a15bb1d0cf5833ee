import { createRequire } from 'node:module';
import type { Config } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import type { IrcState } from '../notifiers/irc/state.js';
import type { Logger } from '../observability/logger.js';
import type { OnCallSchedule } from '../people/oncall.js';
import { ircDestination } from '../policy/routing.js';
import type { AlertStore } from '../store/alerts.js';
import type { Outbox } from '../store/outbox.js';
import type { Clock } from '../util/clock.js';
import type { IncidentStore } from '../store/incidents.js';
import type { ProbeStatus } from '../probes/engine.js';
import type { PagingChannelKind } from '../alerts/pages.js';
import { ChannelSet, PAGING_CHANNELS } from './channels/registry.js';

// node-schedule is loaded only when a daily note is configured.
const require = createRequire(import.meta.url);

/** What the note reports on. */
export interface NoteDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  outbox: Outbox;
  alerts: AlertStore;
  incidents: IncidentStore;
  schedule: OnCallSchedule;
  ircState(): IrcState | undefined;
  /** The probes and their states (none configured: empty). */
  probes(): ReadonlyArray<Pick<ProbeStatus, 'name' | 'status'>>;
  /** The configured paging channels and whether each is delivering (none configured: empty). */
  channels?(): ReadonlyArray<{ channel: PagingChannelKind; healthy: boolean; misconfigured: boolean }>;
  /** Calls placed since a time, by outcome (voice configured). */
  calls?(sinceMs: number): { placed: number; acknowledged: number; declined: number; unanswered: number };
  poke(destination: string): void;
}

const DAY_MS = 24 * 60 * 60_000;

/** The note's text: that Lifeline is alive, what it watches, the state of each, and what failed in the last 24 h. */
export function dailyNoteLines(d: NoteDeps): string[] {
  const now = d.clock.now();
  const st = d.ircState();
  const irc = st
    ? st.link === 'registered'
      ? `IRC up ${formatDuration(now - (st.connectedSinceMs ?? now))}, bouncer upstream ${st.upstream}, canary ${st.canary.failing ? 'FAILING' : 'ok'}`
      : `IRC DOWN (${st.lastError ?? st.link})`
    : 'IRC not configured';
  const counts = d.alerts.countByStatus();
  const open = d.incidents.unresolved();
  const oncall = d.schedule.shifts(now).map((s) => `${s.rotation}: ${s.person.name}`).join(', ') || 'nobody on call';
  const lines = [`Lifeline is alive: ${irc}; ${counts.firing} alerts firing; ${open.length} incidents open; on call ${oncall}.`];
  const probes = d.probes();
  if (probes.length > 0) {
    const down = probes.filter((p) => p.status === 'down').map((p) => p.name);
    const recent = d.alerts.probesDownSince(now - DAY_MS);
    lines.push(
      `Watching ${probes.length} probes: ${down.length === 0 ? 'none down now' : `${down.length} down now (${names(down)})`}; ${recent.length === 0 ? 'none went down in the last 24 h' : `went down in the last 24 h: ${names(recent)}`}.`,
    );
  }
  const channels = d.channels?.() ?? [];
  if (channels.length > 0) {
    const state = channels.map((c) => `${c.channel} ${c.misconfigured ? 'MISCONFIGURED' : c.healthy ? 'ok' : 'FAILING'}`).join(', ');
    // Channels that are not written are calls: their outcomes are counted.
    const c = channels.some((ch) => !PAGING_CHANNELS[ch.channel].written) ? d.calls?.(now - DAY_MS) : undefined;
    const calls = c
      ? c.placed === 0
        ? '; no calls in the last 24 h'
        : `; calls in the last 24 h: ${c.placed} (${c.acknowledged} acknowledged by key, ${c.declined} escalated by key, ${c.unanswered} not answered${c.placed - c.acknowledged - c.declined - c.unanswered > 0 ? `, ${c.placed - c.acknowledged - c.declined - c.unanswered} not ended yet` : ''})`
      : '';
    lines.push(`Paging: ${state}${calls}.`);
  }
  return lines;
}

/** Up to 10 names, then how many more. */
function names(list: readonly string[]): string {
  return list.length <= 10 ? list.join(', ') : `${list.slice(0, 10).join(', ')} and ${list.length - 10} more`;
}

/**
 * A scheduled daily note (node-schedule, in the configured time zone) saying that Lifeline is
 * alive and what it watches, in IRC and to on-call by email — so the team notices when the
 * watchdog itself is gone. Returns a function that cancels the job.
 */
export function scheduleDailyNote(d: NoteDeps): (() => void) | undefined {
  const note = d.config.daily_note;
  if (!note) return undefined;
  const schedule = require('node-schedule') as typeof import('node-schedule');
  const [hour, minute] = note.at.split(':').map(Number) as [number, number];
  const job = schedule.scheduleJob({ hour, minute, tz: note.time_zone }, () => {
    sendDailyNote(d);
  });
  const next = job.nextInvocation();
  d.log.info({ event: 'daily_note_scheduled', next: next ? new Date(next.getTime()).toISOString() : null }, 'daily note scheduled');
  return () => job.cancel();
}

/** Queues the note now (called by the schedule). */
export function sendDailyNote(d: NoteDeps): string[] {
  const lines = dailyNoteLines(d);
  const now = d.clock.now();
  const sent: string[] = [];
  const via = d.config.daily_note?.via ?? [];
  if (via.includes('irc')) {
    const channel = d.config.routes.find((r) => r.irc_channels.length > 0)?.irc_channels[0];
    if (channel) {
      const dest = ircDestination(channel);
      d.outbox.enqueue(dest, { kind: 'text', text: lines.join(' ') }, now);
      d.poke(dest);
      sent.push(dest);
    }
  }
  const person = d.schedule.primary(now);
  // The paging channels `via` names (written ones: a note is read, not called), each configured.
  const named: string[] = [];
  for (const ch of new ChannelSet(d.config).written()) {
    const dest = person && via.some((v) => v === ch.kind) ? ch.destination(person) : undefined;
    if (dest === undefined) continue;
    d.outbox.enqueue(dest, { kind: 'page', subject: 'Lifeline daily note: alive and watching', body: lines }, now);
    d.poke(dest);
    sent.push(dest);
    // Logged by name: an email address never goes into the log.
    named.push(`${ch.kind}:${person?.name ?? 'unknown'}`);
  }
  d.log.info({ event: 'daily_note', to: [...sent.filter((dest) => dest.startsWith('irc:')), ...named] }, 'daily note queued');
  return sent;
}
