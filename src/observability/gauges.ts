import type { Registry } from 'prom-client';
import { liveGauge, liveLabelledGauge } from './metrics.js';

/** Where the pipeline's gauges are read from at scrape time. */
export interface GaugeSources {
  /** Unresolved incidents (store/incidents.ts unresolved()). */
  unresolvedIncidents(): Iterable<{ readonly state: 'open' | 'acked' | 'resolved' }>;
  /** Messages waiting in the outbox, all destinations. */
  outboxPending(): number;
  /** Destinations whose delivery worker is failing now (relay/dispatcher.ts faults()). */
  deliveryFaults(): ReadonlyMap<string, unknown>;
  /** Lifeline's own faults active now (escalation/faults.ts). */
  faults(): ReadonlyArray<{ readonly kind: string }>;
  /** Stored alerts by state (store/alerts.ts countByStatus()). */
  alertsByStatus(): Readonly<Record<string, number>>;
  /** Names destinations for labels: a person's name, never an address or a number. */
  names: { destination(destination: string): string };
}

/** Unresolved incidents counted by state; open and acked are always there (0 included), so a dashboard's series never vanish. */
export function incidentsByState(incidents: Iterable<{ readonly state: string }>): Record<string, number> {
  const out: Record<string, number> = { open: 0, acked: 0 };
  for (const i of incidents) out[i.state] = (out[i.state] ?? 0) + 1;
  return out;
}

/** Registers the pipeline's gauges on /metrics: incidents, outbox, delivery workers, faults, alerts. */
export function registerPipelineGauges(registry: Registry, s: GaugeSources): void {
  liveLabelledGauge(registry, 'lifeline_incidents', 'Unresolved incidents by state (open, acked).', 'state', () => incidentsByState(s.unresolvedIncidents()));
  liveGauge(registry, 'lifeline_outbox_pending', 'Messages waiting in the outbox, all destinations.', () => s.outboxPending());
  liveLabelledGauge(registry, 'lifeline_delivery_worker_faulted', '1 for each destination whose delivery worker is failing now (store errors such as a full disk); it retries with backoff.', 'destination', () =>
    Object.fromEntries([...s.deliveryFaults().keys()].map((d) => [s.names.destination(d), 1])),
  );
  liveLabelledGauge(registry, 'lifeline_fault', "1 for each of Lifeline's own faults active now (store_write, delivery_worker, network_cut_off, notifier_misconfigured, clock_step).", 'kind', () => Object.fromEntries(s.faults().map((f) => [f.kind, 1])));
  liveLabelledGauge(registry, 'lifeline_alerts', 'Stored alerts by state.', 'state', () => ({ ...s.alertsByStatus() }));
}
