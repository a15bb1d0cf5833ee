import { formatDuration } from '../config/duration.js';
import { neutralise } from '../notifiers/text.js';

/*
 * The small pieces of HTML the status page is made of: escaping, times in words, badges.
 */

const ESC: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text made safe for HTML element content and quoted attribute values, with control characters
 * dropped and invisible format characters (bidi overrides, zero-width) shown as "[U+202E]", as in
 * IRC (notifiers/text.ts neutralise).
 */
export function esc(s: string | number): string {
  return neutralise(String(s)).replace(/[&<>"']/g, (c) => ESC[c] as string);
}

/** "12:03 UTC" inside a <time> element. */
function clock(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** Something that happened: "2026-11-23 12:03 UTC (5 min ago)". */
export function when(ms: number | null | undefined, nowMs: number): string {
  if (ms === null || ms === undefined) return '—';
  const d = nowMs - ms;
  const rel = Math.abs(d) < 1000 ? 'now' : d > 0 ? `${formatDuration(d)} ago` : `in ${formatDuration(-d)}`;
  return `${clock(ms)} <span class="rel">(${rel})</span>`;
}

/**
 * Something pending, in the future tense: "in 2 min (2026-11-23 12:05 UTC)"; one already due
 * (the loop acts on it at its next turn) reads "now", never "2 min ago".
 */
export function due(ms: number, nowMs: number): string {
  return ms - nowMs < 1000 ? 'now' : `in ${formatDuration(ms - nowMs)} <span class="rel">(${clock(ms)})</span>`;
}

/** A coloured word. */
export function badge(text: string, tone: 'ok' | 'bad' | 'warn' | 'idle'): string {
  return `<span class="b ${tone}">${esc(text)}</span>`;
}
