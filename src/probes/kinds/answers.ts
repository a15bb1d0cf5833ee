/*
 * What the probes take out of a parsed JSON answer, checked field by field: a value of another
 * type is named in words, never met with a JavaScript exception ("Cannot read properties of null
 * (reading 'labels')", "text.trim is not a function" in issue 19). Pure functions of the parsed
 * value, so they run where the parse runs: inline for a small answer, in the parse worker for a
 * big one (jsonParse.ts); what they return is small (handing 6,000 targets back from the worker
 * held the event loop 15–40 ms).
 */
import { parseDuration } from '../../config/duration.js';
import { ms } from '../probe.js';

/** What an extractor found, or why the answer does not have it (in words, without the endpoint). */
export type Extracted<T> = { ok: true; value: T } | { ok: false; why: string };

/** A plain JSON object (not null, not an array), or undefined. */
export function objectOf(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A string, or undefined for anything else. */
export function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** An answer's start, for a reason: at most 80 characters of its JSON. */
function shown(v: unknown): string {
  return (JSON.stringify(v) ?? String(v)).slice(0, 80);
}

/** One scrape target of Prometheus' `/api/v1/targets` (the fields the probe reads). */
interface Target {
  scrapePool?: string;
  scrapeUrl?: string;
  labels?: Record<string, string>;
  health?: string;
  lastError?: string;
  lastScrape?: string;
  scrapeInterval?: string;
}

const TARGET_STRINGS = ['scrapePool', 'scrapeUrl', 'health', 'lastError', 'lastScrape', 'scrapeInterval'] as const;

/** What the prometheus probe needs of the target list: counts, and the first few problems in words. */
export interface TargetHealth {
  total: number;
  staleCount: number;
  /** The first three stale targets: "node/bouncer-1:9100 last scraped 10 min ago (every 15s)". */
  stale: string[];
  downCount: number;
  /** The first three targets whose last scrape failed: "node/bouncer-1:9100: connection refused". */
  down: string[];
}

/**
 * `data.activeTargets` of Prometheus 2.x's `/api/v1/targets` judged at `nowMs`: a target whose last
 * scrape is older than `staleFactor` × its interval is stale (not being scraped), one whose health
 * is "down" failed its last scrape. Each must be an object whose fields are strings where present.
 * Only counts and the first few texts come back, so a list of thousands costs nothing to hand over.
 */
export function targetHealth(v: unknown, at: { nowMs: number; staleFactor: number }): Extracted<TargetHealth> {
  const list = objectOf(objectOf(v)?.['data'])?.['activeTargets'];
  if (!Array.isArray(list)) return { ok: false, why: `no data.activeTargets list in the answer: ${shown(v)}` };
  const h: TargetHealth = { total: list.length, staleCount: 0, stale: [], downCount: 0, down: [] };
  for (const [i, item] of (list as unknown[]).entries()) {
    const o = objectOf(item);
    const labels = objectOf(o?.['labels']);
    const fine = o !== undefined && TARGET_STRINGS.every((k) => o[k] === undefined || typeof o[k] === 'string') && (o['labels'] === undefined || (labels !== undefined && Object.values(labels).every((l) => typeof l === 'string')));
    if (!fine) return { ok: false, why: `data.activeTargets[${i}] is not a target: ${shown(item)}` };
    const t = o as Target;
    const name = t.labels?.['instance'] ?? t.scrapeUrl ?? '?';
    const intervalMs = parseDuration(t.scrapeInterval ?? '') ?? 60_000;
    const last = Date.parse(t.lastScrape ?? '');
    const age = Number.isFinite(last) && last > 0 ? at.nowMs - last : Infinity;
    if (age > at.staleFactor * intervalMs) {
      if (h.staleCount++ < 3) h.stale.push(`${t.scrapePool ?? ''}/${name} last scraped ${Number.isFinite(age) ? `${ms(age)} ago` : 'never'} (every ${t.scrapeInterval ?? '?'})`);
    } else if (t.health === 'down' && h.downCount++ < 3) h.down.push(`${t.scrapePool ?? ''}/${name}: ${t.lastError || 'down'}`);
  }
  return { ok: true, value: h };
}

/** Alertmanager 0.2x's `/api/v2/status`: the cluster's status and peer count, and the version. */
export function alertmanagerStatus(v: unknown, _unused?: undefined): Extracted<{ cluster: string; peers: number; version: string }> {
  const st = objectOf(v);
  const c = objectOf(st?.['cluster']);
  if (st === undefined || c === undefined) return { ok: false, why: `no cluster object in the answer (is this Alertmanager 0.2x?): ${shown(v)}` };
  const peers = c['peers'];
  return { ok: true, value: { cluster: stringOf(c['status']) ?? 'unknown', peers: Array.isArray(peers) ? peers.length : 0, version: stringOf(objectOf(st['versionInfo'])?.['version']) ?? '' } };
}

/** One sample of an instant query's vector: its labels and value (as Prometheus writes it). */
export interface QuerySample {
  metric: Record<string, string>;
  value: string;
}

/** Samples handed back at most (the probes read one, or the dozen series of one host the memory probe reads). */
const MAX_SAMPLES = 100;

/** `data.result` of `/api/v1/query`: each `{metric: {…}, value: [time, "number"]}`; the first MAX_SAMPLES. */
export function querySamples(v: unknown, _unused?: undefined): Extracted<QuerySample[]> {
  const result = objectOf(objectOf(v)?.['data'])?.['result'];
  if (!Array.isArray(result)) return { ok: false, why: `no data.result list in the answer: ${shown(v)}` };
  const samples: QuerySample[] = [];
  for (const r of result as unknown[]) {
    const o = objectOf(r);
    const metric = objectOf(o?.['metric']) ?? {};
    const pair = o?.['value'];
    const value = Array.isArray(pair) ? stringOf(pair[1]) : undefined;
    if (o === undefined || value === undefined || !Object.values(metric).every((l) => typeof l === 'string')) return { ok: false, why: `a result is not {metric, value: [time, "number"]}: ${shown(r)}` };
    if (samples.length < MAX_SAMPLES) samples.push({ metric: metric as Record<string, string>, value });
  }
  return { ok: true, value: samples };
}

/** What json_path found: a plain value, or an object or array as its JSON (cut to 80 characters). */
export type PathValue = string | number | boolean | null | { composite: string };

/**
 * The value at a simple JSON path ($.a.b[0]), as the http probe's json_path names it. An object or
 * array comes back as its JSON text, cut short: json_equals compares plain values only, and a
 * whole document need not cross from the parse worker to say it exists.
 */
export function valueAtPath(v: unknown, path: string): Extracted<PathValue> {
  let at = v;
  for (const step of path.slice(1).match(/\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\]/g) ?? []) {
    const key = step.startsWith('.') ? step.slice(1) : Number(step.slice(1, -1));
    if (at === null || typeof at !== 'object' || !Object.prototype.hasOwnProperty.call(at, key)) return { ok: false, why: `${path} is not in the JSON body` };
    at = (at as Record<string | number, unknown>)[key];
  }
  return { ok: true, value: at !== null && typeof at === 'object' ? { composite: shown(at) } : (at as PathValue) };
}

/** Every extractor, by name (the parse worker is told a name, as functions do not cross threads). */
export const EXTRACTORS = { targetHealth, alertmanagerStatus, querySamples, valueAtPath } as const;
/** An extractor's name. */
export type ExtractorName = keyof typeof EXTRACTORS;
/** What the named extractor returns. */
export type ExtractedBy<K extends ExtractorName> = ReturnType<(typeof EXTRACTORS)[K]>;
/** What the named extractor is given besides the answer (a path, the time...). */
export type ArgOf<K extends ExtractorName> = Parameters<(typeof EXTRACTORS)[K]>[1];

/** Runs the named extractor on a parsed answer. */
export function extract<K extends ExtractorName>(name: K, v: unknown, arg: ArgOf<K>): ExtractedBy<K> {
  return (EXTRACTORS[name] as (v: unknown, arg: ArgOf<K>) => ExtractedBy<K>)(v, arg);
}
