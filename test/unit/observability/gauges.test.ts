import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { incidentsByState, registerPipelineGauges } from '../../../src/observability/gauges.js';

describe('pipeline gauges', () => {
  it('counts unresolved incidents by state, open and acked always present', () => {
    assert.deepEqual(incidentsByState([]), { open: 0, acked: 0 });
    assert.deepEqual(incidentsByState([{ state: 'open' }, { state: 'acked' }, { state: 'open' }]), { open: 2, acked: 1 });
  });

  it('reads every source at scrape time, naming destinations by person', async () => {
    const registry = new Registry();
    let pending = 3;
    registerPipelineGauges(registry, {
      unresolvedIncidents: () => [{ state: 'open' }],
      outboxPending: () => pending,
      deliveryFaults: () => new Map([['sms:+4915112345678', {}]]),
      faults: () => [{ kind: 'store_write' }],
      alertsByStatus: () => ({ firing: 2, resolved: 5 }),
      names: { destination: (d) => (d.startsWith('sms:') ? 'sms:alice' : d) },
    });
    pending = 7;
    const text = await registry.metrics();
    assert.match(text, /^lifeline_incidents\{state="open"\} 1$/m);
    assert.match(text, /^lifeline_incidents\{state="acked"\} 0$/m);
    assert.match(text, /^lifeline_outbox_pending 7$/m);
    assert.match(text, /^lifeline_delivery_worker_faulted\{destination="sms:alice"\} 1$/m);
    assert.doesNotMatch(text, /4915112345678/);
    assert.match(text, /^lifeline_fault\{kind="store_write"\} 1$/m);
    assert.match(text, /^lifeline_alerts\{state="firing"\} 2$/m);
    assert.match(text, /^lifeline_alerts\{state="resolved"\} 5$/m);
  });
});
