import type { ProbeStatus } from '../probes/engine.js';
import { PHASES } from '../probes/probe.js';
import { badge, esc, when } from './html.js';
import type { StatusReport } from './status.js';
import { historySection } from './historySection.js';
import { channelsAndPages, faultsSection, incidentsSection, mutesSection, oncallSection, pathSection } from './statusSections.js';

/*
 * The status page: one server-rendered HTML document, no scripts, no external assets, so it loads
 * on a phone over a bad link in one round trip and works with JavaScript off. It refreshes itself
 * every 30 s (meta refresh). Everything shown comes from the StatusReport, which holds no secrets;
 * every value is HTML-escaped, since probe summaries, alert titles and IRC errors are untrusted.
 */

/** Seconds between the page's own reloads. */
const REFRESH_S = 30;

export { esc };

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
.grp th{background:#f3f3f3}.b,.code{white-space:nowrap}nav{margin:.4em 0;font-size:.92em}nav a{margin-right:.8em}summary{cursor:pointer;margin:.3em 0}ul{margin:.2em 0;padding-left:1.2em}ul.pages{font-size:.92em}td{word-break:break-word}
section>details>summary{margin:0}
.bar{display:inline-flex;gap:1px;vertical-align:middle}.bar i{display:inline-block;width:5px;height:12px;background:#5b5;border-radius:1px}.bar i.d{background:#d33}
@media (max-width:500px){.b{white-space:normal}ul{padding-left:1em}}`;

/**
 * The status page for a report, a complete HTML document, in parts: the probe rows (one per
 * configured probe, so unbounded) come ROWS_PER_PART at a time; everything else is bounded.
 * Sections are in statusSections.ts; the small HTML helpers in html.ts.
 */
export function* statusPageParts(r: StatusReport): Generator<string> {
  const h = headline(r);
  // What is broken comes first (a phone's first screen): Lifeline's faults, the IRC path when it is
  // down, incidents, probes that need a look. What is healthy follows, folded to a line each.
  const broken = r.path !== null && !r.path.healthy;
  const path = pathSection(r);
  yield `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="${REFRESH_S}"><title>${esc(h.tone === 'ok' ? '✓' : '✗')} ${esc(r.name)}</title><style>${CSS}</style></head>
<body><h1>${esc(r.name)}</h1><div class="head ${h.tone}" id="verdict">${esc(h.text)}</div>
<nav><a href="#incidents">Incidents</a><a href="#probes">Probes</a><a href="#path">IRC path</a><a href="#oncall">On call</a><a href="#paging">Paging</a><a href="#history">History</a></nav>
${faultsSection(r)}${broken ? path : ''}${incidentsSection(r)}`;
  yield* probesSection(r);
  yield `${mutesSection(r)}${broken ? '' : path}${oncallSection(r)}${channelsAndPages(r)}${historySection(r.history, r.generatedMs)}
<p class="sub">Lifeline ${esc(r.version)} (${esc(r.revision)}) · generated ${when(r.generatedMs, r.generatedMs)} · running since ${when(r.startedMs, r.generatedMs)} · ${esc(r.outbox.pending)} message(s) queued for delivery · reloads every ${REFRESH_S} s · <a href="api/v1/status">JSON</a></p>
</body></html>
`;
}

/** The status page for a report as one string. */
export function renderStatusPage(r: StatusReport): string {
  return [...statusPageParts(r)].join('');
}
