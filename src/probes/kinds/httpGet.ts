import { gotLib } from '../../util/lazy.js';
import { ms, type ProbeResult, type ProbeRunContext } from '../probe.js';
import { PROBE_AGENTS } from './agents.js';
import { failure, phasesOf } from './http.js';
import { bytesText, keepAll, readStream, type ChunkVerdict, type StreamedResponse } from './httpBody.js';
import { JsonShape } from './jsonShape.js';
import type { ArgOf, ExtractedBy, ExtractorName, QuerySample } from './answers.js';
import { parseAnswer } from './jsonParse.js';

/** Most bytes of an API answer read, after decompression (Prometheus' target list of a big setup stays well under). */
export const MAX_ANSWER = 8 * 1024 * 1024;

/** An answer (its body as read, at most MAX_ANSWER), or the probe result that says why there is none (`answered`: the server did answer, but not usably). */
export type Got = { ok: true; status: number; raw: Buffer; timings: StreamedResponse['timings'] } | { ok: false; answered: boolean; result: ProbeResult };
/** An answer. */
export type Answer = Extract<Got, { ok: true }>;

/** How to read the answer: extra headers; `json` (its nesting checked as it arrives, jsonShape.ts); or `onChunk` (the body is not kept). */
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
  return { ok: true, status: r.status, raw: kept ? kept.buffer() : Buffer.alloc(0), timings: r.timings };
}

/** The start of an answer's body, as text for a reason (an error page's first words). */
export function snippet(g: Answer, chars = 120): string {
  return g.raw.subarray(0, chars * 4).toString('utf8').trim().slice(0, chars);
}

/**
 * The answer parsed (jsonParse.ts: off the event loop when it is big) and the named extractor's
 * findings (answers.ts), or the down result that says why not, naming the endpoint (`what`): an
 * HTML login page, an empty or truncated body, JSON of another shape, an answer too large.
 */
export async function readJson<K extends ExtractorName>(g: Answer, what: string, extractor: K, arg: ArgOf<K>, ctx: ProbeRunContext, values: ProbeResult['values'] = {}): Promise<{ ok: true; value: Extract<ExtractedBy<K>, { ok: true }>['value'] } | { ok: false; result: ProbeResult }> {
  const p = await parseAnswer(g.raw, extractor, ctx.signal, arg);
  if (p.ok) return { ok: true, value: p.value as Extract<ExtractedBy<K>, { ok: true }>['value'] };
  if ('notJson' in p && p.notJson === true) {
    const looks = /^\s*</.test(snippet(g, 20)) ? 'HTML' : g.raw.length === 0 ? 'an empty body' : 'not JSON';
    return { ok: false, result: down(g, `${what} answered HTTP ${g.status} with ${looks} (${ms(g.timings.phases.total ?? 0)})`, values) };
  }
  return { ok: false, result: down(g, `${what}: ${p.why}`, values) };
}

/** A down result carrying the request's phases. */
export function down(g: Answer, summary: string, values: ProbeResult['values'] = {}): ProbeResult {
  return { up: false, summary, phases: phasesOf(g.timings), values };
}

/** `/-/healthy` then `/-/ready` (Prometheus, Alertmanager): the result that says why not, or undefined when both answer 200. */
export async function healthyAndReady(base: string, ctx: ProbeRunContext, tlsVerify: boolean, name: string): Promise<ProbeResult | undefined> {
  for (const path of ['/-/healthy', '/-/ready']) {
    const g = await httpGet(base + path, ctx, tlsVerify);
    if (!g.ok) return g.result;
    if (g.status !== 200) return down(g, `${name} ${path} answered HTTP ${g.status}${path === '/-/ready' ? ' (not ready: starting up)' : ''}: ${snippet(g)}`);
  }
  return undefined;
}

/**
 * A Prometheus instant query (`/api/v1/query`, shared by the prometheus and memory probes): the
 * answer and its samples, or the probe result that says why there are none (`answered`: false
 * when Prometheus did not answer at all).
 */
export async function instantQuery(
  base: string,
  expr: string,
  ctx: ProbeRunContext,
  tlsVerify: boolean,
  values: ProbeResult['values'] = {},
): Promise<{ ok: true; g: Answer; samples: QuerySample[] } | { ok: false; answered: boolean; result: ProbeResult }> {
  const g = await httpGet(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`, ctx, tlsVerify, { json: true });
  if (!g.ok) return g;
  if (g.status !== 200) return { ok: false, answered: true, result: down(g, `Prometheus answered HTTP ${g.status} to the query ${expr}: ${snippet(g)}`, values) };
  const j = await readJson(g, '/api/v1/query', 'querySamples', undefined, ctx, values);
  if (!j.ok) return { ok: false, answered: true, result: j.result };
  return { ok: true, g, samples: j.value };
}
