import { formatDuration } from '../config/duration.js';
import type { HistoryView, Uptime, UptimeView } from './history.js';
import { DAY_MS, HISTORY_EVENTS, WEEK_MS } from './history.js';
import { badge, esc, when } from './html.js';

/*
 * The history section: for the IRC path and each probe that was down this week, uptime over 24 h
 * and 7 days with a bar of cells (pure HTML and CSS: one <i> per cell, red where it was down), and
 * the incidents resolved this week with who was paged and who acked.
 */

/** "99.93 %", "100 %": two decimals, never rounded up to 100 while anything was down. */
function percent(up: number): string {
  if (up >= 1) return '100 %';
  return `${(Math.floor(up * 10_000) / 100).toFixed(2)} %`;
}

/** A bar of cells, oldest on the left; a cell with down time is red and says how long. */
function bar(u: Uptime, spanMs: number): string {
  const cellMs = spanMs / u.cells.length;
  const cells = u.cells.map((d) => (d > 0 ? `<i class="d" title="down ${esc(formatDuration(d))} of ${esc(formatDuration(cellMs))}"></i>` : '<i></i>')).join('');
  return `<span class="bar" role="img" aria-label="${esc(percent(u.up))} up">${cells}</span>`;
}

function uptimeRow(v: UptimeView): string {
  return `<tr><td><b>${esc(v.name)}</b></td><td>${esc(percent(v.day.up))}<br>${bar(v.day, DAY_MS)}</td><td>${esc(percent(v.week.up))}<br>${bar(v.week, WEEK_MS)}</td></tr>`;
}

/** The history section; bounded (HISTORY_PROBES probes, HISTORY_INCIDENTS incidents). */
export function historySection(h: HistoryView, nowMs: number): string {
  const rows = [...(h.path ? [uptimeRow(h.path)] : []), ...h.probes.map(uptimeRow)];
  const more = h.probesDown > h.probes.length ? `<p class="sub">${h.probesDown - h.probes.length} more probes were down this week (not shown).</p>` : '';
  const cut = h.countedFromMs === null ? '' : `<p class="sub warn-t">The newest ${HISTORY_EVENTS} probe changes of the week are counted; any before ${when(h.countedFromMs, nowMs)} are not.</p>`;
  const up = h.probesUp > 0 ? `<p class="sub">${h.probesUp} probe${h.probesUp === 1 ? '' : 's'} up throughout the 7 days (100 %).</p>` : '';
  const table = rows.length ? `<div class="scroll"><table><thead><tr><th></th><th>24 h</th><th>7 days</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>` : '';
  const resolved = h.resolved.length === 0
    ? '<p class="sub">No incident resolved in the last 7 days.</p>'
    : `<ul class="pages">${h.resolved
        .map((i) => `<li><span class="code">${esc(i.code)}</span> <b>${esc(i.title)}</b> ${badge(i.severity, 'idle')}<div class="sub">opened ${when(i.openedMs, nowMs)} · ${i.paged.length ? `paged ${esc(i.paged.join(', '))}` : 'nobody paged'} · ${i.ackedBy ? `acked by ${esc(i.ackedBy)} ${when(i.ackedMs, nowMs)}` : 'not acked'} · resolved ${when(i.resolvedMs, nowMs)} after ${esc(formatDuration(i.resolvedMs - i.openedMs))}</div></li>`)
        .join('')}</ul>`;
  return `<section id="history"><h2>History <span class="count">last 24 h and 7 days</span></h2>${table}${more}${cut}${up}<h3>Resolved in the last 7 days</h3>${resolved}</section>`;
}
