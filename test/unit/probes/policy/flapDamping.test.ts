import assert from 'node:assert/strict';
import { damp, type DampCounts, type DampVerdict } from '../../../../src/probes/policy/flapDamping.js';
import { decisiveKey, REFRESH_MS, writeDue } from '../../../../src/probes/policy/writeThrottle.js';
import { warningStep } from '../../../../src/probes/policy/warning.js';

const limits = { openAfter: 3, resolveAfter: 2 };

/** Runs results through damp as the engine does: the counts kept, the status set on 'threshold' and 'recovered'. */
function runs(start: DampCounts, results: readonly boolean[]): DampVerdict[] {
  let s = { ...start };
  return results.map((up) => {
    const { counts, verdict } = damp(s, up, limits);
    s = { ...s, ...counts, ...(verdict === 'threshold' ? { status: 'down' as const } : verdict === 'recovered' ? { status: 'up' as const } : {}) };
    return verdict;
  });
}

describe('flap damping (pure)', () => {
  const up: DampCounts = { status: 'up', failures: 0, successes: 5 };

  it('opens after failures_to_open failures in a row, not before; a success in between starts the count again', () => {
    assert.deepEqual(runs(up, [false, false, false]), ['none', 'none', 'threshold']);
    assert.deepEqual(runs(up, [false, false, true, false, false, false]), ['none', 'none', 'none', 'none', 'none', 'threshold']);
  });

  it('resolves after successes_to_resolve successes in a row while down; a failure in between starts the count again and is a failure while down', () => {
    const down: DampCounts = { status: 'down', failures: 4, successes: 0 };
    assert.deepEqual(runs(down, [true, true]), ['none', 'recovered']);
    assert.deepEqual(runs(down, [true, false, true, true]), ['none', 'failedWhileDown', 'none', 'recovered']);
  });

  it('the first result after the start decides at once when it is up (unknown → up), and counts like any when it fails', () => {
    const unknown: DampCounts = { status: 'unknown', failures: 0, successes: 0 };
    assert.deepEqual(runs(unknown, [true]), ['recovered']);
    assert.deepEqual(runs(unknown, [false, false, false]), ['none', 'none', 'threshold']);
  });

  it('a count carried over a restart keeps counting: two failures before, one after, opens', () => {
    assert.deepEqual(damp({ status: 'up', failures: 2, successes: 0 }, false, limits), { counts: { failures: 3, successes: 0 }, verdict: 'threshold' });
  });

  it('a threshold that waited (a cause still deciding) is asked again at every further failure', () => {
    assert.equal(damp({ status: 'up', failures: 5, successes: 0 }, false, limits).verdict, 'threshold');
  });
});

describe('write throttling (pure)', () => {
  const s = { name: 'web', status: 'up' as const, failures: 0, successes: 7, sinceMs: 1, behind: null, warning: null };

  it('counts past their threshold decide nothing: a healthy probe\'s further successes keep its key, a failure changes it', () => {
    assert.equal(decisiveKey(s, limits), decisiveKey({ ...s, successes: 8 }, limits));
    assert.notEqual(decisiveKey(s, limits), decisiveKey({ ...s, failures: 1, successes: 0 }, limits));
    const down = { ...s, status: 'down' as const, failures: 9, successes: 0 };
    assert.equal(decisiveKey(down, limits), decisiveKey({ ...down, failures: 10 }, limits));
    assert.notEqual(decisiveKey(down, limits), decisiveKey({ ...down, behind: 'proxy' }, limits));
  });

  it('writes when the key changed, else once REFRESH_MS passed', () => {
    assert.equal(writeDue(undefined, 'k', 0), true);
    assert.equal(writeDue({ key: 'k', atMs: 0 }, 'k', REFRESH_MS - 1), false);
    assert.equal(writeDue({ key: 'k', atMs: 0 }, 'k', REFRESH_MS), true);
    assert.equal(writeDue({ key: 'k', atMs: 0 }, 'j', 1), true);
  });
});

describe('warnings (pure)', () => {
  it('a new warning is news, new words are not, a failed run keeps it, an up run without one resolves it with its last words', () => {
    assert.deepEqual(warningStep(null, true, 'expires in 5 days'), { warning: 'expires in 5 days', event: { status: 'firing', text: 'expires in 5 days', news: true } });
    assert.deepEqual(warningStep('expires in 5 days', true, 'expires in 4 days'), { warning: 'expires in 4 days', event: { status: 'firing', text: 'expires in 4 days', news: false } });
    assert.deepEqual(warningStep('expires in 4 days', false, undefined), { warning: 'expires in 4 days' });
    assert.deepEqual(warningStep('expires in 4 days', true, undefined), { warning: null, event: { status: 'resolved', text: 'expires in 4 days' } });
    assert.deepEqual(warningStep(null, true, undefined), { warning: null });
  });
});
