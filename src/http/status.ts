import type { ActiveFault } from '../escalation/faults.js';
import type { PathMonitor } from '../escalation/pathMonitor.js';
import type { IrcState } from '../notifiers/irc/state.js';
import type { OnCallSchedule } from '../people/oncall.js';
import type { ProbeStatus } from '../probes/engine.js';
import type { PagingChannelKind } from '../alerts/pages.js';
import type { Incident, IncidentStore, PageDelivery } from '../store/incidents.js';
import type { ActiveWindow } from '../policy/maintenance.js';
import { matcherText } from '../policy/matchers.js';
import type { Silence } from '../store/silences.js';
import type { BuildInfo } from '../observability/version.js';
import { bySeverity } from '../alerts/severity.js';
import type { HistoryStore } from '../store/history.js';
import { buildHistory, HISTORY_EVENTS, HISTORY_INCIDENTS, HISTORY_PATH, WEEK_MS, type HistoryView } from './history.js';

/** Open incidents listed in full on the status page and API; beyond this only the count is given. */
export const INCIDENTS_SHOWN = 500;
/** Pages listed under "last pages". */
export const RECENT_PAGES = 25;

/** What the status report is read from (the running app passes its parts). */
export interface StatusSources {
  /** "Lifeline on eu-west-1" */
  name: string;
  /** Which Lifeline this is. */
  build: BuildInfo;
  nowMs(): number;
  startedMs: number;
  /** The IRC session's state; undefined when IRC is not configured. */
  irc(): IrcState | undefined;
  /** The monitoring path escalation watches; undefined when IRC is not configured. */
  path: PathMonitor | undefined;
  faults(): readonly ActiveFault[];
  outboxPending(): number;
  alertCounts(): Readonly<Record<string, number>>;
  probes(): readonly ProbeStatus[];
  incidents: Pick<IncidentStore, 'unresolved' | 'countUnresolved' | 'pageLog' | 'lastSentMs' | 'resolvedSince'>;
  /** The probes' and the IRC path's stored history. */
  history: Pick<HistoryStore, 'probeEvents' | 'pathDowns'>;
  /** escalation.bundle_window: a page waits this long after the last bundle to its person and channel. */
  bundleWindowMs: number;
  schedule: Pick<OnCallSchedule, 'shifts'>;
  /** The configured paging channels and whether each is delivering. */
  channels(): ReadonlyArray<{ channel: PagingChannelKind; healthy: boolean; misconfigured: boolean }>;
  /** Silences in force now. */
  silences(): readonly Silence[];
  /** Maintenance windows in force now, each with where it is configured. */
  maintenance(): readonly ActiveWindow[];
}

/** A silence in force, as the status report shows it. */
export interface SilenceView {
  id: number;
  /** The matchers as amtool prints them. */
  matchers: string;
  createdBy: string;
  createdMs: number;
  expiresMs: number;
}

/**
 * One page of an incident, as the status report shows it (no addresses: names only). `goesMs`:
 * when a waiting page goes, its quiet hours and the bundle window both counted; null once it went,
 * and while its incident is held by a silence or maintenance window (it goes when released).
 */
export type PageView = Omit<PageDelivery, 'incidentId' | 'incidentCode'> & { incident: string; goesMs: number | null };

/** An open or acknowledged incident with who was paged when. */
export interface IncidentView {
  code: string;
  title: string;
  kind: Incident['kind'];
  severity: string;
  state: Incident['state'];
  openedMs: number;
  ackedMs: number | null;
  ackedBy: string | null;
  /** When escalation acts next (the next step, or an acknowledgement lapsing). */
  nextDueMs: number | null;
  /** Since when a silence or maintenance window holds it (no step, no page); null when not held. */
  heldSinceMs: number | null;
  /** The group notification that opened it (an Alertmanager group): incidents sharing it are shown as one entry. */
  groupKey: string | null;
  /** Whether it is a cause of others: the IRC path, a probe others depend on, an inferred shared cause. */
  cause: boolean;
  pages: PageView[];
}

/** Who is on call in one rotation now, and who takes over next. */
export interface OnCallView {
  rotation: string;
  now: { person: string; untilMs: number; override: boolean };
  next: { person: string; fromMs: number; override: boolean } | null;
}

/**
 * Everything the status page shows, and `GET /api/v1/status` returns as JSON. It holds names,
 * states and times, never a secret or an address (no phone numbers, e-mail addresses or keys).
 */
export interface StatusReport {
  name: string;
  /** Lifeline's version and the revision it was built from. */
  version: string;
  revision: string;
  generatedMs: number;
  startedMs: number;
  /** The monitoring path (IRC): whether it carries alerts to people now, and why not. */
  path: { name: string; healthy: boolean; reason: string | null } | null;
  irc: IrcState | null;
  faults: ActiveFault[];
  outbox: { pending: number };
  alerts: Readonly<Record<string, number>>;
  channels: Array<{ channel: PagingChannelKind; healthy: boolean; misconfigured: boolean }>;
  probes: ProbeStatus[];
  /** Counts of all open and acknowledged incidents; the newest INCIDENTS_SHOWN of them in full. */
  incidents: { open: number; acked: number; shown: IncidentView[] };
  oncall: OnCallView[];
  /** The last pages decided, newest first, with their delivery state. */
  pages: PageView[];
  /** Silences in force, oldest first. */
  silences: SilenceView[];
  /**
   * Maintenance windows in force: name, and `peer`: null when this instance's config holds it, else
   * the cluster peer whose config does (a window configured on any instance holds on all).
   */
  maintenance: ActiveWindow[];
  /** The last 24 hours and 7 days: uptime of the IRC path and the probes, incidents resolved. */
  history: HistoryView;
}

/**
 * Worst first: by severity, then causes (the IRC path, dependencies, shared causes) before what
 * they explain, then newest first. Sorts in place and returns the list.
 */
export function worstFirst<T extends Pick<IncidentView, 'severity' | 'cause' | 'openedMs'>>(list: T[]): T[] {
  return list.sort((a, b) => bySeverity(a.severity, b.severity) || Number(b.cause) - Number(a.cause) || b.openedMs - a.openedMs);
}

/** Whether an incident is a cause of others (see IncidentView.cause); `dependedOn`: probe names others are down behind. */
function isCause(i: Incident, dependedOn: ReadonlySet<string>): boolean {
  const probe = i.labels['probe'];
  return i.kind === 'path' || i.labels['kind'] === 'shared' || (probe !== undefined && dependedOn.has(probe));
}

/** When a waiting page goes: at its not-before time, and not before the bundle window after the last bundle to the same person and channel (the bundler's rule; path pages go at once). */
function pageView(p: PageDelivery, goes: (p: PageDelivery) => number | null): PageView {
  const { incidentId: _id, incidentCode, ...rest } = p;
  return { ...rest, incident: incidentCode, goesMs: goes(p) };
}

/** Who is on call now and next, per rotation. */
function oncall(schedule: StatusSources['schedule'], nowMs: number): OnCallView[] {
  return schedule.shifts(nowMs).map((sh) => {
    const after = schedule.shifts(sh.untilMs).find((n) => n.rotation === sh.rotation);
    return {
      rotation: sh.rotation,
      now: { person: sh.person.name, untilMs: sh.untilMs, override: sh.override },
      next: after ? { person: after.person.name, fromMs: sh.untilMs, override: after.override } : null,
    };
  });
}

/** Since when the IRC path is down, as far as the session knows: the link lost, or the bouncer's network lost. */
function pathDownSince(irc: IrcState | undefined): number | undefined {
  if (!irc) return undefined;
  if (irc.link !== 'registered') return irc.disconnectedSinceMs;
  return irc.upstream === 'down' ? irc.upstreamSinceMs : undefined;
}

/** Reads the status report from the running parts. Synchronous: a few indexed queries. */
export function buildStatus(s: StatusSources): StatusReport {
  const now = s.nowMs();
  const open = s.incidents.unresolved(INCIDENTS_SHOWN);
  const lastSent = new Map<string, number | undefined>();
  const held = new Set(open.filter((i) => i.heldSinceMs !== null).map((i) => i.id));
  const goes = (p: PageDelivery): number | null => {
    if (p.state !== 'waiting' || held.has(p.incidentId)) return null;
    if (p.reason.kind === 'path') return p.notBeforeMs;
    const k = `${p.channel}\u0000${p.person}`;
    if (!lastSent.has(k)) lastSent.set(k, s.incidents.lastSentMs(p.channel, p.person));
    const last = lastSent.get(k);
    return Math.max(p.notBeforeMs, last === undefined ? 0 : last + s.bundleWindowMs);
  };
  const pagesByIncident = new Map<number, PageView[]>();
  // Newest first from the store; shown oldest first per incident (the order they went out).
  for (const p of s.incidents.pageLog(INCIDENTS_SHOWN * 20, open.map((i) => i.id)).reverse()) {
    const list = pagesByIncident.get(p.incidentId) ?? [];
    list.push(pageView(p, goes));
    pagesByIncident.set(p.incidentId, list);
  }
  const probes = [...s.probes()];
  const dependedOn = new Set<string>();
  for (const p of probes) if (p.behind) dependedOn.add(p.behind);
  const irc = s.irc();
  const resolved = s.incidents.resolvedSince(now - WEEK_MS, HISTORY_INCIDENTS);
  const history = buildHistory({
    nowMs: now,
    probes,
    events: s.history.probeEvents(now - WEEK_MS, HISTORY_EVENTS),
    pathDowns: s.path ? s.history.pathDowns(now - WEEK_MS, HISTORY_PATH) : null,
    pathDownSinceMs: s.path && !s.path.healthy() ? pathDownSince(irc) ?? now : null,
    resolved,
    pages: resolved.length ? s.incidents.pageLog(HISTORY_INCIDENTS * 20, resolved.map((i) => i.id)) : [],
  });
  return {
    name: s.name,
    version: s.build.version,
    revision: s.build.revision,
    generatedMs: now,
    startedMs: s.startedMs,
    path: s.path ? { name: s.path.name, healthy: s.path.healthy(), reason: s.path.healthy() ? null : s.path.reason() } : null,
    irc: irc ?? null,
    faults: [...s.faults()],
    outbox: { pending: s.outboxPending() },
    alerts: s.alertCounts(),
    channels: [...s.channels()],
    probes,
    incidents: {
      ...s.incidents.countUnresolved(),
      shown: worstFirst(open.map((i) => ({
        code: i.ackCode,
        title: i.title,
        kind: i.kind,
        severity: i.severity,
        state: i.state,
        openedMs: i.openedMs,
        ackedMs: i.ackedMs,
        ackedBy: i.ackedBy,
        nextDueMs: i.nextDueMs,
        heldSinceMs: i.heldSinceMs,
        groupKey: i.groupKey,
        cause: isCause(i, dependedOn),
        pages: pagesByIncident.get(i.id) ?? [],
      }))),
    },
    oncall: oncall(s.schedule, now),
    pages: s.incidents.pageLog(RECENT_PAGES).map((p) => pageView(p, goes)),
    silences: s.silences().map((x) => ({ id: x.id, matchers: matcherText(x.matchers), createdBy: x.createdBy, createdMs: x.createdMs, expiresMs: x.expiresMs })),
    maintenance: [...s.maintenance()],
    history,
  };
}

/** Probes serialised in one part of the JSON answer (see statusJsonParts). */
const PROBES_PER_PART = 500;

/**
 * The report as JSON, in parts, for `GET /api/v1/status`: the probes (one per configured probe, so
 * unbounded) come PROBES_PER_PART at a time, so the answer can go out while the event loop keeps
 * serving (100,000 probes are 30 MB of JSON; JSON.stringify of all of it held the loop 150 ms).
 * The same JSON as JSON.stringify(report), except that `probes` comes last.
 */
export function* statusJsonParts(r: StatusReport): Generator<string> {
  const { probes, ...rest } = r;
  yield `${JSON.stringify(rest).slice(0, -1)},"probes":[`;
  for (let i = 0; i < probes.length; i += PROBES_PER_PART) {
    yield (i === 0 ? '' : ',') + probes.slice(i, i + PROBES_PER_PART).map((p) => JSON.stringify(p)).join(',');
  }
  yield ']}';
}
