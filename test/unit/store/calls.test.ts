import assert from 'node:assert/strict';
import { CallStore } from '../../../src/store/calls.js';
import { openDb } from '../../../src/store/db.js';

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
});
