import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { parseWebhookPayload, type GroupNotification } from '../sources/alertmanager.js';
import { makeAuthCheck } from './auth.js';

/** What the HTTP layer needs from the rest of the program. */
export interface HttpDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Stores a notification durably; throws when it cannot (the webhook then answers 503). */
  ingest(route: string, n: GroupNotification): { alerts: number; queued: number };
  ready(): { ready: boolean; checks: Record<string, unknown> };
  status(): unknown;
}

const WEBHOOK = '/api/v1/alertmanager';

function reject(reply: FastifyReply, code: number, error: string, reason: string): FastifyReply {
  return reply.code(code).header('content-type', 'application/json; charset=utf-8').send({ status: 'error', error, reason });
}

/**
 * The HTTP server: Alertmanager's webhook in, health and metrics out.
 * Order of checks on the webhook: auth (before the body is read), content type (415), size (413,
 * from Content-Length before reading, or while streaming), JSON and payload shape (400), storage
 * (503 so Alertmanager retries), else 200 once the alerts are on disk.
 */
export function buildServer(deps: HttpDeps): FastifyInstance {
  const { config, log, metrics } = deps;
  const app = Fastify({
    bodyLimit: config.http.body_limit,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const authorized = makeAuthCheck(config.http.auth);
  const routes = new Set(config.routes.map((r) => r.name));

  // Alertmanager always sends UTF-8 JSON. Invalid UTF-8 is decoded with replacement characters
  // rather than refused: the alert is kept, the bad bytes cannot reach IRC.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/([a-z0-9.+-]*\+)?json$/i, { parseAs: 'buffer' }, (_req, body: Buffer | string, done) => {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(typeof body === 'string' ? Buffer.from(body) : body);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      const e = new Error(`body is not valid JSON: ${describeError(err)}`) as Error & { statusCode: number };
      e.statusCode = 400;
      done(e, undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode ?? 500;
    const isWebhook = req.url.startsWith(WEBHOOK);
    if (status === 413) {
      if (isWebhook) metrics.webhookRequests.inc({ result: 'too_large' });
      return reject(reply, 413, 'payload_too_large', `body is larger than http.body_limit (${config.http.body_limit} bytes)`);
    }
    if (status === 415) {
      if (isWebhook) metrics.webhookRequests.inc({ result: 'unsupported_media_type' });
      return reject(reply, 415, 'unsupported_media_type', 'send Content-Type: application/json');
    }
    if (status >= 400 && status < 500) {
      if (isWebhook) metrics.webhookRequests.inc({ result: 'bad_request' });
      return reject(reply, status, 'bad_request', err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'body is empty' : err.message);
    }
    log.error({ event: 'http_error', url: req.url, err: describeError(err) }, 'unexpected error in HTTP handler');
    return reject(reply, 500, 'internal', 'unexpected error; see Lifeline logs');
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith(WEBHOOK)) return;
    if (!authorized(req.headers.authorization)) {
      metrics.webhookRequests.inc({ result: 'unauthorized' });
      reply.header('www-authenticate', config.http.auth.type === 'basic' ? 'Basic realm="lifeline"' : 'Bearer realm="lifeline"');
      return reject(reply, 401, 'unauthorized', 'missing or wrong credentials; set http_config in the Alertmanager receiver');
    }
    if (req.method === 'POST' && !/^application\/([a-z0-9.+-]*\+)?json\b/i.test(req.headers['content-type'] ?? '')) {
      metrics.webhookRequests.inc({ result: 'unsupported_media_type' });
      return reject(reply, 415, 'unsupported_media_type', 'send Content-Type: application/json');
    }
  });

  const handle = async (route: string, body: unknown, reply: FastifyReply): Promise<FastifyReply> => {
    if (!routes.has(route)) {
      metrics.webhookRequests.inc({ result: 'not_found' });
      return reject(reply, 404, 'unknown_route', `no route named "${route}" in the config`);
    }
    const parsed = parseWebhookPayload(body);
    if (!parsed.ok) {
      metrics.webhookRequests.inc({ result: 'bad_request' });
      return reject(reply, 400, 'invalid_payload', parsed.reason);
    }
    const end = metrics.ingestSeconds.startTimer();
    try {
      const r = deps.ingest(route, parsed.value);
      end();
      metrics.webhookRequests.inc({ result: 'accepted' });
      return reply.code(200).send({ status: 'success', alerts: r.alerts, queued: r.queued });
    } catch (err) {
      end();
      metrics.webhookRequests.inc({ result: 'unavailable' });
      log.error({ event: 'store_failed', route, err: describeError(err) }, 'could not store webhook; answered 503 so Alertmanager retries');
      return reply.code(503).header('retry-after', '5').send({ status: 'error', error: 'store_unavailable', reason: 'alerts could not be stored durably; retry later' });
    }
  };

  app.post(WEBHOOK, async (req, reply) => handle('default', req.body, reply));
  app.post<{ Params: { route: string } }>(`${WEBHOOK}/:route`, async (req, reply) => handle(req.params.route, req.body, reply));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = deps.ready();
    return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'not_ready', checks: r.checks });
  });
  app.get('/api/v1/status', async () => deps.status());
  app.get('/metrics', async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(body);
  });
  return app;
}
