import type { ActiveFault } from '../escalation/faults.js';
import type { PathMonitor } from '../escalation/pathMonitor.js';
import type { IrcState } from '../notifiers/irc/state.js';
import type { OnCallSchedule } from '../people/oncall.js';
import type { ProbeStatus } from '../probes/engine.js';
import type { Incident, IncidentStore, PageDelivery, PagingChannel } from '../store/incidents.js';
import { matcherText } from '../policy/matchers.js';
import type { Silence } from '../store/silences.js';
import type { BuildInfo } from '../observability/version.js';

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
  incidents: Pick<IncidentStore, 'unresolved' | 'countUnresolved' | 'pageLog'>;
  schedule: Pick<OnCallSchedule, 'shifts'>;
  /** The configured paging channels and whether each is delivering. */
  channels(): ReadonlyArray<{ channel: PagingChannel; healthy: boolean; misconfigured: boolean }>;
  /** Silences in force now. */
  silences(): readonly Silence[];
  /** Maintenance windows in force now, by name. */
  maintenance(): readonly string[];
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

/** One page of an incident, as the status report shows it (no addresses: names only). */
export type PageView = Omit<PageDelivery, 'incidentId' | 'incidentCode'> & { incident: string };

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
  channels: Array<{ channel: PagingChannel; healthy: boolean; misconfigured: boolean }>;
  probes: ProbeStatus[];
  /** Counts of all open and acknowledged incidents; the newest INCIDENTS_SHOWN of them in full. */
  incidents: { open: number; acked: number; shown: IncidentView[] };
  oncall: OnCallView[];
  /** The last pages decided, newest first, with their delivery state. */
  pages: PageView[];
  /** Silences in force, oldest first. */
  silences: SilenceView[];
  /** Maintenance windows in force, by name. */
  maintenance: string[];
}

function pageView(p: PageDelivery): PageView {
  const { incidentId: _id, incidentCode, ...rest } = p;
  return { ...rest, incident: incidentCode };
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

/** Reads the status report from the running parts. Synchronous: a few indexed queries. */
export function buildStatus(s: StatusSources): StatusReport {
  const now = s.nowMs();
  const open = s.incidents.unresolved(INCIDENTS_SHOWN);
  const pagesByIncident = new Map<number, PageView[]>();
  // Newest first from the store; shown oldest first per incident (the order they went out).
  for (const p of s.incidents.pageLog(INCIDENTS_SHOWN * 20, open.map((i) => i.id)).reverse()) {
    const list = pagesByIncident.get(p.incidentId) ?? [];
    list.push(pageView(p));
    pagesByIncident.set(p.incidentId, list);
  }
  const irc = s.irc();
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
    probes: [...s.probes()],
    incidents: {
      ...s.incidents.countUnresolved(),
      shown: open.map((i) => ({
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
        pages: pagesByIncident.get(i.id) ?? [],
      })),
    },
    oncall: oncall(s.schedule, now),
    pages: s.incidents.pageLog(RECENT_PAGES).map(pageView),
    silences: s.silences().map((x) => ({ id: x.id, matchers: matcherText(x.matchers), createdBy: x.createdBy, createdMs: x.createdMs, expiresMs: x.expiresMs })),
    maintenance: [...s.maintenance()],
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
