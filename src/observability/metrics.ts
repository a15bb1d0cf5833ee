import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Everything Lifeline exports on /metrics, on its own registry (no global default registry), except
 * the per-probe series: probeMetrics.ts writes those from the probes' last results at scrape time.
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

/** Creates the metrics. Gauges that read live state get their collect callbacks in app.ts. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lifeline_' });
  return {
    registry,
    webhookRequests: new Counter({ name: 'lifeline_webhook_requests_total', help: 'Alertmanager webhook requests by result (accepted, unauthorized, too_large, bad_request, unsupported_media_type, unavailable).', labelNames: ['result'], registers: [registry] }),
    alertsReceived: new Counter({ name: 'lifeline_alerts_received_total', help: 'Alerts received in accepted webhooks, by status.', labelNames: ['status'], registers: [registry] }),
    sent: new Counter({
      name: 'lifeline_sent_total',
      help: 'Outbox entries handed over, by destination and kind: IRC lines echoed by the bouncer (written to the socket without echo-message), email accepted by the SMTP server, SMS accepted by Twilio. Not proof the network or the phone got them.',
      labelNames: ['destination', 'kind'],
      registers: [registry],
    }),
    sentLines: new Counter({ name: 'lifeline_sent_lines_total', help: 'Lines handed over, by destination (as lifeline_sent_total).', labelNames: ['destination'], registers: [registry] }),
    deliveryFailures: new Counter({ name: 'lifeline_delivery_failures_total', help: 'Failed delivery attempts, by destination and whether they will be retried.', labelNames: ['destination', 'retryable'], registers: [registry] }),
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
