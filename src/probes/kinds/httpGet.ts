import { gotLib } from '../../util/lazy.js';
import { ms, type ProbeResult, type ProbeRunContext } from '../probe.js';
import { PROBE_AGENTS } from './agents.js';
import { failure, phasesOf } from './http.js';
import { bytesText, keepAll, readStream, type ChunkVerdict, type StreamedResponse } from './httpBody.js';
import { JsonShape } from './jsonShape.js';

/** Most bytes of an API answer read, after decompression (Prometheus' target list of a big setup stays well under). */
export const MAX_ANSWER = 8 * 1024 * 1024;

/** An answer, or the probe result that says why there is none (`answered`: the server did answer, but not usably). */
export type Got = { ok: true; status: number; body: string; timings: StreamedResponse['timings'] } | { ok: false; answered: boolean; result: ProbeResult };

/** How to read the answer: extra headers; `json` (its shape checked as it arrives, jsonShape.ts); or `onChunk` (the body is not kept). */
export interface GetOptions {
  headers?: Record<string, string>;
  json?: boolean;
  onChunk?: (chunk: Buffer) => ChunkVerdict;
}

/**
 * GET with the probe's deadline and per-phase timeouts, the body streamed and capped at
 * MAX_ANSWER after decompression (httpBody.ts); never throws. An answer over the cap, or one that
 * `json` or `onChunk` refuses, is `answered` with the reason: the server is there, its answer is not usable.
 */
export async function httpGet(url: string, ctx: ProbeRunContext, tlsVerify: boolean, opts: GetOptions = {}): Promise<Got> {
  const t = ctx.timeoutMs;
  const { default: got, TimeoutError } = await gotLib();
  const path = new URL(url).pathname;
  const stream = got.stream(url, {
    headers: { 'user-agent': 'Lifeline-probe', accept: 'application/json, text/plain', ...opts.headers },
    throwHttpErrors: false,
    retry: { limit: 0 },
    https: { rejectUnauthorized: tlsVerify },
    timeout: { lookup: t, connect: t, secureConnect: t, response: t, request: t },
    signal: ctx.signal,
    agent: PROBE_AGENTS,
    cache: false,
  });
  const shape = opts.json ? new JsonShape(`the answer of ${path}`) : undefined;
  const kept = opts.onChunk ? undefined : keepAll(shape ? (c) => shape.scan(c) : undefined);
  let r: StreamedResponse;
  try {
    r = await readStream(stream, MAX_ANSWER, opts.onChunk ?? (kept as ReturnType<typeof keepAll>).onChunk);
  } catch (err) {
    return { ok: false, answered: false, result: failure(err, t, url, TimeoutError) };
  }
  const phases = phasesOf(r.timings);
  if (r.refused !== undefined) return { ok: false, answered: true, result: { up: false, summary: `${r.refused} (HTTP ${r.status}, ${bytesText(r.bytes)} read)`, phases, values: { body_bytes: r.bytes } } };
  if (r.capped) return { ok: false, answered: true, result: { up: false, summary: `${path} answered HTTP ${r.status} with more than ${bytesText(MAX_ANSWER)}, the most a probe reads of an answer; not read further`, phases, values: { body_bytes: r.bytes } } };
  return { ok: true, status: r.status, body: kept ? kept.buffer().toString('utf8') : '', timings: r.timings };
}

/** Parses a JSON answer; the reason when it is not JSON (an HTML login page, a truncated reply). */
export function parseJson(g: Extract<Got, { ok: true }>, what: string): { ok: true; value: unknown } | { ok: false; why: string } {
  try {
    return { ok: true, value: JSON.parse(g.body) as unknown };
  } catch {
    const looks = /^\s*</.test(g.body) ? 'HTML' : g.body.length === 0 ? 'an empty body' : 'not JSON';
    return { ok: false, why: `${what} answered HTTP ${g.status} with ${looks} (${ms(g.timings.phases.total ?? 0)})` };
  }
}

/** A down result carrying the request's phases. */
export function down(g: Extract<Got, { ok: true }>, summary: string, values: ProbeResult['values'] = {}): ProbeResult {
  return { up: false, summary, phases: phasesOf(g.timings), values };
}

/** `/-/healthy` then `/-/ready` (Prometheus, Alertmanager): the result that says why not, or undefined when both answer 200. */
export async function healthyAndReady(base: string, ctx: ProbeRunContext, tlsVerify: boolean, name: string): Promise<ProbeResult | undefined> {
  for (const path of ['/-/healthy', '/-/ready']) {
    const g = await httpGet(base + path, ctx, tlsVerify);
    if (!g.ok) return g.result;
    if (g.status !== 200) return down(g, `${name} ${path} answered HTTP ${g.status}${path === '/-/ready' ? ' (not ready: starting up)' : ''}: ${g.body.trim().slice(0, 120)}`);
  }
  return undefined;
}

/** One sample of an instant query's vector: its labels and value (as Prometheus writes it). */
export interface QuerySample {
  metric: Record<string, string>;
  value: string;
}

/** A plain JSON object (not null, not an array), or undefined. */
export function objectOf(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A string, or undefined for anything else. */
export function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * A Prometheus instant query (`/api/v1/query`, shared by the prometheus and memory probes): the
 * answer and its samples, or the probe result that says why there are none (`answered`: false
 * when Prometheus did not answer at all). Each result must be `{metric: {…}, value: [time,
 * "string"]}` as Prometheus writes it; anything else is named, never read as a number.
 */
export async function instantQuery(
  base: string,
  expr: string,
  ctx: ProbeRunContext,
  tlsVerify: boolean,
  values: ProbeResult['values'] = {},
): Promise<{ ok: true; g: Extract<Got, { ok: true }>; samples: QuerySample[] } | { ok: false; answered: boolean; result: ProbeResult }> {
  const g = await httpGet(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`, ctx, tlsVerify, { json: true });
  if (!g.ok) return g;
  if (g.status !== 200) return { ok: false, answered: true, result: down(g, `Prometheus answered HTTP ${g.status} to the query ${expr}: ${g.body.trim().slice(0, 120)}`, values) };
  const j = parseJson(g, '/api/v1/query');
  if (!j.ok) return { ok: false, answered: true, result: down(g, j.why, values) };
  const result = objectOf(objectOf(j.value)?.['data'])?.['result'];
  if (!Array.isArray(result)) return { ok: false, answered: true, result: down(g, '/api/v1/query answered without a data.result list', values) };
  const samples: QuerySample[] = [];
  for (const r of result as unknown[]) {
    const o = objectOf(r);
    const metric = objectOf(o?.['metric']) ?? {};
    const pair = o?.['value'];
    const value = Array.isArray(pair) ? stringOf(pair[1]) : undefined;
    if (o === undefined || value === undefined || !Object.values(metric).every((v) => typeof v === 'string')) {
      return { ok: false, answered: true, result: down(g, `/api/v1/query answered a result that is not {metric, value: [time, "number"]}: ${JSON.stringify(r).slice(0, 80)}`, values) };
    }
    samples.push({ metric: metric as Record<string, string>, value });
  }
  return { ok: true, g, samples };
}
