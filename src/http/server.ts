import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { probeMetricsParts } from './probeMetrics.js';
import type { ProbeStatus } from '../probes/engine.js';
import { parseWebhookPayloadYielding, type GroupNotification } from '../sources/alertmanager.js';
import type { HeartbeatPing } from '../sources/heartbeats.js';
import { makeAuthCheck, makeHeartbeatAuth } from './auth.js';
import { statusJsonParts, type StatusReport } from './status.js';
import { statusPageParts } from './statusPage.js';

/*
 * Plain node:http rather than a framework: five routes, and every byte of behaviour on the webhook
 * (auth before the body is read, 413 from Content-Length, 415, 400 with a reason, 503) is explicit
 * here. A framework cost ~15 MB of resident memory and ~120 ms of start-up for none of that.
 */

/** What the HTTP layer needs from the rest of the program. */
export interface HttpDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Stores a notification; resolves once it is on disk (rejects when it cannot be stored). */
  ingest(route: string, n: GroupNotification): Promise<{ alerts: number; queued: number }>;
  ready(): { ready: boolean; checks: Record<string, unknown> };
  /** Records a ping of heartbeat `name`; false when there is no such heartbeat probe. Throws when it cannot be stored. */
  heartbeat?(name: string, ping: HeartbeatPing): boolean;
  /** Twilio's inbound SMS webhook; undefined when sms.inbound_url is not configured. */
  smsInbound?: (form: Record<string, string>, signature: string | undefined) => { status: number; body: string };
  /** Twilio's SMS status callback (delivery receipts); undefined without sms.status_url. */
  smsStatus?: (form: Record<string, string>, signature: string | undefined) => { status: number; body: string };
  /** Twilio's voice webhooks (TwiML, key presses, call status) by path and query; undefined without voice. */
  voice?: (pathAndQuery: string, form: Record<string, string>, signature: string | undefined) => { status: number; body: string };
  status(): StatusReport;
  /** Every probe's state and last result (for its series on /metrics). */
  probes(): readonly ProbeStatus[];
  /** Who is on call now, per rotation. */
  oncall(): unknown;
}

/** The running HTTP server. */
export interface HttpServer {
  readonly server: Server;
  port(): number;
  /** Stops accepting, lets requests in flight finish, closes idle keep-alive connections. */
  close(): Promise<void>;
}

const WEBHOOK = '/api/v1/alertmanager';
const HEARTBEAT = '/api/v1/heartbeat';

/** Bytes of a "/fail" ping's body kept as its reason. */
const FAIL_REASON_MAX = 2048;


/** Up to `max` bytes of a request body as text; the rest is drained and dropped. */
async function readSome(req: IncomingMessage, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (n < max) parts.push(chunk.subarray(0, max - n));
    n += chunk.length;
    if (n > 1024 * 1024) break;
  }
  return Buffer.concat(parts).toString('utf8');
}
/** Twilio's webhook parameters are small; 64 KiB is far above any real request. */
const TWILIO_BODY_LIMIT = 64 * 1024;

/** Whether the request announces (Content-Length) a body over `limit`: answered 413 before reading it. */
function declaredOver(req: IncomingMessage, limit: number): boolean {
  const declared = Number(req.headers['content-length'] ?? NaN);
  return Number.isFinite(declared) && declared > limit;
}
const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Bytes a part-by-part answer may queue in the socket before it waits for the client to read. */
const QUEUE_BYTES = 1024 * 1024;
/** How long a part-by-part answer may run before it lets the event loop turn. */
const SLICE_MS = 10;

/**
 * Answers 200 with a body that grows with the config (the status page, the status JSON, the
 * per-probe series of /metrics) part by part: parts are made and written for at most SLICE_MS, then
 * the event loop turns, so /healthz and the webhook are answered meanwhile; with over QUEUE_BYTES
 * not yet taken by the client it waits for the client instead. (Waiting for the client after every
 * part, at the socket's 16 KB mark, cost a loop turn per part: with 100,000 probes busy probing,
 * /metrics took 60 s.) Stops when the client goes away; an error mid-answer cuts the connection.
 * performance.now() measures the slice: a CPU budget, not the program's notion of time.
 */
async function writeParts(res: ServerResponse, headers: Record<string, string>, parts: Iterable<string>): Promise<void> {
  res.writeHead(200, headers);
  try {
    let sliceStart = performance.now();
    for (const part of parts) {
      if (res.destroyed) return;
      res.write(part);
      if (res.writableLength > QUEUE_BYTES) {
        await new Promise<void>((r) => {
          const go = (): void => {
            res.off('drain', go);
            res.off('close', go);
            r();
          };
          res.on('drain', go);
          res.on('close', go);
        });
      } else if (performance.now() - sliceStart >= SLICE_MS) {
        await new Promise((r) => setImmediate(r));
      } else {
        continue;
      }
      sliceStart = performance.now();
    }
  } catch (err) {
    res.destroy(); // the status line is out: a cut connection tells the client the answer is not whole
    throw err;
  }
  res.end();
}

function reject(res: ServerResponse, status: number, error: string, reason: string, headers: Record<string, string> = {}): void {
  send(res, status, { status: 'error', error, reason }, headers);
}

/** After refusing a body, how long and how much of the rest is read and dropped before the socket is destroyed. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 1024 * 1024;

/**
 * Closes the connection after an answer sent before the request body was read (413), so that the
 * client can read it. A `connection: close` answer makes Node destroy the socket as soon as its
 * FIN is written; with the client's unread upload still in the receive buffer the kernel then
 * sends a TCP RST, and a client still sending often loses the answer to "connection reset". So
 * (as nginx's lingering close): answer, send FIN, keep reading and dropping what still arrives
 * until the client closes, LINGER_MS passes or LINGER_BYTES arrived, then destroy.
 */
function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  res.once('finish', () => {
    // Node's own close for `connection: close` (socket.destroySoon: end, then destroy on 'finish').
    socket.removeListener('finish', socket.destroy);
    let n = 0;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.on('data', (c: Buffer) => {
      n += c.length;
      if (n > LINGER_BYTES) socket.destroy();
    });
    socket.once('end', () => socket.destroy());
    socket.once('close', () => clearTimeout(timer));
    req.resume();
  });
}

/** Reads the body up to `limit` bytes; resolves undefined (after answering 413) when it is larger. */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number, tooLarge: () => void): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const over = (): void => {
      done = true;
      tooLarge();
      // Stop keeping the body: answer, then close without resetting the answer away.
      closeAfterAnswer(req, res);
      resolve(undefined);
    };
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) over();
      else chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', () => {
      if (!done) {
        done = true;
        resolve(undefined);
      }
    });
  });
}

/**
 * Builds and starts the HTTP server: Alertmanager's webhook in, health and metrics out.
 * Order of checks on the webhook: route (404), method (405), auth (401, before the body is read),
 * content type (415), size (413 from Content-Length before reading, or while streaming), JSON and
 * payload shape (400), storage (503 so Alertmanager retries), else 200 once the alerts are on disk.
 */
export async function startHttpServer(deps: HttpDeps): Promise<HttpServer> {
  const { config, log, metrics } = deps;
  const authorized = makeAuthCheck(config.http.auth);
  const heartbeatAuthorized = makeHeartbeatAuth(config.http);
  const statusAuth = config.http.status_auth;
  const statusAuthOk = statusAuth ? makeAuthCheck({ type: 'basic', ...statusAuth }) : () => true;
  const routes = new Set(config.routes.map((r) => r.name));
  const limit = config.http.body_limit;
  const count = (result: string): void => metrics.webhookRequests.inc({ result });

  const webhook = async (route: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!routes.has(route)) {
      count('not_found');
      return reject(res, 404, 'unknown_route', `no route named "${route}" in the config`);
    }
    if (req.method !== 'POST') {
      return reject(res, 405, 'method_not_allowed', 'the webhook takes POST', { allow: 'POST' });
    }
    if (!authorized(req.headers.authorization)) {
      count('unauthorized');
      const scheme = config.http.auth.type === 'basic' ? 'Basic' : 'Bearer';
      return reject(res, 401, 'unauthorized', 'missing or wrong credentials; set http_config in the Alertmanager receiver', { 'www-authenticate': `${scheme} realm="lifeline"` });
    }
    if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
      count('unsupported_media_type');
      return reject(res, 415, 'unsupported_media_type', 'send Content-Type: application/json');
    }
    const tooLarge = (): void => {
      count('too_large');
      reject(res, 413, 'payload_too_large', `body is larger than http.body_limit (${limit} bytes)`, { connection: 'close' });
    };
    if (declaredOver(req, limit)) {
      tooLarge();
      closeAfterAnswer(req, res);
      return;
    }
    const body = await readBody(req, res, limit, tooLarge);
    if (body === undefined) return;
    if (body.length === 0) {
      count('bad_request');
      return reject(res, 400, 'bad_request', 'body is empty');
    }
    // Alertmanager always sends UTF-8 JSON. Invalid UTF-8 is decoded with replacement characters
    // rather than refused: the alert is kept, the bad bytes cannot reach IRC.
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: false }).decode(body));
    } catch (err) {
      count('bad_request');
      return reject(res, 400, 'bad_request', `body is not valid JSON: ${describeError(err)}`);
    }
    const parsed = await parseWebhookPayloadYielding(json);
    if (!parsed.ok) {
      count('bad_request');
      return reject(res, 400, 'invalid_payload', parsed.reason);
    }
    const end = metrics.ingestSeconds.startTimer();
    try {
      const r = await deps.ingest(route, parsed.value);
      end();
      count('accepted');
      send(res, 200, { status: 'success', alerts: r.alerts, queued: r.queued });
    } catch (err) {
      end();
      count('unavailable');
      log.error({ event: 'store_failed', route, err: describeError(err) }, 'could not store webhook; answered 503 so Alertmanager retries');
      reject(res, 503, 'store_unavailable', 'alerts could not be stored durably; retry later', { 'retry-after': '5' });
    }
  };

  /**
   * A dead man's switch ping (healthchecks.io style): GET or POST, http.heartbeat_auth (a bearer
   * token or `<token>/` in the path; without it the webhook's auth), 200 once stored.
   * `<name>/fail` reports the sender unhealthy (its body, up to FAIL_REASON_MAX bytes, is the
   * reason); `<name>/start` is accepted and changes nothing. The credential is checked before the
   * name, so an unauthorised caller cannot learn which heartbeats exist.
   */
  const heartbeat = async (full: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'HEAD') return reject(res, 405, 'method_not_allowed', 'ping with GET or POST', { allow: 'GET, POST' });
    const path = heartbeatAuthorized(full, req.headers.authorization);
    if (path === undefined) {
      return reject(res, 401, 'unauthorized', config.http.heartbeat_auth ? 'missing or wrong heartbeat token: send Authorization: Bearer <http.heartbeat_auth.token> or ping /api/v1/heartbeat/<token>/<name>' : "missing or wrong credentials (the webhook's, http.auth)", {
        'www-authenticate': 'Bearer realm="lifeline heartbeat"',
      });
    }
    const m = /^(.+?)(?:\/(start|fail))?$/.exec(path);
    if (!m) return reject(res, 404, 'unknown_heartbeat', 'ping /api/v1/heartbeat/<name> (with /start or /fail for those pings)');
    const name = m[1] as string;
    let ping: HeartbeatPing = { kind: 'success' };
    if (m[2] === 'start') ping = { kind: 'start' };
    else if (m[2] === 'fail') ping = { kind: 'fail', reason: (await readSome(req, FAIL_REASON_MAX)).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim() };
    req.resume();
    try {
      if (!deps.heartbeat?.(name, ping)) return reject(res, 404, 'unknown_heartbeat', `no heartbeat probe named "${name}" (probes.targets with kind: heartbeat and no alertname)`);
    } catch (err) {
      log.error({ event: 'store_failed', heartbeat: name, err: describeError(err) }, 'could not store a heartbeat ping; answered 503');
      return reject(res, 503, 'store_unavailable', 'the ping could not be stored; retry');
    }
    send(res, 200, { status: 'success' });
  };

  /** A form POST from Twilio, answered by `handle` (TwiML for 200, a reason otherwise). */
  const twilioForm = async (req: IncomingMessage, res: ServerResponse, handle: ((form: Record<string, string>, signature: string | undefined) => { status: number; body: string }) | undefined, off: string): Promise<void> => {
    if (!handle) return reject(res, 404, 'not_configured', off);
    if (req.method !== 'POST') return reject(res, 405, 'method_not_allowed', 'Twilio POSTs here', { allow: 'POST' });
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) return reject(res, 415, 'unsupported_media_type', 'Twilio sends application/x-www-form-urlencoded');
    const tooLarge = (): void => reject(res, 413, 'payload_too_large', `Twilio request larger than ${TWILIO_BODY_LIMIT / 1024} KiB`, { connection: 'close' });
    if (declaredOver(req, TWILIO_BODY_LIMIT)) {
      tooLarge();
      closeAfterAnswer(req, res);
      return;
    }
    const body = await readBody(req, res, TWILIO_BODY_LIMIT, tooLarge);
    if (body === undefined) return;
    const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    const sig = req.headers['x-twilio-signature'];
    const r = handle(form, Array.isArray(sig) ? sig[0] : sig);
    if (r.status !== 200) return reject(res, r.status, r.status === 403 ? 'forbidden' : 'not_found', r.body);
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(r.body) });
    res.end(r.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (path === '/api/v1/twilio/inbound') return twilioForm(req, res, deps.smsInbound, 'inbound SMS is off: set sms.inbound_url');
    if (path === '/api/v1/twilio/sms/status') return twilioForm(req, res, deps.smsStatus, 'delivery receipts are off: set sms.status_url');
    if (path.startsWith('/api/v1/twilio/voice/')) {
      const voice = deps.voice;
      return twilioForm(req, res, voice && ((form, sig) => voice(req.url ?? path, form, sig)), 'voice calls are off: add a voice section');
    }
    if (path.startsWith(`${HEARTBEAT}/`)) return heartbeat(path.slice(HEARTBEAT.length + 1), req, res);
    if (path === WEBHOOK || path === `${WEBHOOK}/`) return webhook('default', req, res);
    if (path.startsWith(`${WEBHOOK}/`)) {
      let route: string;
      try {
        route = decodeURIComponent(path.slice(WEBHOOK.length + 1));
      } catch {
        return reject(res, 400, 'bad_request', 'the route name in the URL is not valid percent-encoding');
      }
      return webhook(route, req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reject(res, 405, 'method_not_allowed', 'use GET', { allow: 'GET, HEAD' });
    // The status page and APIs: behind their own basic auth when http.status_auth is set.
    if ((path === '/' || path === '/api/v1/status' || path === '/api/v1/oncall') && !statusAuthOk(req.headers.authorization)) {
      return reject(res, 401, 'unauthorized', 'the status page needs the user and password of http.status_auth', { 'www-authenticate': 'Basic realm="Lifeline status", charset="UTF-8"' });
    }
    switch (path) {
      case '/':
        return writeParts(res, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' }, statusPageParts(deps.status()));
      case '/healthz':
        return send(res, 200, { status: 'ok' });
      case '/readyz': {
        const r = deps.ready();
        return send(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not_ready', checks: r.checks });
      }
      case '/api/v1/status':
        return writeParts(res, { 'content-type': 'application/json; charset=utf-8' }, statusJsonParts(deps.status()));
      case '/api/v1/oncall':
        return send(res, 200, deps.oncall());
      case '/metrics': {
        const text = await metrics.registry.metrics();
        return writeParts(res, { 'content-type': metrics.registry.contentType }, (function* () {
          yield text;
          yield* probeMetricsParts(deps.probes());
        })());
      }
      default:
        return reject(res, 404, 'not_found', `nothing at ${path}`);
    }
  };

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A heartbeat URL may hold its token: only the endpoint is logged.
      const url = (req.url ?? '').startsWith(`${HEARTBEAT}/`) ? `${HEARTBEAT}/…` : req.url;
      log.error({ event: 'http_error', url, err: describeError(err) }, 'unexpected error in HTTP handler');
      reject(res, 500, 'internal', 'unexpected error; see Lifeline logs');
    });
  });
  // Malformed HTTP gets a 400 from Node; never let a client error crash anything.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject_) => {
    server.once('error', reject_);
    server.listen(config.http.port, config.http.host, () => {
      server.off('error', reject_);
      resolve();
    });
  });

  return {
    server,
    port: () => (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
