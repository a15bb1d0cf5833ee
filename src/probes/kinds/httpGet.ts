import type { Response } from 'got';
import { gotLib } from '../../util/lazy.js';
import { ms, type ProbeResult, type ProbeRunContext } from '../probe.js';
import { PROBE_AGENTS } from './agents.js';
import { failure, phasesOf } from './http.js';

/** Most bytes of an API answer read (Prometheus' target list of a big setup stays well under). */
const MAX_BODY = 8 * 1024 * 1024;

/** An answer, or the probe result that says why there is none. */
export type Got = { ok: true; status: number; body: string; res: Response<string> } | { ok: false; result: ProbeResult };

/** GET with the probe's deadline and per-phase timeouts; never throws. */
export async function httpGet(url: string, ctx: ProbeRunContext, tlsVerify: boolean, headers: Record<string, string> = {}): Promise<Got> {
  const t = ctx.timeoutMs;
  const { default: got, TimeoutError } = await gotLib();
  const request = got(url, {
    headers: { 'user-agent': 'Lifeline-probe', accept: 'application/json, text/plain', ...headers },
    throwHttpErrors: false,
    retry: { limit: 0 },
    https: { rejectUnauthorized: tlsVerify },
    timeout: { lookup: t, connect: t, secureConnect: t, response: t, request: t },
    signal: ctx.signal,
    agent: PROBE_AGENTS,
    cache: false,
  });
  request.on('downloadProgress', (p: { transferred: number }) => {
    if (p.transferred > MAX_BODY) request.cancel();
  });
  try {
    const res = await request;
    return { ok: true, status: res.statusCode, body: res.body, res };
  } catch (err) {
    return { ok: false, result: failure(err, t, url, TimeoutError) };
  }
}

/** Parses a JSON answer; the reason when it is not JSON (an HTML login page, a truncated reply). */
export function parseJson(g: Extract<Got, { ok: true }>, what: string): { ok: true; value: unknown } | { ok: false; why: string } {
  try {
    return { ok: true, value: JSON.parse(g.body) as unknown };
  } catch {
    const looks = /^\s*</.test(g.body) ? 'HTML' : g.body.length === 0 ? 'an empty body' : 'not JSON';
    return { ok: false, why: `${what} answered HTTP ${g.status} with ${looks} (${ms(g.res.timings.phases.total ?? 0)})` };
  }
}

/** A down result carrying the request's phases. */
export function down(g: Extract<Got, { ok: true }>, summary: string, values: ProbeResult['values'] = {}): ProbeResult {
  return { up: false, summary, phases: phasesOf(g.res.timings), values };
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
): Promise<{ ok: true; g: Extract<Got, { ok: true }>; samples: QuerySample[] } | { ok: false; answered: boolean; result: ProbeResult }> {
  const g = await httpGet(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`, ctx, tlsVerify);
  if (!g.ok) return { ok: false, answered: false, result: g.result };
  if (g.status !== 200) return { ok: false, answered: true, result: down(g, `Prometheus answered HTTP ${g.status} to the query ${expr}: ${g.body.trim().slice(0, 120)}`, values) };
  const j = parseJson(g, '/api/v1/query');
  if (!j.ok) return { ok: false, answered: true, result: down(g, j.why, values) };
  const result = (j.value as { data?: { result?: unknown } }).data?.result;
  if (!Array.isArray(result)) return { ok: false, answered: true, result: down(g, '/api/v1/query answered without data.result', values) };
  const samples = (result as Array<{ metric?: Record<string, string>; value?: [number, string] }>).flatMap((r) => (r.value?.[1] !== undefined ? [{ metric: r.metric ?? {}, value: r.value[1] }] : []));
  return { ok: true, g, samples };
}
