import { reasonWords } from '../alerts/pages.js';
import { deliveryWords } from '../escalation/delivery.js';
import { badge, due, esc, when } from './html.js';
import { worstFirst, type IncidentView, type PageView, type StatusReport } from './status.js';

/*
 * The status page's sections other than the probes (statusPage.ts). Each is bounded: incidents
 * by INCIDENTS_SHOWN, pages by RECENT_PAGES, rotations and silences by the config.
 */

/** How a page's delivery reads; a waiting page says when it actually goes. */
function deliveryBadge(p: PageView, nowMs: number): string {
  if (p.state === 'waiting') return `${badge('waiting', 'warn')} ${p.goesMs === null ? 'while its incident is held by a silence or maintenance window' : `goes ${due(p.goesMs, nowMs)}`}`;
  const d = deliveryWords(p);
  return badge(d.text, d.tone);
}

function pageLine(p: PageView, nowMs: number, withIncident: boolean): string {
  const err = p.error && p.state !== 'sent' ? `<div class="sub bad-t">${esc(p.attempts)} failed attempt(s): ${esc(p.error)}</div>` : '';
  const at = !p.call && !p.receipt && p.doneMs !== null && p.doneMs - p.createdMs >= 60_000 ? ` <span class="sub">at ${when(p.doneMs, nowMs)}</span>` : '';
  return `<li>${withIncident ? `<b>${esc(p.incident)}</b> ` : ''}${esc(reasonWords(p.reason))} · ${esc(p.channel)} → ${esc(p.person)} · ${when(p.createdMs, nowMs)} ${deliveryBadge(p, nowMs)}${at}${err}</li>`;
}

/** What escalation does next for an open or acked incident, in the future tense. */
function nextWords(i: IncidentView, nowMs: number): string {
  if (i.heldSinceMs !== null) return `held by a silence or maintenance window since ${when(i.heldSinceMs, nowMs)}: no step, no page until it ends`;
  if (i.state === 'acked') return `acked by ${esc(i.ackedBy ?? '?')} ${when(i.ackedMs, nowMs)}`;
  return i.nextDueMs !== null ? `next step ${due(i.nextDueMs, nowMs)}` : 'no more steps in its policy';
}

/**
 * Incidents as shown: worst first (see worstFirst), the incidents of one Alertmanager group (same
 * groupKey) folded into one entry at the place of its worst member. Linear in the incidents.
 */
export function foldGroups(shown: readonly IncidentView[]): IncidentView[][] {
  return gather(worstFirst([...shown]), (i) => i.groupKey);
}

/** Items in order, those with the same non-null key gathered at the place of the first of them. Linear. */
function gather<T, K>(items: readonly T[], key: (t: T) => K | null): T[][] {
  const out: T[][] = [];
  const byKey = new Map<K, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = k === null ? undefined : byKey.get(k);
    if (list) list.push(t);
    else {
      const entry = [t];
      out.push(entry);
      if (k !== null) byKey.set(k, entry);
    }
  }
  return out;
}

function incidentRow(i: IncidentView, nowMs: number): string {
  const tone = i.state === 'acked' ? 'warn' : 'bad';
  const pages = i.pages.length === 0 ? '<div class="sub">nobody paged yet</div>' : `<ul class="pages">${i.pages.map((p) => pageLine(p, nowMs, false)).join('')}</ul>`;
  const cause = i.cause ? ` ${badge('cause', 'bad')}` : '';
  return `<tr><td>${badge(i.state, tone)}<div class="code">${esc(i.code)}</div></td><td><b>${esc(i.title)}</b>${cause}<div class="sub">${esc(i.kind)} · ${esc(i.severity)} · opened ${when(i.openedMs, nowMs)}</div><div class="sub">${nextWords(i, nowMs)}</div>${pages}</td></tr>`;
}

/** One entry for the N incidents of one Alertmanager group: the worst in full, the others by code and title. */
function groupRow(list: readonly IncidentView[], nowMs: number): string {
  const [first] = list as [IncidentView, ...IncidentView[]];
  const open = list.filter((i) => i.state === 'open').length;
  const pages = messages(list.flatMap((i) => i.pages)).map((m) => messageLine(m, nowMs));
  const members = list.map((i) => `<li><span class="code">${esc(i.code)}</span> ${badge(i.state, i.state === 'acked' ? 'warn' : 'bad')} ${esc(i.title)}</li>`).join('');
  return `<tr><td>${badge(`${list.length} in one group`, open ? 'bad' : 'warn')}<div>${list.map((i) => `<span class="code">${esc(i.code)}</span>`).join(' ')}</div></td><td><b>${esc(first.title)}</b> <span class="sub">and ${list.length - 1} more of its Alertmanager group</span><div class="sub">${esc(first.kind)} · ${esc(first.severity)} · ${open} open · opened ${when(first.openedMs, nowMs)}</div><div class="sub">${nextWords(first, nowMs)}</div><details><summary>${list.length} incidents, codes ${list.map((i) => esc(i.code)).join(', ')}</summary><ul>${members}</ul></details>${pages.length ? `<ul class="pages">${pages.join('')}</ul>` : '<div class="sub">nobody paged yet</div>'}</td></tr>`;
}

/** Open and acknowledged incidents, worst first, groups folded. */
export function incidentsSection(r: StatusReport): string {
  const { shown } = r.incidents;
  const unresolved = r.incidents.open + r.incidents.acked;
  if (unresolved === 0) return '<section id="incidents"><h2>Incidents</h2><p>No open incidents.</p></section>';
  const more = unresolved > shown.length ? `<p class="sub">${unresolved - shown.length} older incidents not shown.</p>` : '';
  const rows = foldGroups(shown).map((e) => (e.length === 1 ? incidentRow(e[0] as IncidentView, r.generatedMs) : groupRow(e, r.generatedMs)));
  return `<section id="incidents"><h2>Incidents <span class="count">${r.incidents.open} open · ${r.incidents.acked} acked</span></h2><div class="scroll"><table><tbody>${rows.join('')}</tbody></table></div>${more}</section>`;
}

/** A state the link must be up to know: shown as unknown, with when it was last known, while it is not. */
function known(linkUp: boolean, state: string, tone: 'ok' | 'bad' | 'idle', lastKnownMs: number | undefined, nowMs: number): string {
  if (linkUp) return badge(state, tone);
  const last = state === 'unknown' || lastKnownMs === undefined ? '' : `; last known ${esc(state)} ${when(lastKnownMs, nowMs)}`;
  return `${badge('unknown', 'idle')} <span class="sub">(no link to the bouncer${last})</span>`;
}

/** The IRC path: healthy, it is one folded line; broken, every part of it with what is known. */
export function pathSection(r: StatusReport): string {
  if (!r.path) return '<section id="path"><h2>IRC path</h2><p class="sub">IRC is not configured.</p></section>';
  const irc = r.irc;
  const now = r.generatedMs;
  const rows: string[] = [];
  if (irc) {
    const up = irc.link === 'registered';
    rows.push(`<li>link to the bouncer: ${badge(irc.link, up ? 'ok' : 'bad')} ${up ? `since ${when(irc.connectedSinceMs, now)}` : irc.disconnectedSinceMs ? `lost ${when(irc.disconnectedSinceMs, now)}` : ''}</li>`);
    if (irc.lastError && !up) rows.push(`<li class="bad-t">last error: ${esc(irc.lastError)}</li>`);
    rows.push(`<li>bouncer's network: ${known(up, irc.upstream, irc.upstream === 'up' ? 'ok' : irc.upstream === 'down' ? 'bad' : 'idle', irc.upstreamSinceMs, now)}</li>`);
    const rtt = irc.canary.lastRttMs === undefined ? '' : ` in ${esc(Math.round(irc.canary.lastRttMs))} ms`;
    const canary = irc.canary.failing ? badge('lost', 'bad') : irc.canary.lastOkMs ? (up ? `${badge('back', 'ok')}${rtt}, ${when(irc.canary.lastOkMs, now)}` : known(false, 'back', 'ok', irc.canary.lastOkMs, now)) : badge('none yet', 'idle');
    rows.push(`<li>canary: ${canary}</li>`);
    rows.push(`<li>channels joined: ${irc.joined.length ? irc.joined.map(esc).join(', ') : 'none'} · nick ${esc(irc.nick)}</li>`);
  }
  if (r.path.healthy) return `<section id="path"><details><summary><b>IRC path</b> ${badge('carrying alerts', 'ok')}</summary><ul>${rows.join('')}</ul></details></section>`;
  return `<section id="path" class="fault"><h2>IRC path</h2><p>${badge('down', 'bad')} ${esc(r.path.reason ?? '')}</p><ul>${rows.join('')}</ul></section>`;
}

/** Who is on call: one line per rotation, the table of who is next folded. */
export function oncallSection(r: StatusReport): string {
  if (r.oncall.length === 0) return '<section id="oncall"><h2>On call</h2><p class="sub">No rotations configured (oncall.rotations).</p></section>';
  const line = r.oncall.map((o) => `${esc(o.rotation)}: <b>${esc(o.now.person)}</b>`).join(' · ');
  const rows = r.oncall
    .map((o) => `<tr><td>${esc(o.rotation)}</td><td><b>${esc(o.now.person)}</b>${o.now.override ? ' (override)' : ''}<div class="sub">until ${when(o.now.untilMs, r.generatedMs)}</div></td><td>${o.next ? `${esc(o.next.person)}${o.next.override ? ' (override)' : ''}` : '—'}</td></tr>`)
    .join('');
  return `<section id="oncall"><details><summary><b>On call</b> ${line}</summary><div class="scroll"><table><thead><tr><th>rotation</th><th>now</th><th>next</th></tr></thead><tbody>${rows}</tbody></table></div></details></section>`;
}

/**
 * The last pages as messages: the pages bundled into one outbox message (one SMS, one e-mail, one
 * call) are one row listing their incidents; a page still waiting is a row of its own.
 */
export function messages(pages: readonly PageView[]): PageView[][] {
  return gather(pages, (p) => p.message);
}

function messageLine(m: readonly PageView[], nowMs: number): string {
  if (m.length === 1) return pageLine(m[0] as PageView, nowMs, true);
  const p = m[0] as PageView;
  const codes = [...new Set(m.map((x) => x.incident))];
  return `<li>one ${esc(p.channel)} → ${esc(p.person)} carried the pages of <b>${codes.map(esc).join(', ')}</b> · ${when(p.createdMs, nowMs)} ${deliveryBadge(p, nowMs)}</li>`;
}

export function channelsAndPages(r: StatusReport): string {
  const ch = r.channels.length === 0 ? '<p class="sub">No paging channel configured (email, sms).</p>' : `<p>${r.channels.map((c) => `${esc(c.channel)} ${badge(c.misconfigured ? 'misconfigured' : c.healthy ? 'delivering' : 'failing', c.healthy && !c.misconfigured ? 'ok' : 'bad')}`).join(' · ')}</p>`;
  const pages = r.pages.length === 0 ? '<p class="sub">No pages sent yet.</p>' : `<ul class="pages">${messages(r.pages).map((m) => messageLine(m, r.generatedMs)).join('')}</ul>`;
  return `<section id="paging"><h2>Paging</h2>${ch}<h3>Last pages</h3>${pages}</section>`;
}

/** Silences and maintenance windows in force: who set each, what it matches, when it ends. */
export function mutesSection(r: StatusReport): string {
  if (r.silences.length === 0 && r.maintenance.length === 0) return '';
  const silences = r.silences.map((x) => `<li><b>#${esc(x.id)}</b> <code>${esc(x.matchers)}</code> · by ${esc(x.createdBy)} ${when(x.createdMs, r.generatedMs)} · ends ${when(x.expiresMs, r.generatedMs)}</li>`);
  const windows = r.maintenance.map((w) => `<li>maintenance window <b>${esc(w.name)}</b> (${w.peer === null ? 'config' : `config of peer ${esc(w.peer)}`})</li>`);
  return `<section id="silences"><h2>Silences and maintenance <span class="count">${r.silences.length} silence${r.silences.length === 1 ? '' : 's'} · ${r.maintenance.length} window${r.maintenance.length === 1 ? '' : 's'}</span></h2><ul>${[...silences, ...windows].join('')}</ul></section>`;
}

export function faultsSection(r: StatusReport): string {
  if (r.faults.length === 0) return '';
  return `<section class="fault" id="faults"><h2>Lifeline's own faults</h2><ul>${r.faults.map((f) => `<li><b>${esc(f.kind)}</b> since ${when(f.sinceMs, r.generatedMs)}: ${esc(f.detail)}</li>`).join('')}</ul></section>`;
}
