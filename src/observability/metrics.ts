import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BuildInfo } from './version.js';

/**
 * Everything Lifeline exports on /metrics, on its own registry (no global default registry), except
 * the per-probe series: http/probeMetrics.ts writes those from the probes' last results at scrape time.
 */
export interface Metrics {
  registry: Registry;
  webhookRequests: Counter<'result'>;
  alertsReceived: Counter<'status'>;
  sent: Counter<'destination' | 'kind'>;
  sentLines: Counter<'destination'>;
  deliveryFailures: Counter<'destination' | 'retryable'>;
  ingestSeconds: Histogram;
}

/**
 * Creates the metrics. Gauges that read live state get their collect callbacks in app.ts.
 *
 * The process and Node.js metrics keep their standard names (process_cpu_seconds_total,
 * nodejs_heap_size_used_bytes, ...) as every Node exporter has them, so dashboards and
 * `promtool check metrics` know them; under a "lifeline_" prefix gauges such as
 * lifeline_process_start_time_seconds ended in names promtool flags. lifeline_build_info says
 * which Lifeline answers, as Prometheus' own *_build_info do.
 */
export function createMetrics(build: BuildInfo = { version: 'unknown', revision: 'unknown' }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client also exports the sums of these three gauges under a "_total" name, which
  // Prometheus keeps for counters (promtool flags them); the per-type gauges it keeps beside them
  // (nodejs_active_handles{type}, ...) carry the same numbers: sum() them.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  new Gauge({ name: 'lifeline_build_info', help: 'Always 1; its labels say which Lifeline this is: version and the source revision it was built from.', labelNames: ['version', 'revision'], registers: [registry] }).set({ version: build.version, revision: build.revision }, 1);
  return {
    registry,
    webhookRequests: new Counter({ name: 'lifeline_webhook_requests_total', help: 'Alertmanager webhook requests by result (accepted, unauthorized, too_large, bad_request, unsupported_media_type, unavailable).', labelNames: ['result'], registers: [registry] }),
    alertsReceived: new Counter({ name: 'lifeline_alerts_received_total', help: 'Alerts received in accepted webhooks, by status.', labelNames: ['status'], registers: [registry] }),
    sent: new Counter({
      name: 'lifeline_sent_total',
      help: 'Outbox entries handed over, by destination and kind: IRC lines echoed by the bouncer (written to the socket without echo-message), email accepted by the SMTP server, SMS accepted by Twilio. Not proof the network or the phone got them. destination is irc:<channel>, console, or <channel>:<person name> for email, sms and voice (never an address or a number).',
      labelNames: ['destination', 'kind'],
      registers: [registry],
    }),
    sentLines: new Counter({ name: 'lifeline_sent_lines_total', help: 'Lines handed over, by destination (as lifeline_sent_total).', labelNames: ['destination'], registers: [registry] }),
    deliveryFailures: new Counter({ name: 'lifeline_delivery_failures_total', help: 'Failed delivery attempts, by destination (as lifeline_sent_total: a person\'s name, never an address) and whether they will be retried.', labelNames: ['destination', 'retryable'], registers: [registry] }),
    ingestSeconds: new Histogram({ name: 'lifeline_webhook_store_seconds', help: 'Time to store one webhook durably.', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
  };
}

/** Registers a gauge whose value is read at scrape time. */
export function liveGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** Registers a labelled gauge read at scrape time. */
export function liveLabelledGauge<L extends string>(registry: Registry, name: string, help: string, label: L, read: () => Record<string, number>): void {
  new Gauge({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [k, v] of Object.entries(read())) this.set({ [label]: k } as Record<L, string>, v);
    },
  });
}
