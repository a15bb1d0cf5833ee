import { isIP, type LookupFunction } from 'node:net';
import type { LookupAddress, LookupOptions } from 'node:dns';
import type { TLSSocket } from 'node:tls';
import type { Got, RequestError, Response } from 'got';
import { gotLib } from '../../util/lazy.js';
import type { ProbeConfig } from '../../config/probeSchema.js';
import { compileRegex } from '../../util/regex.js';
import { endpointOf, ms, type Phase, type Probe, type ProbeResult, type ProbeRunContext } from '../probe.js';
import { PROBE_AGENTS } from './agents.js';
import { certificateWarning } from './cert.js';
import { bytesText, readStream, type StreamedResponse } from './httpBody.js';
import { parseAnswer } from './jsonParse.js';
import { JsonShape } from './jsonShape.js';

type HttpConfig = Extract<ProbeConfig, { kind: 'http' }>;

/**
 * Bytes of body read at most, after decompression: body_regex checks these, json_path parses
 * them (a longer JSON body is not parsed), and a probe with neither reads this much and keeps none.
 */
export const MAX_BODY = 1024 * 1024;

/**
 * HTTP(S) with got. Each phase has its own timeout (got's `timeout.lookup/connect/secureConnect/
 * response`), so a failure names the phase that hung. Facts (checked with got 14):
 *  - a server that accepts TCP and never answers: TimeoutError with event "response", timings
 *    up to `connect` (and `secureConnect`), no response: the reverse-proxy night;
 *  - an https port that accepts TCP but never does TLS: event "secureConnect";
 *  - a closed port: ECONNREFUSED with no `connect` timing;
 *  - `timings.phases` are milliseconds; a phase never reached is undefined (reported absent).
 * The body is streamed (httpBody.ts): at most MAX_BODY is read, only body_regex and json_path keep
 * it, and the result says how much was read (`body_bytes`).
 */
export function httpProbe(cfg: HttpConfig): Probe {
  const bodyRe = cfg.body_regex !== undefined ? compileRegex(`(?s:.*)(?:${cfg.body_regex})(?s:.*)`) : undefined;
  const statusOk = statusMatcher(cfg.expect_status);
  const keepBody = bodyRe !== undefined || cfg.json_path !== undefined;
  let client: Got | undefined;
  const url = new URL(cfg.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return {
    kind: 'http',
    target: cfg.url,
    async run(ctx: ProbeRunContext): Promise<ProbeResult> {
      // The address the request went to (DNS's answer, or the one each_address gives): probes of
      // different names behind one proxy share it (probes/sharedCause.ts).
      const seen: { address?: string } = { address: ctx.address ?? (isIP(host) ? host : undefined) };
      const r = await runOnce(ctx, seen);
      return seen.address !== undefined ? { ...r, endpoint: endpointOf(seen.address, port) } : r;
    },
  };

  async function runOnce(ctx: ProbeRunContext, seen: { address?: string }): Promise<ProbeResult> {
      let cert: ReturnType<TLSSocket['getPeerCertificate']> | undefined;
      const { default: got, TimeoutError } = await gotLib();
      // got checks and merges every option it is given on each call: 16 KB of the 140 KB a run
      // allocated (docs/benchmarks.md, httprun). The fixed ones are merged once, into this
      // probe's own instance (~4 KB kept); a run adds only its deadline and signal.
      try {
        client ??= got.extend({
          method: cfg.method,
          headers: { 'user-agent': 'Lifeline-probe', ...cfg.headers },
          body: cfg.body,
          followRedirect: cfg.follow_redirects,
          throwHttpErrors: false,
          retry: { limit: 0 },
          https: { rejectUnauthorized: cfg.tls_verify },
          agent: PROBE_AGENTS,
          cache: false,
        });
      } catch (err) {
        return failure(err, ctx.timeoutMs, cfg.url, TimeoutError);
      }
      const t = ctx.timeoutMs;
      const stream = client.stream(cfg.url, {
        timeout: { lookup: t, connect: t, secureConnect: t, response: t, request: t },
        signal: ctx.signal,
        // each_address: this run's address instead of DNS; the URL's name stays in Host and SNI.
        ...(ctx.address !== undefined ? { dnsLookup: pinnedLookup(ctx.address) } : {}),
      });
      stream.on('request', (req: { once(ev: 'socket', fn: (s: TLSSocket) => void): void }) =>
        req.once('socket', (sock) => {
          if (typeof sock.getPeerCertificate === 'function') sock.once('secureConnect', () => (cert = sock.getPeerCertificate()));
          if (sock.remoteAddress) seen.address = sock.remoteAddress;
          sock.once('lookup', (err: Error | null, address: string) => {
            if (!err) seen.address = address;
          });
          sock.once('connect', () => {
            if (sock.remoteAddress) seen.address = sock.remoteAddress;
          });
        }),
      );
      const shape = cfg.json_path !== undefined ? new JsonShape('the JSON body') : undefined;
      const kept: Buffer[] = [];
      let res: StreamedResponse;
      try {
        res = await readStream(stream, MAX_BODY, (chunk) => {
          const why = shape?.scan(chunk);
          if (why !== undefined) return { refuse: why };
          if (keepBody) kept.push(chunk);
          return undefined;
        });
      } catch (err) {
        return failure(err, ctx.timeoutMs, cfg.url, TimeoutError);
      }
      const tookMs = res.timings.phases.total ?? Date.now() - res.timings.start;
      const phases = { ...phasesOf(res.timings), total: tookMs / 1000 };
      const took = ms(tookMs);
      const values: ProbeResult['values'] = { status: res.status, body_bytes: res.bytes };
      const declared = Number(res.headers['content-length']);
      // What was read of a body longer than MAX_BODY, for the summary.
      const partial = res.capped ? `the first ${bytesText(MAX_BODY)} of the body${Number.isFinite(declared) && declared > MAX_BODY && res.headers['content-encoding'] === undefined ? ` (${bytesText(declared)} declared)` : ''}` : 'the body';
      if (!statusOk(res.status)) {
        return { up: false, summary: `HTTP ${res.status} in ${took} (expected ${cfg.expect_status.join(', ')})`, phases, values };
      }
      if (res.refused !== undefined) return { up: false, summary: `HTTP ${res.status} in ${took}, but ${res.refused}`, phases, values };
      if (bodyRe && !bodyRe.matches(Buffer.concat(kept).toString('utf8'))) {
        return { up: false, summary: `HTTP ${res.status} in ${took}, but ${partial} does not match /${cfg.body_regex}/`, phases, values };
      }
      if (cfg.json_path !== undefined) {
        if (res.capped) return { up: false, summary: `HTTP ${res.status} in ${took}, but the body is longer than ${bytesText(MAX_BODY)}, the most json_path reads; not parsed`, phases, values };
        const found = await parseAnswer(Buffer.concat(kept), 'valueAtPath', ctx.signal, cfg.json_path);
        if (!found.ok) return { up: false, summary: `HTTP ${res.status} in ${took}, but ${'notJson' in found && found.notJson === true ? 'the body is not JSON' : found.why}`, phases, values };
        const v = found.value;
        if (cfg.json_equals !== undefined && v !== cfg.json_equals) {
          return { up: false, summary: `HTTP ${res.status} in ${took}, but ${cfg.json_path} is ${v !== null && typeof v === 'object' ? v.composite : JSON.stringify(v)}, expected ${JSON.stringify(cfg.json_equals)}`, phases, values };
        }
      }
      const warning = cert && cert.valid_to ? certificateWarning(cert.valid_to, cfg.cert_expiry_warning_days, ctx.nowMs, values) : undefined;
      const read = res.capped ? ` (read ${partial}, not the rest)` : '';
      return { up: true, summary: `HTTP ${res.status} in ${took}${read}`, phases, values, ...(warning ? { warning } : {}) };
  }
}

/**
 * A lookup that answers one address whatever is asked. Node calls it with `all: true` when it
 * may race IPv4 and IPv6 (autoSelectFamily, on by default in Node 20), else for one address.
 */
function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  const lookup = (_host: string, options: LookupOptions, cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    if (options.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  };
  return lookup as LookupFunction;
}

/** got's phases (ms) as seconds, only those reached. */
export function phasesOf(t: Response['timings']): ProbeResult['phases'] {
  const p = t.phases;
  const out: Partial<Record<Phase, number>> = {};
  const put = (k: Phase, v: number | undefined): void => {
    if (v !== undefined && Number.isFinite(v)) out[k] = v / 1000;
  };
  put('dns', p.dns);
  put('connect', p.tcp);
  put('tls', p.tls);
  put('request', p.request);
  put('firstByte', p.firstByte);
  put('download', p.download);
  put('total', p.total);
  return out;
}

/** Turns got's error into what happened, phase by phase (shared by the probes that speak HTTP). */
export function failure(err: unknown, timeoutMs: number, url: string, TimeoutError: typeof import('got').TimeoutError): ProbeResult {
  const u = new URL(url);
  const host = u.host;
  const e = err as RequestError;
  const t = e.timings;
  const phases = t ? phasesOf(t) : {};
  const connected = t?.connect !== undefined;
  const tls = t?.secureConnect !== undefined;
  const steps: string[] = [];
  const dnsFailed = /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|ENODATA)$/.test(e.code ?? '');
  if (t?.phases.dns !== undefined && !dnsFailed && isIP(u.hostname.replace(/^\[|\]$/g, '')) === 0) steps.push(`DNS ${ms(t.phases.dns)}`);
  if (connected && t?.phases.tcp !== undefined) steps.push(`TCP connected in ${ms(t.phases.tcp)}`);
  if (tls && t?.phases.tls !== undefined) steps.push(`TLS in ${ms(t.phases.tls)}`);
  const before = steps.length > 0 ? `${steps.join(', ')}; ` : '';
  const within = ms(timeoutMs);
  if (err instanceof TimeoutError || e.name === 'AbortError' || e.code === 'ERR_ABORTED') {
    // Which phase hung: got's event when it has one, else the first phase the timings never reached.
    const named = err instanceof TimeoutError && ['lookup', 'connect', 'secureConnect', 'response'].includes(err.event) ? err.event : undefined;
    const event = named ?? (t?.lookup === undefined && isIP(u.hostname.replace(/^\[|\]$/g, '')) === 0 ? 'lookup' : !connected ? 'connect' : u.protocol === 'https:' && !tls ? 'secureConnect' : t?.response === undefined ? 'response' : 'request');
    const what: Record<string, string> = {
      lookup: `no DNS answer for ${u.hostname} within ${within}`,
      connect: `no TCP connection to ${host} within ${within}`,
      secureConnect: `no TLS handshake within ${within}`,
      response: `request sent; no HTTP response within ${within}`,
      request: `the response did not complete within ${within}`,
    };
    return { up: false, summary: `${before}${what[event] ?? `timed out after ${within}`}`, phases, values: {} };
  }
  const code = e.code ?? '';
  const reason: Record<string, string> = {
    ENOTFOUND: `DNS: ${host} does not resolve (ENOTFOUND)`,
    EAI_AGAIN: `DNS: lookup of ${host} failed for now (EAI_AGAIN)`,
    ECONNREFUSED: `TCP connection to ${host} refused (nothing listening)`,
    ECONNRESET: 'connection reset by the server',
    EHOSTUNREACH: `no route to ${host} (EHOSTUNREACH)`,
    ENETUNREACH: `network unreachable (ENETUNREACH)`,
  };
  if (reason[code]) return { up: false, summary: `${before}${reason[code]}`, phases, values: {} };
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME_MISMATCH|ALTNAME/i.test(code + e.message)) {
    return { up: false, summary: `${before}TLS certificate not accepted: ${e.message}`, phases, values: {} };
  }
  return { up: false, summary: `${before}${e.message || String(err)}`, phases, values: {} };
}

/** Whether a status is in one of the expected ones ("200", 204, "200-399"). */
function statusMatcher(expect: ReadonlyArray<number | string>): (status: number) => boolean {
  const ranges = expect.map((e) => {
    const [lo, hi] = String(e).split('-').map(Number) as [number, number | undefined];
    return [lo, hi ?? lo] as const;
  });
  return (s) => ranges.some(([lo, hi]) => s >= lo && s <= hi);
}
