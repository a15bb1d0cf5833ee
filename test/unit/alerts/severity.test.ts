import assert from 'node:assert/strict';
import { bySeverity, isCritical, severityLevel, severityRank } from '../../../src/alerts/severity.js';

describe('the one severity table', () => {
  it('orders every word rule authors use: critical = page, then error = high, then warning = warn, then info, then anything else', () => {
    const words = ['info', 'whatever', 'warn', 'high', 'page', 'warning', 'error', 'critical', ''];
    assert.deepEqual([...words].sort(bySeverity), ['page', 'critical', 'high', 'error', 'warn', 'warning', 'info', 'whatever', '']);
    assert.ok(severityRank('page') < severityRank('warning'));
    assert.ok(severityRank('error') < severityRank('warning'));
    assert.equal(severityLevel('CRITICAL'), 'critical', 'case-insensitive');
  });
  it('pages at once, quiet hours or not, only for the critical level', () => {
    assert.deepEqual(['critical', 'page', 'Page', 'error', 'high', 'warning', ''].map(isCritical), [true, true, true, false, false, false, false]);
  });
});
