import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readMetrics, memoryEvaluator } from '../../../src/probes/kinds/memory.js';
import type { ProbeResult } from '../../../src/probes/probe.js';

/** The evaluator fed with node_exporter's text, as the probe does. */
function onText(ev: ReturnType<typeof memoryEvaluator>): (text: string, nowMs: number) => ProbeResult {
  return (text, nowMs) => ev(readMetrics(text), nowMs);
}

const GiB = 1024 ** 3;
const cfg = { trend_window: 10 * 60_000, critical_available_percent: 5, warn_available_percent: 10, critical_exhaustion: 15 * 60_000, psi_warn_percent: 10, swap_warn_percent: 50, oom_window: 3_600_000, saturation_warn_percent: 80, saturation_critical_percent: 95, udp_rcvbuf_errors_warn_per_second: 1 };

/** What node_exporter 1.5 prints for these values (the lines the probe reads, as it prints them). */
function exporter(o: { avail: number; total?: number; waiting?: number; stalled?: number; oom?: number; swapTotal?: number; swapFree?: number }): string {
  return [
    '# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.',
    '# TYPE node_memory_MemAvailable_bytes gauge',
    `node_memory_MemAvailable_bytes ${o.avail.toExponential()}`,
    '# HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.',
    '# TYPE node_memory_MemTotal_bytes gauge',
    `node_memory_MemTotal_bytes ${(o.total ?? 4 * GiB).toExponential()}`,
    '# TYPE node_memory_SwapFree_bytes gauge',
    `node_memory_SwapFree_bytes ${o.swapFree ?? 0}`,
    '# TYPE node_memory_SwapTotal_bytes gauge',
    `node_memory_SwapTotal_bytes ${o.swapTotal ?? 0}`,
    '# HELP node_pressure_memory_stalled_seconds_total Total time in seconds no process could make progress due to memory congestion',
    '# TYPE node_pressure_memory_stalled_seconds_total counter',
    `node_pressure_memory_stalled_seconds_total ${o.stalled ?? 1.5}`,
    '# TYPE node_pressure_memory_waiting_seconds_total counter',
    `node_pressure_memory_waiting_seconds_total ${o.waiting ?? 3.25}`,
    '# HELP node_vmstat_oom_kill /proc/vmstat information field oom_kill.',
    '# TYPE node_vmstat_oom_kill untyped',
    `node_vmstat_oom_kill ${o.oom ?? 0}`,
    '',
  ].join('\n');
}

describe('memory pressure (the lines node_exporter prints, written for each case; fake time)', () => {
  const t0 = Date.UTC(2026, 10, 23, 3, 0);
  it('a healthy host: steady, no warning', () => {
    const ev = onText(memoryEvaluator(cfg));
    for (let i = 0; i < 4; i++) ev(exporter({ avail: 2.4 * GiB }), t0 + i * 30_000);
    const r = ev(exporter({ avail: 2.4 * GiB }), t0 + 4 * 30_000);
    assert.equal(r.up, true);
    assert.equal(r.warning, undefined);
    assert.equal(r.summary, 'MemAvailable 60 % (2.4 GiB of 4.0 GiB), steady');
  });

  it('the bouncer night: falling 80 MiB/min from 480 MiB says how long is left, and is critical before the end', () => {
    const ev = onText(memoryEvaluator(cfg));
    let r = ev(exporter({ avail: 1200 * 1024 ** 2 }), t0);
    for (let i = 1; i <= 9; i++) r = ev(exporter({ avail: (1200 - 80 * i) * 1024 ** 2 }), t0 + i * 60_000);
    assert.equal(r.up, false, 'exhausted within 15 min: critical');
    assert.match(r.summary, /^MemAvailable 12 % \(480 MiB of 4\.0 GiB\) and falling 80 MiB\/min: exhausted in ~6 min$/);
    assert.equal(r.values['exhausted_in_seconds'], 360);
  });

  it('warns on stalls (PSI rate), OOM kills and swap; critical when almost nothing is left', () => {
    const ev = onText(memoryEvaluator(cfg));
    ev(exporter({ avail: 2 * GiB, waiting: 100, oom: 3, swapTotal: 1 * GiB, swapFree: 0.8 * GiB }), t0);
    const r = ev(exporter({ avail: 2 * GiB, waiting: 100 + 15, oom: 4, swapTotal: 1 * GiB, swapFree: 0.2 * GiB }), t0 + 60_000);
    assert.equal(r.up, true);
    assert.equal(r.warning, 'MemAvailable 50 % (2.0 GiB of 4.0 GiB); tasks stalled on memory 25 % of the time (PSI); 1 OOM kill(s) between 03:00 and 03:01 UTC (shown for 1 h after); swap 80 % used');
    const low = onText(memoryEvaluator(cfg))(exporter({ avail: 0.15 * GiB }), t0);
    assert.equal(low.up, false);
    assert.match(low.summary, /^MemAvailable 4 % \(154 MiB of 4\.0 GiB\)$/);
    const warnOnly = onText(memoryEvaluator(cfg))(exporter({ avail: 0.3 * GiB }), t0);
    assert.equal(warnOnly.up, true);
    assert.ok(warnOnly.warning, 'below 10 %: a warning');
  });

  it('bad exporter output: a clear reason, never a throw', () => {
    const ev = onText(memoryEvaluator(cfg));
    assert.equal(ev('<html><body>Login</body></html>', t0).summary, 'node_exporter output is not usable: node_memory_MemAvailable_bytes and node_memory_MemTotal_bytes missing (HTML, not metrics)');
    assert.equal(ev('node_memory_MemAvailable_bytes abc\nnode_memory_MemTotal_bytes 1\n', t0).summary, 'node_exporter output is not usable: node_memory_MemAvailable_bytes has the value "abc", not a number');
    assert.match(ev('node_memory_MemAvailable_bytes{a="b" 5\n', t0).summary, /^node_exporter output is not usable: not the Prometheus text format/);
    assert.match(ev(exporter({ avail: GiB }).slice(0, 200), t0).summary, /^node_exporter output is not usable: /, 'a truncated reply');
    assert.equal(ev('', t0).up, false);
  });
});

/**
 * The whole /metrics of Debian's prometheus-node-exporter 1.5.0 (default collectors), recorded on
 * the CI machine: 283 metric families (gauges, counters, untyped, a summary), labelled and not. Each signal
 * is then changed where node_exporter printed it, so the parser meets the real format every time.
 */
describe('memory pressure on recorded node_exporter 1.5.0 output', () => {
  const recorded = readFileSync('test/fixtures/node-exporter-1.5.0.txt', 'utf8');
  const t0 = Date.UTC(2026, 10, 23, 3, 0);
  /** The recorded output with some samples' values replaced; a sample not found is an error. */
  function edited(values: Record<string, number>): string {
    let text = recorded;
    for (const [name, v] of Object.entries(values)) {
      const line = new RegExp(`^${name} \\S+$`, 'm');
      assert.match(text, line, `${name} is in the recording`);
      text = text.replace(line, `${name} ${v}`);
    }
    return text;
  }

  it('as recorded: read in full, steady, no warning', () => {
    const ev = onText(memoryEvaluator(cfg));
    for (let i = 0; i < 4; i++) ev(recorded, t0 + i * 30_000);
    const r = ev(recorded, t0 + 4 * 30_000);
    assert.equal(r.up, true);
    assert.equal(r.warning, undefined);
    // 24,864,440,320 of 25,276,502,016 bytes.
    assert.equal(r.summary, 'MemAvailable 98 % (23.2 GiB of 23.5 GiB), steady');
    assert.equal(r.values['stall_some_percent'], 0);
    assert.equal(r.values['oom_kills'], undefined, 'no OOM kill between runs (the recorded counter is 1 throughout)');
    assert.equal(r.values['available_bytes'], 24864440320);
  });

  it('every signal, changed in the recording: PSI stalls, an OOM kill, swap, the trend, almost nothing left', () => {
    const ev = onText(memoryEvaluator(cfg));
    ev(edited({ node_pressure_memory_waiting_seconds_total: 100, node_vmstat_oom_kill: 1, node_memory_SwapTotal_bytes: GiB, node_memory_SwapFree_bytes: 0.8 * GiB }), t0);
    const r = ev(edited({ node_pressure_memory_waiting_seconds_total: 130, node_vmstat_oom_kill: 3, node_memory_SwapTotal_bytes: GiB, node_memory_SwapFree_bytes: 0.1 * GiB }), t0 + 60_000);
    assert.equal(r.up, true);
    assert.equal(r.warning, 'MemAvailable 98 % (23.2 GiB of 23.5 GiB); tasks stalled on memory 50 % of the time (PSI); 2 OOM kill(s) between 03:00 and 03:01 UTC (shown for 1 h after); swap 90 % used');
    const total = 25276502016;
    const fall = onText(memoryEvaluator(cfg));
    let f = fall(edited({ node_memory_MemAvailable_bytes: 0.2 * total }), t0);
    for (let i = 1; i <= 10; i++) f = fall(edited({ node_memory_MemAvailable_bytes: (0.2 - 0.015 * i) * total }), t0 + i * 60_000);
    assert.equal(f.up, false, 'exhausted within 15 min: critical');
    assert.match(f.summary, /^MemAvailable 5 % \(1\.2 GiB of 23\.5 GiB\) and falling 362 MiB\/min: exhausted in ~3 min$/);
    const low = onText(memoryEvaluator(cfg))(edited({ node_memory_MemAvailable_bytes: 0.03 * total }), t0);
    assert.equal(low.up, false);
    assert.equal(low.summary, 'MemAvailable 3 % (723 MiB of 23.5 GiB)');
  });

  it('an OOM kill stays reported for oom_window, saying when it happened, then clears (issue 21 §1)', () => {
    const ev = onText(memoryEvaluator(cfg));
    ev(edited({ node_vmstat_oom_kill: 1 }), t0);
    const seen = ev(edited({ node_vmstat_oom_kill: 2 }), t0 + 30_000);
    assert.equal(seen.warning, 'MemAvailable 98 % (23.2 GiB of 23.5 GiB); 1 OOM kill(s) between 03:00 and 03:00 UTC (shown for 1 h after)');
    const later = ev(edited({ node_vmstat_oom_kill: 2 }), t0 + 30 * 60_000);
    assert.match(later.warning ?? '', /1 OOM kill\(s\) between 03:00 and 03:00 UTC/, 'still reported 30 min later (it used to clear at the next run)');
    assert.equal(later.values['oom_kills'], 1);
    const again = ev(edited({ node_vmstat_oom_kill: 4 }), t0 + 40 * 60_000);
    assert.match(again.warning ?? '', /3 OOM kill\(s\) between 03:00 and 03:40 UTC/, 'kills within the window add up');
    const gone = ev(edited({ node_vmstat_oom_kill: 4 }), t0 + 40 * 60_000 + 3_600_001);
    assert.equal(gone.warning, undefined, 'cleared an hour after the last one');
  });

  it('saturation beyond memory, changed in the recording: file descriptors, conntrack and UDP receive-buffer drops (issue 21 §5)', () => {
    // Recorded: 377 of 2,466,170 fds, 0 of 262,144 conntrack entries, 0 UDP receive-buffer errors.
    const fds = onText(memoryEvaluator(cfg))(edited({ node_filefd_allocated: 2_000_000 }), t0);
    assert.equal(fds.up, true);
    assert.equal(fds.warning, 'MemAvailable 98 % (23.2 GiB of 23.5 GiB); file descriptors 81 % used (2000000 of 2466170)');
    assert.equal(fds.values['fd_used_percent'], 81.1);
    const full = onText(memoryEvaluator(cfg))(edited({ node_nf_conntrack_entries: 262_144 }), t0);
    assert.equal(full.up, false, 'a full conntrack table is critical');
    assert.equal(full.summary, 'MemAvailable 98 % (23.2 GiB of 23.5 GiB); conntrack entries 100 % used (262144 of 262144): full now');
    const filling = onText(memoryEvaluator(cfg));
    let f = filling(edited({ node_nf_conntrack_entries: 100_000 }), t0);
    for (let i = 1; i <= 5; i++) f = filling(edited({ node_nf_conntrack_entries: 100_000 + i * 20_000 }), t0 + i * 60_000);
    assert.equal(f.up, false, 'filling within critical_exhaustion (15 min) is critical before the threshold');
    assert.match(f.summary, /conntrack entries 76 % used \(200000 of 262144\) and rising 20000\/min: full in ~3 min/);
    const udp = onText(memoryEvaluator(cfg));
    udp(edited({ node_netstat_Udp_RcvbufErrors: 1000 }), t0);
    const drops = udp(edited({ node_netstat_Udp_RcvbufErrors: 7000 }), t0 + 60_000);
    assert.equal(drops.up, true);
    assert.match(drops.warning ?? '', /the kernel dropped 100 UDP datagrams\/s for want of receive buffer in the last 1 min/);
    assert.equal(drops.values['udp_rcvbuf_errors_per_second'], 100);
  });
});
