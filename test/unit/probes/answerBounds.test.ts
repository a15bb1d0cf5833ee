import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { ExporterLines } from '../../../src/probes/kinds/exporterLines.js';
import { INLINE_MAX, parseAnswer } from '../../../src/probes/kinds/jsonParse.js';
import { JsonShape } from '../../../src/probes/kinds/jsonShape.js';
import { memoryEvaluator, readMetrics } from '../../../src/probes/kinds/memory.js';

/** Feeds `text` to a JsonShape in pieces of `size` bytes; the first reason, or undefined. */
function shapeOf(text: string, maxDepth: number, size = 7): string | undefined {
  const s = new JsonShape('the answer', maxDepth);
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) {
    const why = s.scan(b.subarray(i, i + size));
    if (why !== undefined) return why;
  }
  return undefined;
}

describe('JSON answers: nesting checked as the bytes arrive (jsonShape)', () => {
  it('refuses nesting past the bound, in words, after reading no more than it needs', () => {
    assert.equal(shapeOf('[[{"a":[1]}]]', 4), undefined);
    assert.equal(shapeOf('[[{"a":[[1]]}]]', 4), 'the answer is nested deeper than 4 levels; not parsed (no real answer is)');
    // 3 million deep with the shipped bound: refused within the first 65 bytes.
    const s = new JsonShape('the answer');
    assert.equal(s.scan(Buffer.alloc(64, '[')), undefined);
    assert.match(s.scan(Buffer.alloc(1, '[')) ?? '', /nested deeper than 64 levels/);
  });

  it('ignores brackets and escaped quotes inside strings, across chunk boundaries; closing brackets bring the depth back', () => {
    const tricky = JSON.stringify({ a: '[[[[[[{{{{"]]]', b: 'x\\"[[[[', c: ['\\', '"'] });
    for (const size of [1, 2, 3, 5, 64]) assert.equal(shapeOf(tricky, 2, size), undefined, `chunks of ${size}`);
    assert.equal(shapeOf('[[1],[2],[3],[[4]]]'.repeat(10), 3), undefined);
  });
});

describe('JSON answers parsed inline when small, in a worker thread when big (jsonParse, answers)', () => {
  const now = Date.parse('2026-12-04T10:00:30Z');
  const at = { nowMs: now, staleFactor: 3 };
  /** Target i: scraped 10 s ago (every 15 s); every 1000th 10 min ago (stale); every 700th failing. */
  const target = (i: number): Record<string, unknown> => ({ discoveredLabels: { __address__: `host-${i}:9100`, job: 'node' }, labels: { instance: `host-${i}:9100`, job: 'node' }, scrapePool: 'node', scrapeUrl: `http://host-${i}:9100/metrics`, lastError: i % 700 === 1 ? 'connection refused' : '', lastScrape: i % 1000 === 999 ? '2026-12-04T09:50:30Z' : '2026-12-04T10:00:20Z', health: i % 700 === 1 ? 'down' : 'up', scrapeInterval: '15s' });
  const list = (n: number, extra: unknown[] = []): Buffer => Buffer.from(JSON.stringify({ status: 'success', data: { activeTargets: [...Array.from({ length: n }, (_, i) => target(i)), ...extra] } }));

  it('the same findings either way: counts and the first problems in words, nothing else handed back', async () => {
    const small = list(3);
    const big = list(5_000);
    assert.ok(small.length <= INLINE_MAX && big.length > INLINE_MAX);
    assert.deepEqual(await parseAnswer(small, 'targetHealth', AbortSignal.timeout(20_000), at), { ok: true, value: { total: 3, staleCount: 0, stale: [], downCount: 1, down: ['node/host-1:9100: connection refused'] } });
    const r = await parseAnswer(big, 'targetHealth', AbortSignal.timeout(20_000), at);
    assert.deepEqual(r, {
      ok: true,
      value: {
        total: 5_000,
        staleCount: 5,
        stale: ['node/host-999:9100 last scraped 600 s ago (every 15s)', 'node/host-1999:9100 last scraped 600 s ago (every 15s)', 'node/host-2999:9100 last scraped 600 s ago (every 15s)'],
        downCount: 8,
        down: ['node/host-1:9100: connection refused', 'node/host-701:9100: connection refused', 'node/host-1401:9100: connection refused'],
      },
    });
  });

  it('what is not a target, not JSON or too big once parsed is said in words, small or big', async () => {
    for (const n of [1, 5_000]) {
      assert.deepEqual(await parseAnswer(list(n, [null]), 'targetHealth', AbortSignal.timeout(20_000), at), { ok: false, why: `data.activeTargets[${n}] is not a target: null` });
      const num = await parseAnswer(list(n, [{ scrapePool: 'x', scrapeInterval: 15 }]), 'targetHealth', AbortSignal.timeout(20_000), at);
      assert.deepEqual(num, { ok: false, why: `data.activeTargets[${n}] is not a target: {"scrapePool":"x","scrapeInterval":15}` });
      const cut = list(n);
      assert.deepEqual(await parseAnswer(cut.subarray(0, cut.length - 1), 'targetHealth', AbortSignal.timeout(20_000), at), { ok: false, why: 'not JSON', notJson: true });
    }
    assert.deepEqual(await parseAnswer(Buffer.from('{"cluster":null}'), 'alertmanagerStatus', AbortSignal.timeout(1_000), undefined), { ok: false, why: 'no cluster object in the answer (is this Alertmanager 0.2x?): {"cluster":null}' });
    assert.deepEqual(await parseAnswer(Buffer.from('{"data":{"result":[{"metric":{},"value":[1,2]}]}}'), 'querySamples', AbortSignal.timeout(1_000), undefined), { ok: false, why: 'a result is not {metric, value: [time, "number"]}: {"metric":{},"value":[1,2]}' });
    // 3 MiB of empty objects, over a parse worker's heap of 16 MB once parsed: refused; this process goes on.
    const heavy = Buffer.from(`[${'{},'.repeat(3 * 349_525)}{}]`);
    const r = await parseAnswer(heavy, 'valueAtPath', AbortSignal.timeout(30_000), '$[0]', 16);
    assert.deepEqual(r, { ok: false, why: 'too large to parse: it needs more than 16 MB once parsed' });
    assert.deepEqual(await parseAnswer(Buffer.from(`[${'1,'.repeat(200_000)}1]`), 'valueAtPath', AbortSignal.timeout(30_000), '$[3]'), { ok: true, value: 1 });
    // json_path at an object or array: its JSON, cut short, not the whole value handed over.
    assert.deepEqual(await parseAnswer(Buffer.from(`{"items":[${'1,'.repeat(200_000)}1]}`), 'valueAtPath', AbortSignal.timeout(30_000), '$.items'), { ok: true, value: { composite: `[${'1,'.repeat(39)}1` } });
  });

  it('a parse still running when the probe times out is ended, with the reason; one whose probe timed out is not started', async () => {
    const c = new AbortController();
    const running = parseAnswer(list(5_000), 'targetHealth', c.signal, at);
    setTimeout(() => c.abort(), 1);
    assert.deepEqual(await running, { ok: false, why: "not parsed within the probe's timeout" });
    assert.deepEqual(await parseAnswer(list(5_000), 'targetHealth', AbortSignal.abort(), at), { ok: false, why: 'not parsed: the probe timed out first' });
  });
});

describe('node_exporter text read line by line (exporterLines)', () => {
  const wanted = new Set(['node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes']);
  const text = '# HELP node_memory_MemAvailable_bytes x\n# TYPE node_memory_MemAvailable_bytes gauge\nnode_memory_MemAvailable_bytes 1.5e+09\nnode_cpu_seconds_total{cpu="0",mode="idle"} 5\nnode_memory_MemTotal_bytes{} 4e+09 1700000000000\r\n';

  it('keeps only the wanted samples, whatever the chunk boundaries (also inside a UTF-8 character)', () => {
    const withUtf8 = `# HELP node_x ünïcödé\n${text}`;
    const bytes = Buffer.from(withUtf8);
    for (const size of [1, 2, 3, 7, 100, bytes.length]) {
      const l = new ExporterLines(wanted);
      for (let i = 0; i < bytes.length; i += size) assert.equal(l.scan(bytes.subarray(i, i + size)), undefined);
      assert.equal(l.end(), undefined);
      assert.deepEqual([...l.values], [['node_memory_MemAvailable_bytes', 1.5e9], ['node_memory_MemTotal_bytes', 4e9]], `chunks of ${size}`);
    }
  });

  it('a last line without a newline is read at the end', () => {
    const l = new ExporterLines(wanted);
    assert.equal(l.scan(Buffer.from('node_memory_MemTotal_bytes 7')), undefined);
    assert.equal(l.values.size, 0);
    assert.equal(l.end(), undefined);
    assert.equal(l.values.get('node_memory_MemTotal_bytes'), 7);
  });

  it('names what is wrong: a duplicate, a value that is not a number, a broken line, a line without end', () => {
    const scan = (t: string): string | undefined => {
      const l = new ExporterLines(wanted);
      return l.scan(Buffer.from(t)) ?? l.end();
    };
    assert.equal(scan('node_memory_MemTotal_bytes 1\nnode_memory_MemTotal_bytes 2\n'), 'node_memory_MemTotal_bytes appears twice (a duplicated metric family; which value is true cannot be told)');
    assert.equal(scan('node_memory_MemTotal_bytes NaN\n'), 'node_memory_MemTotal_bytes has the value "NaN", not a number');
    assert.equal(scan('node_memory_MemTotal_bytes -1\n'), 'node_memory_MemTotal_bytes has the value "-1", not a number');
    assert.equal(scan('node_memory_MemTotal_bytes{a="b 5\n'), 'not the Prometheus text format (line 1: "node_memory_MemTotal_bytes{a=\\"b 5")');
    assert.equal(scan(`node_cpu ${'x'.repeat(70_000)}`), 'line 1 is longer than 64 KiB (not the Prometheus text format)');
    // Families not asked for are not parsed at all.
    assert.equal(scan('node_cpu_seconds_total{broken 5\n'), undefined);
  });
});

describe('memory probe: malformed exporter output is no verdict on the host', () => {
  const GiB = 1024 ** 3;
  const cfg = { trend_window: 10 * 60_000, critical_available_percent: 5, warn_available_percent: 10, critical_exhaustion: 15 * 60_000, psi_warn_percent: 10, swap_warn_percent: 50, oom_window: 3_600_000, saturation_warn_percent: 80, saturation_critical_percent: 95, udp_rcvbuf_errors_warn_per_second: 1 };
  const lines = (avail: number, total: number, extra = ''): string => `node_memory_MemAvailable_bytes ${avail}\nnode_memory_MemTotal_bytes ${total}\n${extra}`;

  it('MemAvailable above MemTotal, SwapFree above SwapTotal, a duplicated family: down as malformed output, no percentage', () => {
    const ev = memoryEvaluator(cfg);
    const over = ev(readMetrics(lines(9 * GiB, 4 * GiB)), 0);
    assert.equal(over.up, false);
    assert.equal(over.summary, 'node_exporter output is not usable: node_memory_MemAvailable_bytes (9663676416) is more than node_memory_MemTotal_bytes (4294967296): the numbers contradict each other, so they say nothing about the host');
    const swap = ev(readMetrics(lines(GiB, 4 * GiB, 'node_memory_SwapTotal_bytes 1\nnode_memory_SwapFree_bytes 2\n')), 0);
    assert.match(swap.summary, /^node_exporter output is not usable: node_memory_SwapFree_bytes \(2\) is more than node_memory_SwapTotal_bytes \(1\)/);
    const dup = ev(readMetrics(lines(GiB, 4 * GiB, 'node_memory_MemAvailable_bytes 0\n')), 0);
    assert.equal(dup.up, false);
    assert.match(dup.summary, /^node_exporter output is not usable: node_memory_MemAvailable_bytes appears twice/);
    for (const r of [over, swap, dup]) assert.equal(r.values['available_percent'], undefined);
  });
});

describe('probe timing that cannot work is refused with the key and the minimum', () => {
  function problems(yaml: string): string[] {
    try {
      parseConfig(yaml, 't.yaml', {});
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems.map((p) => `${p.path}: ${p.message}`);
    }
    return [];
  }

  it('interval under 1s and timeout under 100ms, as defaults and per target', () => {
    assert.deepEqual(problems('probes:\n  interval: 0ms\n  timeout: 0ms\n  targets:\n    - { name: a, kind: tcp, host: h, port: 1, interval: 1ms, timeout: 99ms }\n'), [
      'probes.interval: 0 ms is too short for a probe interval (runs back to back burn the CPU Lifeline needs to relay and page); use at least 1 s',
      'probes.timeout: 0 ms is too short for a probe timeout (every target would fail); use at least 100 ms',
      'probes.targets[0] (a).interval: 1 ms is too short for a probe interval (runs back to back burn the CPU Lifeline needs to relay and page); use at least 1 s',
      'probes.targets[0] (a).timeout: 99 ms is too short for a probe timeout (every target would fail); use at least 100 ms',
    ]);
  });

  it('the minimums themselves, the shipped defaults, and a timeout longer than the interval are accepted', () => {
    assert.deepEqual(problems('probes:\n  interval: 1s\n  timeout: 100ms\n  targets:\n    - { name: a, kind: tcp, host: h, port: 1, interval: 5s, timeout: 10s }\n'), []);
    const cfg = parseConfig('probes:\n  targets:\n    - { name: a, kind: tcp, host: h, port: 1 }\n', 't.yaml', {});
    assert.equal(cfg.probes.interval, 30_000);
    assert.equal(cfg.probes.timeout, 10_000);
  });
});
