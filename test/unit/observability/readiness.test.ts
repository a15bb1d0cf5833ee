import assert from 'node:assert/strict';
import { Readiness, type ReadinessSources } from '../../../src/observability/readiness.js';

describe('readiness', () => {
  const SINCE = Date.UTC(2026, 10, 23, 12, 0, 0);
  const rig = (o: Partial<ReadinessSources> = {}): Readiness =>
    new Readiness({
      storeReadable: () => true,
      deliveryFaults: () => new Map(),
      faults: () => [],
      ircLink: () => 'registered',
      probesStalled: () => undefined,
      names: { destination: (d) => d.replace(/^sms:\+\d+$/, 'sms:alice'), text: (t) => t.replace(/\+\d+/g, "alice's phone") },
      ...o,
    });

  it('is ready and healthy with a readable store, working delivery and no faults', () => {
    const r = rig();
    assert.deepEqual(r.readyz(), { ready: true, checks: { store: 'ok', delivery: 'ok', config: 'loaded', irc: 'registered', faults: [] } });
    assert.deepEqual(r.health(), { ok: true });
    assert.equal(rig({ ircLink: () => undefined }).readyz().checks.irc, 'not configured');
  });

  it('in a cluster: not ready until settled, with the reason; the heartbeat is not affected', () => {
    let unsettled: string | undefined = 'catching up with the peers';
    const r = rig({ clusterUnsettled: () => unsettled });
    assert.equal(r.readyz().ready, false);
    assert.equal(r.readyz().checks.cluster, 'not settled: catching up with the peers');
    assert.deepEqual(r.health(), { ok: true });
    unsettled = undefined;
    assert.equal(r.readyz().ready, true);
    assert.equal(r.readyz().checks.cluster, 'settled');
  });

  it('is not ready while the store cannot be read', () => {
    const r = rig({ storeReadable: () => false });
    assert.equal(r.readyz().ready, false);
    assert.equal(r.readyz().checks.store, 'unavailable');
    assert.deepEqual(r.health(), { ok: false, reasons: ['the store cannot be read'] });
  });

  it('names a failing delivery worker by person, never by number', () => {
    const r = rig({ deliveryFaults: () => new Map([['sms:+4915112345678', { sinceMs: SINCE, error: 'Twilio refused +4915112345678' }]]) });
    const failing = "sms:alice: Twilio refused alice's phone (since 2026-11-23T12:00:00.000Z)";
    assert.deepEqual(r.readyz(), { ready: false, checks: { store: 'ok', delivery: [failing], config: 'loaded', irc: 'registered', faults: [] } });
    assert.deepEqual(r.health(), { ok: false, reasons: [`delivery to ${failing}`] });
  });

  it("lists Lifeline's own faults on /readyz without deciding it; the heartbeat reports them and a stalled scheduler", () => {
    const r = rig({ faults: () => [{ kind: 'clock_step', detail: 'the wall clock stepped back 1 h' }], probesStalled: () => 'the probe scheduler has not run for 5 min' });
    assert.equal(r.readyz().ready, true);
    assert.deepEqual(r.readyz().checks.faults, ['clock_step: the wall clock stepped back 1 h']);
    assert.deepEqual(r.health(), { ok: false, reasons: ['clock_step: the wall clock stepped back 1 h', 'the probe scheduler has not run for 5 min'] });
  });
});
