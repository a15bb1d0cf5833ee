import { headOf, type PageHead, type PageOrigin, type PageReason } from '../alerts/pages.js';
import type Database from 'better-sqlite3';

/**
 * A page reason as the pages table keeps it (migration 13): the origin's kind with its step index
 * and detail (severity or policy), whether it was sent again after an undelivered SMS, and how
 * many times it moved to a fallback channel. A page reason nests at most that way: an undelivered
 * page names the step it is about, a fallback wraps any page.
 */
export interface ReasonColumns {
  reason: ReasonColumn;
  step_index: number | null;
  detail: string | null;
  undelivered: 0 | 1;
  fallbacks: number;
}

/** The `reason` column's values (its CHECK constraint lists the same). */
export type ReasonColumn = 'step' | 'raised' | 'switched' | 'path' | 'out_of_band' | 'resolved' | 'restored' | 'lowered';

const COLUMN: Readonly<Record<PageOrigin['kind'], ReasonColumn>> = {
  step: 'step',
  raised: 'raised',
  switched: 'switched',
  path: 'path',
  outOfBand: 'out_of_band',
  resolved: 'resolved',
  restored: 'restored',
  lowered: 'lowered',
};

/** The `reason` column's value for an origin kind. */
export function reasonColumn(kind: PageOrigin['kind']): ReasonColumn {
  return COLUMN[kind];
}

/** A reason's columns. */
export function reasonColumns(r: PageReason): ReasonColumns {
  let fallbacks = 0;
  let cur: PageReason = r;
  while (cur.kind === 'fallback') {
    fallbacks++;
    cur = cur.of;
  }
  const undelivered = cur.kind === 'undelivered' ? 1 : 0;
  const o: PageOrigin = cur.kind === 'undelivered' ? cur.of : cur;
  const index = o.kind === 'step' || o.kind === 'raised' || o.kind === 'switched' ? o.index : null;
  const detail = o.kind === 'raised' ? o.severity : o.kind === 'switched' ? o.policy : null;
  return { reason: COLUMN[o.kind], step_index: index, detail, undelivered, fallbacks };
}

/** The columns' reason. */
export function reasonOf(c: ReasonColumns): PageReason {
  const index = c.step_index ?? 0;
  const origin = ((): PageOrigin => {
    switch (c.reason) {
      case 'step':
        return { kind: 'step', index };
      case 'raised':
        return { kind: 'raised', index, severity: c.detail ?? '' };
      case 'switched':
        return { kind: 'switched', index, policy: c.detail ?? '' };
      case 'out_of_band':
        return { kind: 'outOfBand' };
      default:
        return { kind: c.reason };
    }
  })();
  let r: PageReason = c.undelivered ? { kind: 'undelivered', of: headOf(origin) } : origin;
  for (let i = 0; i < c.fallbacks; i++) r = { kind: 'fallback', of: r };
  return r;
}

/** The head's column and index, for matching pages about the same step (see headOf). */
export function headColumns(h: PageHead): { head: 'step' | ReasonColumn; index: number } {
  return h.kind === 'step' ? { head: 'step', index: h.index } : { head: COLUMN[h.kind], index: -1 };
}

/** Named steps as versions before 13 wrote them. */
const LEGACY_NAMED: ReadonlyMap<string, PageHead> = new Map<string, PageHead>([
  ['path', { kind: 'path' }],
  ['oob', { kind: 'outOfBand' }],
  ['resolved', { kind: 'resolved' }],
  ['restored', { kind: 'restored' }],
  ['lowered', { kind: 'lowered' }],
]);

/** A step text before 13: "<head>", then ":undelivered" or ":<severity or policy>", then ":fallback" any times. */
const LEGACY = /^(\d+|[a-z]+)((?::fallback)*)$|^(\d+|[a-z]+):(undelivered|[^]+?)((?::fallback)*)$/;

/**
 * The reason of a page stored before migration 13, from its step text. "N:word" was written both
 * for a raise to severity "word" and for step N of policy "word" after a switch: it reads as the
 * switch when the incident moved to that policy, else as the raise. Unknown texts read as step 0.
 */
export function legacyReason(step: string, incident: { policy: string; switched: boolean }): PageReason {
  const m = LEGACY.exec(step);
  if (!m) return { kind: 'step', index: 0 };
  const head = m[1] ?? m[3] ?? '';
  const base: PageHead = /^\d+$/.test(head) ? { kind: 'step', index: Number(head) } : (LEGACY_NAMED.get(head) ?? { kind: 'step', index: 0 });
  const word = m[4];
  let r: PageReason = base;
  if (word === 'undelivered') r = { kind: 'undelivered', of: base };
  else if (word !== undefined && base.kind === 'step') r = incident.switched && incident.policy === word ? { kind: 'switched', index: base.index, policy: word } : { kind: 'raised', index: base.index, severity: word };
  const fallbacks = (m[2] ?? m[5] ?? '').length / ':fallback'.length;
  for (let i = 0; i < fallbacks; i++) r = { kind: 'fallback', of: r };
  return r;
}

/** Migration 13's conversion: every page's step text into the typed columns of pages_v13. */
export function convertPageSteps(db: Database.Database): void {
  const rows = db
    .prepare<[], { id: number; step: string; policy: string; steps_base_ms: number | null }>('SELECT p.id, p.step, i.policy, i.steps_base_ms FROM pages p JOIN incidents i ON i.id = p.incident_id')
    .all();
  const set = db.prepare<[ReasonColumns & { id: number }]>('UPDATE pages_v13 SET reason = @reason, step_index = @step_index, detail = @detail, undelivered = @undelivered, fallbacks = @fallbacks WHERE id = @id');
  for (const r of rows) set.run({ id: r.id, ...reasonColumns(legacyReason(r.step, { policy: r.policy, switched: r.steps_base_ms !== null })) });
}
