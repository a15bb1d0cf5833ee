import assert from 'node:assert/strict';
import { collectGarbage } from '../../../src/util/gc.js';

describe('collectGarbage', () => {
  it('frees garbage at once, and leaves no gc on the main context', function () {
    this.timeout(20_000);
    let garbage: Array<{ i: number; s: string }> | undefined = Array.from({ length: 500_000 }, (_, i) => ({ i, s: `item ${i}` }));
    const withIt = process.memoryUsage().heapUsed;
    assert.equal(garbage.length, 500_000);
    garbage = undefined;
    assert.equal(collectGarbage(), true);
    const after = process.memoryUsage().heapUsed;
    // 500,000 small objects and their strings are well over 20 MB.
    assert.ok(withIt - after > 20 * 1024 * 1024, `heap ${Math.round(withIt / 1048576)} MB before, ${Math.round(after / 1048576)} MB after`);
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  });
});
