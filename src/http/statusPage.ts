import { formatDuration } from '../config/duration.js';
import type { ProbeStatus } from '../probes/engine.js';
import { PHASES } from '../probes/probe.js';
import { deliveryWords } from '../escalation/delivery.js';
import { neutralise } from '../notifiers/text.js';
import type { IncidentView, PageView, StatusReport } from './status.js';

/*
 * The status page: one server-rendered HTML document, no scripts, no external assets, so it loads
 * on a phone over a bad link in one round trip and works with JavaScript off. It refreshes itself
 * every 30 s (meta refresh). Everything shown comes from the StatusReport, which holds no secrets;
 * every value is HTML-escaped, since probe summaries, alert titles and IRC errors are untrusted.
 */

/** Seconds between the page's own reloads. */
const REFRESH_S = 30;

const ESC: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text made safe for HTML element content and quoted attribute values, with control characters
 * dropped and invisible format characters (bidi overrides, zero-width) shown as "[U+202E]", as in
 * IRC (notifiers/text.ts neutralise).
 */
export function esc(s: string | number): string {
  return neutralise(String(s)).replace(/[&<>"']/g, (c) => ESC[c] as string);
}

/** "2026-11-23 12:03 UTC (5 min ago)" */
function when(ms: number | null | undefined, nowMs: number): string {
  if (ms === null || ms === undefined) return '—';
  const iso = new Date(ms).toISOString();
  const d = nowMs - ms;
  const rel = Math.abs(d) < 1000 ? 'now' : d > 0 ? `${formatDuration(d)} ago` : `in ${formatDuration(-d)}`;
  return `<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time> <span class="rel">(${rel})</span>`;
}

function badge(text: string, tone: 'ok' | 'bad' | 'warn' | 'idle'): string {
  return `<span class="b ${tone}">${esc(text)}</span>`;
}

function phases(p: ProbeStatus): string {
  const ph = p.last?.phases ?? {};
  return PHASES.filter((k) => ph[k] !== undefined && k !== 'total')
    .map((k) => `${k} ${Math.round((ph[k] as number) * 1000)} ms`)
    .join(' · ');
}

function probeRow(p: ProbeStatus, nowMs: number): string {
  const tone = p.status === 'down' ? 'bad' : p.status === 'up' ? (p.warning ? 'warn' : 'ok') : 'idle';
  const ph = p.last ? phases(p) : '';
  const last = p.last ? `${esc(p.last.summary)}<div class="sub">${when(p.last.atMs, nowMs)}${ph ? ` · ${esc(ph)}` : ''}</div>` : '<span class="sub">not run yet</span>';
  const notes = [p.behind ? `behind ${p.behind}` : '', p.warning ?? ''].filter(Boolean).map((n) => `<div class="sub warn-t">${esc(n)}</div>`).join('');
  return `<tr class="${tone}-row"><td>${badge(p.status, tone)}</td><td><b>${esc(p.name)}</b><div class="sub">${esc(p.kind)} · ${esc(p.target)}</div></td><td>${last}${notes}</td><td>${when(p.sinceMs, nowMs)}</td></tr>`;
}

/**
 * Probes by group, groups in order of first appearance, probes in config order within each. Linear:
 * with each probe copying its group's list, 20,000 probes in one group took 2 s to render.
 */
function byGroup(ps: readonly ProbeStatus[]): Array<[string, ProbeStatus[]]> {
  const groups = new Map<string, ProbeStatus[]>();
  for (const p of ps) {
    const key = p.group ?? '';
    const list = groups.get(key);
    if (list) list.push(p);
    else groups.set(key, [p]);
  }
  return [...groups];
}

function countDown(ps: readonly ProbeStatus[]): number {
  let n = 0;
  for (const p of ps) if (p.status === 'down') n++;
  return n;
}

/**
 * Probe rows in one part of the page. The page is written to the client part by part, yielding to
 * the event loop between parts, so /healthz and the webhook are answered while a page of tens of
 * thousands of probes goes out: a part takes a few ms here. Built and sent as one string, 20,000
 * rows (8 MB) held the loop 60 ms at the end alone (join, byte length, encoding), more under load.
 */
export const ROWS_PER_PART = 500;

const TABLE_HEAD = '<div class="scroll"><table><thead><tr><th>state</th><th>probe</th><th>last result</th><th>since</th></tr></thead><tbody>';
const TABLE_END = '</tbody></table></div>';

/** A table of probes under their group headings, ROWS_PER_PART rows per part. */
function* probesTable(ps: readonly ProbeStatus[], nowMs: number): Generator<string> {
  let part = TABLE_HEAD;
  let n = 0;
  for (const [g, list] of byGroup(ps)) {
    if (g) part += `<tr class="grp"><th colspan="4">group ${esc(g)}</th></tr>`;
    for (const p of list) {
      part += probeRow(p, nowMs);
      if (++n % ROWS_PER_PART === 0) {
        yield part;
        part = '';
      }
    }
  }
  yield part + TABLE_END;
}

function* probesSection(r: StatusReport): Generator<string> {
  if (r.probes.length === 0) {
    yield '<section id="probes"><h2>Probes</h2><p class="sub">No probes configured (probes.targets).</p></section>';
    return;
  }
  // Whatever needs a look (down, warning, not run yet) is listed; healthy probes fold away, so a
  // page with two thousand probes still opens on what matters.
  const attention: ProbeStatus[] = [];
  const fine: ProbeStatus[] = [];
  for (const p of r.probes) (p.status !== 'up' || p.warning ? attention : fine).push(p);
  yield `<section id="probes"><h2>Probes <span class="count">${r.probes.length} · ${countDown(r.probes)} down</span></h2>`;
  if (attention.length) yield* probesTable(attention, r.generatedMs);
  if (fine.length) {
    yield `<details${attention.length === 0 ? ' open' : ''}><summary>${fine.length} up, no warnings</summary>`;
    yield* probesTable(fine, r.generatedMs);
    yield '</details>';
  }
  yield '</section>';
}

/** A page's step as people count them: "step 1" for the policy's first step; notices by name. */
function stepName(step: string): string {
  const m = /^(\d+)(?::(.+))?$/.exec(step);
  if (!m) return step;
  return `step ${Number(m[1]) + 1}${m[2] ? ` (${m[2]})` : ''}`;
}

function pageLine(p: PageView, nowMs: number, withIncident: boolean): string {
  const d = deliveryWords(p);
  const err = p.error && p.state !== 'sent' ? `<div class="sub bad-t">${esc(p.attempts)} failed attempt(s): ${esc(p.error)}</div>` : '';
  const at = !p.call && !p.receipt && p.doneMs !== null && p.doneMs - p.createdMs >= 60_000 ? ` <span class="sub">at ${when(p.doneMs, nowMs)}</span>` : '';
  return `<li>${withIncident ? `<b>${esc(p.incident)}</b> ` : ''}${esc(stepName(p.step))} · ${esc(p.channel)} → ${esc(p.person)} · ${when(p.createdMs, nowMs)} ${badge(d.text, d.tone)}${at}${err}</li>`;
}

function incidentRow(i: IncidentView, nowMs: number): string {
  const tone = i.state === 'acked' ? 'warn' : 'bad';
  const held = i.heldSinceMs !== null ? `held by a silence or maintenance window since ${when(i.heldSinceMs, nowMs)}: no step, no page until it ends` : '';
  const ack = held || (i.state === 'acked' ? `acked by ${esc(i.ackedBy ?? '?')} ${when(i.ackedMs, nowMs)}` : i.nextDueMs !== null ? `next step ${when(i.nextDueMs, nowMs)}` : 'no further steps');
  const pages = i.pages.length === 0 ? '<div class="sub">nobody paged yet</div>' : `<ul class="pages">${i.pages.map((p) => pageLine(p, nowMs, false)).join('')}</ul>`;
  return `<tr><td>${badge(i.state, tone)}<div class="code">${esc(i.code)}</div></td><td><b>${esc(i.title)}</b><div class="sub">${esc(i.kind)} · ${esc(i.severity)} · opened ${when(i.openedMs, nowMs)}</div><div class="sub">${ack}</div>${pages}</td></tr>`;
}

function incidentsSection(r: StatusReport): string {
  const { shown } = r.incidents;
  const unresolved = r.incidents.open + r.incidents.acked;
  if (unresolved === 0) return '<section id="incidents"><h2>Incidents</h2><p>No open incidents.</p></section>';
  const more = unresolved > shown.length ? `<p class="sub">${unresolved - shown.length} older incidents not shown.</p>` : '';
  return `<section id="incidents"><h2>Incidents <span class="count">${r.incidents.open} open · ${r.incidents.acked} acked</span></h2><div class="scroll"><table><tbody>${shown.map((i) => incidentRow(i, r.generatedMs)).join('')}</tbody></table></div>${more}</section>`;
}

function pathSection(r: StatusReport): string {
  if (!r.path) return '<section id="path"><h2>IRC path</h2><p class="sub">IRC is not configured.</p></section>';
  const irc = r.irc;
  const rows: string[] = [];
  if (irc) {
    rows.push(`<li>link to the bouncer: ${badge(irc.link, irc.link === 'registered' ? 'ok' : 'bad')} ${irc.link === 'registered' ? `since ${when(irc.connectedSinceMs, r.generatedMs)}` : irc.disconnectedSinceMs ? `lost ${when(irc.disconnectedSinceMs, r.generatedMs)}` : ''}</li>`);
    if (irc.lastError && irc.link !== 'registered') rows.push(`<li class="bad-t">last error: ${esc(irc.lastError)}</li>`);
    rows.push(`<li>bouncer's network: ${badge(irc.upstream, irc.upstream === 'up' ? 'ok' : irc.upstream === 'down' ? 'bad' : 'idle')}</li>`);
    rows.push(`<li>canary: ${irc.canary.failing ? badge('lost', 'bad') : irc.canary.lastOkMs ? `${badge('back', 'ok')} in ${esc(irc.canary.lastRttMs ?? '?')} ms, ${when(irc.canary.lastOkMs, r.generatedMs)}` : badge('none yet', 'idle')}</li>`);
    rows.push(`<li>channels joined: ${irc.joined.length ? irc.joined.map(esc).join(', ') : 'none'} · nick ${esc(irc.nick)}</li>`);
  }
  const head = r.path.healthy ? badge('carrying alerts', 'ok') : `${badge('down', 'bad')} ${esc(r.path.reason ?? '')}`;
  return `<section id="path"><h2>IRC path</h2><p>${head}</p><ul>${rows.join('')}</ul></section>`;
}

function oncallSection(r: StatusReport): string {
  if (r.oncall.length === 0) return '<section id="oncall"><h2>On call</h2><p class="sub">No rotations configured (oncall.rotations).</p></section>';
  const rows = r.oncall
    .map((o) => `<tr><td>${esc(o.rotation)}</td><td><b>${esc(o.now.person)}</b>${o.now.override ? ' (override)' : ''}<div class="sub">until ${when(o.now.untilMs, r.generatedMs)}</div></td><td>${o.next ? `${esc(o.next.person)}${o.next.override ? ' (override)' : ''}` : '—'}</td></tr>`)
    .join('');
  return `<section id="oncall"><h2>On call</h2><div class="scroll"><table><thead><tr><th>rotation</th><th>now</th><th>next</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function channelsAndPages(r: StatusReport): string {
  const ch = r.channels.length === 0 ? '<p class="sub">No paging channel configured (email, sms).</p>' : `<p>${r.channels.map((c) => `${esc(c.channel)} ${badge(c.misconfigured ? 'misconfigured' : c.healthy ? 'delivering' : 'failing', c.healthy && !c.misconfigured ? 'ok' : 'bad')}`).join(' · ')}</p>`;
  const pages = r.pages.length === 0 ? '<p class="sub">No pages sent yet.</p>' : `<ul class="pages">${r.pages.map((p) => pageLine(p, r.generatedMs, true)).join('')}</ul>`;
  return `<section id="paging"><h2>Paging</h2>${ch}<h3>Last pages</h3>${pages}</section>`;
}

/** Silences and maintenance windows in force: who set each, what it matches, when it ends. */
function mutesSection(r: StatusReport): string {
  if (r.silences.length === 0 && r.maintenance.length === 0) return '';
  const silences = r.silences.map((x) => `<li><b>#${esc(x.id)}</b> <code>${esc(x.matchers)}</code> · by ${esc(x.createdBy)} ${when(x.createdMs, r.generatedMs)} · ends ${when(x.expiresMs, r.generatedMs)}</li>`);
  const windows = r.maintenance.map((n) => `<li>maintenance window <b>${esc(n)}</b> (config)</li>`);
  return `<section id="silences"><h2>Silences and maintenance <span class="count">${r.silences.length} silence${r.silences.length === 1 ? '' : 's'} · ${r.maintenance.length} window${r.maintenance.length === 1 ? '' : 's'}</span></h2><ul>${[...silences, ...windows].join('')}</ul></section>`;
}

function faultsSection(r: StatusReport): string {
  if (r.faults.length === 0) return '';
  return `<section class="fault" id="faults"><h2>Lifeline's own faults</h2><ul>${r.faults.map((f) => `<li><b>${esc(f.kind)}</b> since ${when(f.sinceMs, r.generatedMs)}: ${esc(f.detail)}</li>`).join('')}</ul></section>`;
}

/** The one-line verdict at the top. */
function headline(r: StatusReport): { text: string; tone: 'ok' | 'bad' | 'warn' } {
  const down = countDown(r.probes);
  const open = r.incidents.open;
  const parts = [
    ...(r.path && !r.path.healthy ? ['IRC path down'] : []),
    ...(r.faults.length ? [`${r.faults.length} Lifeline fault${r.faults.length > 1 ? 's' : ''}`] : []),
    ...(open ? [`${open} open incident${open > 1 ? 's' : ''}`] : []),
    ...(down ? [`${down} probe${down > 1 ? 's' : ''} down`] : []),
  ];
  // Never "All clear" while anything fires: an alert with no incident (silenced, in a maintenance
  // window, not a paging severity) still fires.
  const firing = r.alerts['firing'] ?? 0;
  const firingText = `${firing} alert${firing === 1 ? '' : 's'} firing`;
  if (parts.length) return { text: [...parts, ...(firing ? [firingText] : [])].join(' · '), tone: 'bad' };
  const acked = r.incidents.acked;
  const quiet = [...(acked ? [`${acked} acknowledged incident${acked > 1 ? 's' : ''}`] : []), ...(firing ? [firingText] : [])];
  return quiet.length ? { text: `${quiet.join(' · ')}, nothing unacknowledged`, tone: 'warn' } : { text: 'All clear', tone: 'ok' };
}

const CSS = `body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:70em;padding:.5em;color:#111;background:#fafafa}
h1{font-size:1.3em;margin:.3em 0}h2{font-size:1.1em;margin:.2em 0 .4em}h3{font-size:1em;margin:.6em 0 .2em}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5em .8em;margin:.6em 0}
.fault{border-color:#c00;background:#fff3f3}.head{padding:.6em .8em;border-radius:6px;font-weight:600;font-size:1.1em}
.head.ok{background:#e6f6e6}.head.bad{background:#fde2e2}.head.warn{background:#fff4d6}
table{border-collapse:collapse;width:100%}td,th{padding:.3em .4em;border-top:1px solid #eee;vertical-align:top;text-align:left}
.scroll{overflow-x:auto}.sub,.rel{color:#555;font-size:.88em}.count{color:#555;font-weight:normal;font-size:.9em}
.b{display:inline-block;padding:0 .4em;border-radius:3px;font-size:.85em;font-weight:600}
.b.ok{background:#d4f0d4;color:#064}.b.bad{background:#f9d0d0;color:#900}.b.warn{background:#ffe9b0;color:#750}.b.idle{background:#e8e8e8;color:#444}
.bad-t{color:#900}.warn-t{color:#750}.code{font-family:monospace;font-weight:600;margin-top:.2em}
.grp th{background:#f3f3f3}.b,.code{white-space:nowrap}nav{margin:.4em 0;font-size:.92em}nav a{margin-right:.8em}summary{cursor:pointer;margin:.3em 0}ul{margin:.2em 0;padding-left:1.2em}ul.pages{font-size:.92em}td{word-break:break-word}`;

/**
 * The status page for a report, a complete HTML document, in parts: the probe rows (one per
 * configured probe, so unbounded) come ROWS_PER_PART at a time; everything else is bounded.
 */
export function* statusPageParts(r: StatusReport): Generator<string> {
  const h = headline(r);
  yield `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="${REFRESH_S}"><title>${esc(h.tone === 'ok' ? '✓' : '✗')} ${esc(r.name)}</title><style>${CSS}</style></head>
<body><h1>${esc(r.name)}</h1><div class="head ${h.tone}" id="verdict">${esc(h.text)}</div>
<nav><a href="#path">IRC path</a><a href="#oncall">On call</a><a href="#incidents">Incidents</a><a href="#probes">Probes</a><a href="#paging">Paging</a></nav>
${faultsSection(r)}${pathSection(r)}${oncallSection(r)}${incidentsSection(r)}${mutesSection(r)}`;
  yield* probesSection(r);
  yield `${channelsAndPages(r)}
<p class="sub">Lifeline ${esc(r.version)} (${esc(r.revision)}) · generated ${when(r.generatedMs, r.generatedMs)} · running since ${when(r.startedMs, r.generatedMs)} · ${esc(r.outbox.pending)} message(s) queued for delivery · reloads every ${REFRESH_S} s · <a href="api/v1/status">JSON</a></p>
</body></html>
`;
}

/** The status page for a report as one string. */
export function renderStatusPage(r: StatusReport): string {
  return [...statusPageParts(r)].join('');
}
