import assert from 'node:assert/strict';
import { reportWorkerFault, type FaultKind } from '../../../src/escalation/faults.js';
import { personOfPhone } from '../../../src/people/oncall.js';

describe('delivery worker faults', () => {
  function recorder(): { raised: Array<[FaultKind, string]>; cleared: FaultKind[]; faults: { raise(k: FaultKind, d: string): void; clear(k: FaultKind): void } } {
    const raised: Array<[FaultKind, string]> = [];
    const cleared: FaultKind[] = [];
    return { raised, cleared, faults: { raise: (k, d) => void raised.push([k, d]), clear: (k) => void cleared.push(k) } };
  }
  const names = { name: (d: string) => d.replace(/\+\d+/, 'alice'), scrub: (t: string) => t.replace(/\+\d+/g, "alice's phone") };

  it('reports an SQLite error as store_write, with names instead of numbers', () => {
    const r = recorder();
    const err = Object.assign(new Error('database or disk is full (+4915112345678)'), { code: 'SQLITE_FULL' });
    reportWorkerFault(r.faults, { destination: 'sms:+4915112345678', err, faultedWorkers: 1, ...names });
    assert.deepEqual(r.raised, [['store_write', "delivering to sms:alice: database or disk is full (alice's phone)"]]);
  });

  it('reports any other error as delivery_worker', () => {
    const r = recorder();
    reportWorkerFault(r.faults, { destination: 'irc:#ops', err: new Error('boom'), faultedWorkers: 1, ...names });
    assert.deepEqual(r.raised.map(([k]) => k), ['delivery_worker']);
  });

  it('clears both only when no worker is faulted any more', () => {
    const r = recorder();
    reportWorkerFault(r.faults, { destination: 'irc:#ops', err: undefined, faultedWorkers: 1, ...names });
    assert.deepEqual(r.cleared, []);
    reportWorkerFault(r.faults, { destination: 'irc:#ops', err: undefined, faultedWorkers: 0, ...names });
    assert.deepEqual(r.cleared, ['store_write', 'delivery_worker']);
  });
});

describe('personOfPhone', () => {
  const people = [{ name: 'alice', phone: '+4915112345678', time_zone: 'UTC' }, { name: 'bob', time_zone: 'UTC' }] as Parameters<typeof personOfPhone>[0];
  it('names the person with the number, and nobody else', () => {
    assert.equal(personOfPhone(people, '+4915112345678'), 'alice');
    assert.equal(personOfPhone(people, '+15005550006'), 'unknown');
  });
});
