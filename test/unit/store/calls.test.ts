import assert from 'node:assert/strict';
import { CallStore } from '../../../src/store/calls.js';
import { openDb } from '../../../src/store/db.js';
import { SmsFailingStore } from '../../../src/store/smsFailing.js';

describe('call store', () => {
  it('records a call, its key press and its end once; the first decisive key sets the outcome; summarises by outcome', () => {
    const calls = new CallStore(openDb(':memory:'));
    const t = Date.UTC(2026, 10, 23, 3, 0);
    calls.placed(1, 'CA1', 'alice', t);
    calls.placed(2, 'CA2', 'alice', t);
    calls.placed(3, 'CA3', 'bob', t);
    calls.placed(4, 'CA4', 'bob', t - 2 * 86_400_000);
    calls.pressed(1, '1', 'acknowledged');
    calls.pressed(1, '2', 'declined'); // a later key does not undo the acknowledgement
    assert.equal(calls.get(1)?.outcome, 'acknowledged');
    assert.equal(calls.get(1)?.digits, '2');
    calls.progressed(2, 'ringing');
    assert.equal(calls.get(2)?.status, 'ringing');
    const before = calls.ended(2, 'no-answer', t + 30_000);
    assert.equal(before?.outcome, null, 'returns the row as it was: nobody had pressed a key');
    assert.deepEqual({ status: calls.get(2)?.status, outcome: calls.get(2)?.outcome, ended: calls.get(2)?.endedMs }, { status: 'no-answer', outcome: 'unanswered', ended: t + 30_000 });
    assert.equal(calls.ended(2, 'no-answer', t + 31_000), undefined, 'a repeated callback is ignored');
    calls.progressed(2, 'in-progress');
    assert.equal(calls.get(2)?.status, 'no-answer', 'an ended call stays ended');
    assert.equal(calls.ended(99, 'completed', t), undefined, 'unknown call');
    calls.ended(1, 'completed', t + 40_000);
    assert.equal(calls.get(1)?.outcome, 'acknowledged');
    assert.deepEqual(calls.summarySince(t - 86_400_000), { placed: 3, acknowledged: 1, declined: 0, unanswered: 1 });
  });

  it('acts on a key press once per call and gather; a replay returns what was handled; a failed action can be retried', () => {
    const calls = new CallStore(openDb(':memory:'));
    let acted = 0;
    const act = (): string => `acted ${++acted}`;
    assert.deepEqual(calls.keyOnce('CA1', 'gather', '2', 1_000, act), { first: true, result: 'acted 1' });
    assert.deepEqual(calls.keyOnce('CA1', 'gather', '2', 2_000, act), { first: false, handledDigits: '2' });
    assert.deepEqual(calls.keyOnce('CA1', 'gather', '1', 3_000, act), { first: false, handledDigits: '2' }, 'another key on the same gather is a replay too');
    assert.deepEqual(calls.keyOnce('CA2', 'gather', '1', 3_000, act), { first: true, result: 'acted 2' }, 'another call is its own');
    assert.throws(() =>
      calls.keyOnce('CA3', 'gather', '1', 4_000, () => {
        throw new Error('store full');
      }),
    );
    assert.deepEqual(calls.keyOnce('CA3', 'gather', '1', 5_000, act), { first: true, result: 'acted 3' }, 'the failed first try was rolled back');
    assert.equal(acted, 3);
  });
});

describe('sms failing store', () => {
  it('keeps who SMS fails for in the database, so a second store on it (a restart) sees it', () => {
    const db = openDb(':memory:');
    const a = new SmsFailingStore(db);
    assert.equal(a.has('alice'), false);
    a.add('alice', 1_000);
    a.add('alice', 2_000);
    assert.equal(new SmsFailingStore(db).has('alice'), true);
    assert.equal(a.delete('alice'), true);
    assert.equal(a.delete('alice'), false, 'already working again');
    assert.equal(new SmsFailingStore(db).has('alice'), false);
  });
});
