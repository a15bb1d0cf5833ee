import assert from 'node:assert/strict';
import { headOf, isNotice, reasonWords, stepText, undelivered, type PageReason, type StepReason } from '../../../src/alerts/pages.js';
import { legacyReason, reasonColumns, reasonOf } from '../../../src/store/pageReasons.js';

const step = (index: number): StepReason => ({ kind: 'step', index });

/** One of each kind, nested as escalation nests them, with the text versions before 13 wrote. */
const CASES: ReadonlyArray<[PageReason, string]> = [
  [step(0), '0'],
  [step(3), '3'],
  [{ kind: 'raised', index: 1, severity: 'critical' }, '1:critical'],
  [{ kind: 'switched', index: 0, policy: 'crit' }, '0:crit'],
  [{ kind: 'path' }, 'path'],
  [{ kind: 'outOfBand' }, 'oob'],
  [{ kind: 'resolved' }, 'resolved'],
  [{ kind: 'restored' }, 'restored'],
  [{ kind: 'lowered' }, 'lowered'],
  [{ kind: 'undelivered', of: step(0) }, '0:undelivered'],
  [{ kind: 'undelivered', of: { kind: 'resolved' } }, 'resolved:undelivered'],
  [{ kind: 'fallback', of: step(2) }, '2:fallback'],
  [{ kind: 'fallback', of: { kind: 'outOfBand' } }, 'oob:fallback'],
  [{ kind: 'fallback', of: { kind: 'raised', index: 0, severity: 'page' } }, '0:page:fallback'],
  [{ kind: 'fallback', of: { kind: 'fallback', of: { kind: 'undelivered', of: step(1) } } }, '1:undelivered:fallback:fallback'],
];

describe('PageReason', () => {
  it('reads as the step text earlier versions wrote (the status API keeps it)', () => {
    for (const [r, text] of CASES) assert.equal(stepText(r), text);
  });
  it('goes into typed columns and comes back the same, every kind and nesting', () => {
    for (const [r] of CASES) assert.deepEqual(reasonOf(reasonColumns(r)), r, stepText(r));
    assert.deepEqual(reasonColumns({ kind: 'fallback', of: { kind: 'fallback', of: { kind: 'undelivered', of: step(1) } } }), { reason: 'step', step_index: 1, detail: null, undelivered: 1, fallbacks: 2 });
  });
  it('an undelivered page is about its step, whatever severity or policy paged it', () => {
    assert.deepEqual(undelivered({ kind: 'raised', index: 2, severity: 'critical' }), { kind: 'undelivered', of: step(2) });
    assert.deepEqual(undelivered({ kind: 'fallback', of: { kind: 'switched', index: 1, policy: 'p' } }), { kind: 'undelivered', of: step(1) });
    assert.deepEqual(headOf({ kind: 'fallback', of: { kind: 'outOfBand' } }), { kind: 'outOfBand' });
  });
  it('notices are resolved, restored and lowered as such; sent again another way they are pages', () => {
    assert.deepEqual(CASES.filter(([r]) => isNotice(r)).map(([, t]) => t), ['resolved', 'restored', 'lowered']);
  });
  it('names steps as people count them', () => {
    assert.equal(reasonWords(step(0)), 'step 1');
    assert.equal(reasonWords({ kind: 'raised', index: 0, severity: 'crit' }), 'step 1 (crit)');
    assert.equal(reasonWords({ kind: 'outOfBand' }), 'out of band (IRC down)');
    assert.equal(reasonWords({ kind: 'path' }), 'IRC path down');
  });
  it('reads every step text of before migration 13 back (N:word is the switch when the incident moved to policy word)', () => {
    for (const [r, text] of CASES) {
      const switched = r.kind === 'switched';
      assert.deepEqual(legacyReason(text, { policy: switched ? 'crit' : 'default', switched }), r, text);
    }
    assert.deepEqual(legacyReason('0:crit', { policy: 'default', switched: true }), { kind: 'raised', index: 0, severity: 'crit' });
  });
});
