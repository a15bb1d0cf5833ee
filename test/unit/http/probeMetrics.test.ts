import assert from 'node:assert/strict';
import { probeMetricsParts } from '../../../src/http/probeMetrics.js';
import type { ProbeStatus } from '../../../src/probes/engine.js';
import { measureParts } from '../parts.js';

const NOW = Date.UTC(2026, 11, 4, 18, 0);

function probe(name: string, last: ProbeStatus['last']): ProbeStatus {
  return { name, kind: 'http', target: 'http://h/', group: undefined, status: last ? (last.up ? 'up' : 'down') : 'unknown', sinceMs: NOW, failures: 0, behind: null, warning: null, last };
}

describe('per-probe series on /metrics', () => {
  it('writes success and phase durations of each probe that ran, in the text format, labels escaped', () => {
    const text = [...probeMetricsParts([
      probe('wiki', { up: false, summary: 'timeout', phases: { dns: 0.002, connect: 0.5 }, values: {}, atMs: NOW }),
      probe('never', null),
      probe('a"b\\c\nd', { up: true, summary: 'ok', phases: { total: 0.25 }, values: {}, atMs: NOW }),
    ])].join('');
    assert.equal(
      text,
      [
        '# HELP lifeline_probe_success Result of the last run of each probe: 1 up, 0 down (before flap damping).',
        '# TYPE lifeline_probe_success gauge',
        'lifeline_probe_success{probe="wiki",kind="http"} 0',
        'lifeline_probe_success{probe="a\\"b\\\\c\\nd",kind="http"} 1',
        '# HELP lifeline_probe_duration_seconds Time of each phase of the last run of each probe (dns, connect, tls, request, firstByte, download, read, total). A phase the run never reached has no series, not 0.',
        '# TYPE lifeline_probe_duration_seconds gauge',
        'lifeline_probe_duration_seconds{probe="wiki",phase="dns"} 0.002',
        'lifeline_probe_duration_seconds{probe="wiki",phase="connect"} 0.5',
        'lifeline_probe_duration_seconds{probe="a\\"b\\\\c\\nd",phase="total"} 0.25',
        '',
      ].join('\n'),
    );
    assert.deepEqual([...probeMetricsParts([])], []);
  });

  it('100,000 probes come in parts of a few ms each, not one block (issue 19.5)', function () {
    this.timeout(20_000); // the bounds below are the test
    // In prom-client's registry these series were formatted in one block: 1.7 s at 100,000 probes.
    const last = { up: true, summary: 'ok', phases: { dns: 0.001, connect: 0.002, firstByte: 0.003, total: 0.004 }, values: {}, atMs: NOW };
    const probes = Array.from({ length: 100_000 }, (_, i) => probe(`p${i}`, last));
    const m = measureParts(probeMetricsParts(probes));
    assert.equal(m.text.split('\n').length - 1, 4 + 100_000 * 5);
    assert.ok(m.parts >= 400, `${m.parts} parts`);
    assert.ok(m.longestMs < 2000, `one part took ${Math.round(m.longestMs)} ms`); // a few ms here; loose for a busy CI machine
    assert.ok(m.largest < 256 * 1024, 'no part holds more than 500 probes (the whole is 30 MB)');
  });
});
