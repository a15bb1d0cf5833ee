import type { ProbeStatus } from '../probes/engine.js';
import type { Incident, PageDelivery } from '../store/incidents.js';
import type { PathDownPeriod, ProbeEvent } from '../store/history.js';

/*
 * Uptime over the last 24 hours and 7 days, for the IRC path and each probe, from the stored
 * history (store/history.ts), and the incidents resolved in the last 7 days. Linear in the probes
 * and the events read; only probes that were down at all get figures and bars, so 20,000 healthy
 * probes cost one pass and a count.
 */

export const DAY_MS = 24 * 3_600_000;
export const WEEK_MS = 7 * DAY_MS;
/** Bars: 24 cells of an hour for the day, 28 of six hours for the week. */
const DAY_CELLS = 24;
const WEEK_CELLS = 28;
/** Probes shown with their bars; beyond this, only counted. */
export const HISTORY_PROBES = 200;
/** Resolved incidents listed. */
export const HISTORY_INCIDENTS = 50;
/**
 * Probe alert changes read for the week, the newest: 20,000 are read in ~20–40 ms here (100,000
 * took 200 ms, all of it holding the event loop). One probe flapping every minute all week is 20,000.
 */
export const HISTORY_EVENTS = 20_000;
/** IRC path incidents read for the week. */
export const HISTORY_PATH = 5_000;

/** Uptime of one thing over a window: the share up (0..1) and a bar of cells, each the time down in it (ms). */
export interface Uptime {
  up: number;
  cells: number[];
}

/** The IRC path's or a probe's last 24 hours and 7 days. */
export interface UptimeView {
  name: string;
  day: Uptime;
  week: Uptime;
}

/** An incident resolved in the last 7 days: when it opened, who was paged, who acked, when it ended. */
export interface ResolvedView {
  code: string;
  title: string;
  severity: string;
  openedMs: number;
  ackedMs: number | null;
  ackedBy: string | null;
  resolvedMs: number;
  /** "sms → alice", once each, in the order they were paged. */
  paged: string[];
}

/** The history section of the status report. */
export interface HistoryView {
  /** The IRC path; null when IRC is not configured. */
  path: UptimeView | null;
  /** Probes down at some time in the last 7 days, the least up first, at most HISTORY_PROBES. */
  probes: UptimeView[];
  /** How many probes were down at some time in the 7 days (probes.length may be fewer). */
  probesDown: number;
  /** How many probes were up throughout. */
  probesUp: number;
  /** Incidents resolved in the last 7 days, the last resolved first, at most HISTORY_INCIDENTS. */
  resolved: ResolvedView[];
  /** When the week's probe changes reached HISTORY_EVENTS: since when they were counted (the oldest read). */
  countedFromMs: number | null;
}

type Period = readonly [number, number];

/** The share up and the bar of a window [now - span, now] given down periods (possibly overlapping). */
function uptime(downs: readonly Period[], nowMs: number, spanMs: number, cellCount: number): Uptime {
  const from = nowMs - spanMs;
  const cellMs = spanMs / cellCount;
  const cells = new Array<number>(cellCount).fill(0);
  let down = 0;
  let covered = from; // periods are sorted by start: count each instant once
  for (const [a0, b0] of downs) {
    const a = Math.max(a0, covered, from);
    const b = Math.min(b0, nowMs);
    if (b <= a) continue;
    down += b - a;
    covered = b;
    for (let c = Math.floor((a - from) / cellMs); c < cellCount && from + c * cellMs < b; c++) {
      const cs = from + c * cellMs;
      cells[c] = (cells[c] as number) + Math.min(b, cs + cellMs) - Math.max(a, cs);
    }
  }
  return { up: 1 - down / spanMs, cells };
}

function view(name: string, downs: Period[], nowMs: number): UptimeView {
  downs.sort((x, y) => x[0] - y[0]);
  return { name, day: uptime(downs, nowMs, DAY_MS, DAY_CELLS), week: uptime(downs, nowMs, WEEK_MS, WEEK_CELLS) };
}

/**
 * A probe's down periods in the week: from its alert's changes (down from firing to resolved;
 * before its first change in the week it was the opposite of that change), and from its state
 * now (a probe down behind a dependency raises no alert of its own, but is down).
 */
function probeDowns(events: readonly ProbeEvent[] | undefined, p: ProbeStatus, weekFrom: number, nowMs: number): Period[] {
  const downs: Array<[number, number]> = [];
  let downSince: number | null = events?.[0]?.status === 'resolved' ? weekFrom : null;
  for (const e of events ?? []) {
    if (e.status === 'firing' && downSince === null) downSince = e.atMs;
    else if (e.status === 'resolved' && downSince !== null) {
      downs.push([downSince, e.atMs]);
      downSince = null;
    }
  }
  if (downSince !== null) downs.push([downSince, nowMs]);
  if (p.status === 'down') downs.push([Math.max(p.sinceMs, weekFrom), nowMs]);
  return downs;
}

/** The history view from the stored history, the probes' states now and the resolved incidents with their pages. */
export function buildHistory(d: {
  nowMs: number;
  probes: readonly ProbeStatus[];
  events: readonly ProbeEvent[];
  pathDowns: readonly PathDownPeriod[] | null;
  /** Since when the IRC path is down now, if it is (a path incident opens only after its grace). */
  pathDownSinceMs: number | null;
  resolved: readonly Incident[];
  pages: readonly PageDelivery[];
}): HistoryView {
  const weekFrom = d.nowMs - WEEK_MS;
  const byProbe = new Map<string, ProbeEvent[]>();
  for (const e of d.events) {
    const list = byProbe.get(e.probe);
    if (list) list.push(e);
    else byProbe.set(e.probe, [e]);
  }
  const down: UptimeView[] = [];
  for (const p of d.probes) {
    const events = byProbe.get(p.name);
    if (!events && p.status !== 'down') continue;
    const v = view(p.name, probeDowns(events, p, weekFrom, d.nowMs), d.nowMs);
    if (v.week.up < 1) down.push(v);
  }
  down.sort((a, b) => a.week.up - b.week.up || a.day.up - b.day.up);
  const paged = new Map<number, string[]>();
  // Newest first from the store: reversed, in the order they were paged.
  for (const p of [...d.pages].reverse()) {
    const list = paged.get(p.incidentId) ?? [];
    const who = `${p.channel} → ${p.person}`;
    if (!list.includes(who)) list.push(who);
    paged.set(p.incidentId, list);
  }
  return {
    path: d.pathDowns === null ? null : view('IRC path', [...d.pathDowns.map((x): Period => [x.fromMs, x.toMs ?? d.nowMs]), ...(d.pathDownSinceMs === null ? [] : [[d.pathDownSinceMs, d.nowMs] as const])], d.nowMs),
    probes: down.slice(0, HISTORY_PROBES),
    probesDown: down.length,
    probesUp: d.probes.length - down.length,
    countedFromMs: d.events.length >= HISTORY_EVENTS ? (d.events[0]?.atMs ?? null) : null,
    resolved: d.resolved.map((i) => ({ code: i.ackCode, title: i.title, severity: i.severity, openedMs: i.openedMs, ackedMs: i.ackedMs, ackedBy: i.ackedBy, resolvedMs: i.resolvedMs ?? i.openedMs, paged: paged.get(i.id) ?? [] })),
  };
}
