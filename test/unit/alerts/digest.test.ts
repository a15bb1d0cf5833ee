import assert from 'node:assert/strict';
import { outageSummary } from '../../../src/alerts/messages.js';
import { fold, totals } from '../../../src/alerts/digest.js';
import { MAX_SUMMARY_ALERTS, type GroupMessage } from '../../../src/alerts/messages.js';

function group(alerts: Array<[string, 'firing' | 'resolved']>): GroupMessage {
  return { kind: 'group', groupKey: 'g', status: 'firing', commonLabels: {}, truncated: 0, alerts: alerts.map(([fp, status]) => ({ fp, status, name: `A-${fp}`, instance: '', severity: fp === 'c' ? 'critical' : 'warning', summary: '' })) };
}

describe('fold (digest)', () => {
  it('coalesces by fingerprint: fired, resolved and fired again is one alert still firing', () => {
    const s = fold([
      { createdMs: 30, message: group([['a', 'firing']]) },
      { createdMs: 40, message: group([['a', 'resolved'], ['b', 'firing']]) },
      { createdMs: 50, message: group([['a', 'firing'], ['b', 'resolved']]) },
    ]);
    assert.equal(s.sinceMs, 30);
    assert.equal(s.messages, 3);
    const t = totals(s);
    assert.equal(t.fired, 2);
    assert.equal(t.resolved, 2);
    assert.equal(t.stillFiring, 1);
    assert.deepEqual(t.firing.map((e) => e.name), ['A-a']);
  });
  it('folds summaries into summaries without double counting', () => {
    const s1 = fold([{ createdMs: 10, message: group([['a', 'firing'], ['b', 'firing']]) }]);
    const s2 = fold([{ createdMs: 20, message: s1 }, { createdMs: 25, message: group([['b', 'resolved']]) }]);
    assert.equal(s2.messages, 2);
    assert.equal(s2.sinceMs, 10);
    const t = totals(s2);
    assert.deepEqual([t.fired, t.resolved, t.stillFiring], [2, 1, 1]);
  });
  it('lists critical alerts first', () => {
    const t = totals(fold([{ createdMs: 1, message: group([['w', 'firing'], ['c', 'firing']]) }]));
    assert.deepEqual(t.firing.map((e) => e.severity), ['critical', 'warning']);
  });
  it('stays bounded, dropping resolved alerts first and counting them', () => {
    const n = MAX_SUMMARY_ALERTS + 500;
    const alerts: Array<[string, 'firing' | 'resolved']> = Array.from({ length: n }, (_, i) => [`f${i}`, i < 600 ? 'resolved' : 'firing']);
    const s = fold([{ createdMs: 1, message: group(alerts) }]);
    assert.equal(Object.keys(s.alerts).length, MAX_SUMMARY_ALERTS);
    assert.equal(s.overflow.resolved, 500);
    assert.equal(s.overflow.stillFiring, 0);
    const t = totals(s);
    assert.equal(t.resolved, 600);
    assert.equal(t.stillFiring, n - 600);
  });

  it('an outage summary counts every alert firing now, even past the itemised cap', () => {
    const firing = Array.from({ length: 3 }, (_, i) => ({ fp: `f${i}`, name: 'HostDown', instance: `h${i}`, severity: 'critical' }));
    const s = outageSummary({ incident: 'K7QM', fromMs: 0, toMs: 17_000 }, firing, 5000);
    const t = totals(fold([{ createdMs: 0, message: s }]));
    assert.equal(t.stillFiring, 5000);
    assert.equal(t.firing.length, 3);
    assert.equal(t.fired, 0, 'what fires now did not necessarily fire during the outage');
  });
});

