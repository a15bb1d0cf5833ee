import assert from 'node:assert/strict';
import type { ProbeResult } from '../../src/probes/probe.js';
import { createProbe } from '../../src/probes/registry.js';
import { emptyFrameServer, hostileHttpServer, watchProcess, type HostileHttp } from './harness/hostileServers.js';
import { probeConfig, standaloneProbeDeps } from './harness/probeDeps.js';

/** Runs one probe once with the shipped default timeout (10 s), watching this process meanwhile. */
async function watchedRun(yaml: string, timeoutMs = 10_000): Promise<{ value: ProbeResult; maxStallMs: number; peakRssMb: number }> {
  const probe = await createProbe(probeConfig(yaml), standaloneProbeDeps());
  return watchProcess(() => probe.run({ signal: AbortSignal.timeout(timeoutMs), timeoutMs, nowMs: Date.now() }));
}

/** RSS now (MB), after a collection when the test runs with --expose-gc. */
function rssMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage.rss() / 1048576;
}

/*
 * Issue 19, "probes must never hurt the watchdog": the probes run in this process against hostile
 * servers on loopback, so this process's RSS and event loop are Lifeline's. Bounds are set well
 * above what the fixed code needs (a loaded 2-core CI machine) and far below what the old code
 * took (1 GB body: +2 GB RSS; gzip bomb: +1 GB; 7.5 MiB exporter answer: 783–920 ms held;
 * Prometheus JSON 3 million deep: 1.3–1.6 s; Alertmanager 1 million deep: 426 ms).
 */
describe('probes against hostile servers: memory and the event loop stay bounded (integration)', function () {
  this.timeout(120_000);
  let srv: HostileHttp;

  before(async () => {
    srv = await hostileHttpServer();
  });
  after(async () => {
    await srv?.close();
  });

  it('http: a 1 GiB body is not downloaded: 1 MiB is read and counted, nothing kept, RSS flat', async () => {
    const before = rssMb();
    const r = await watchedRun(`{ name: big, kind: http, url: "${srv.url('/gigabyte')}" }`);
    assert.equal(r.value.up, true, r.value.summary);
    assert.match(r.value.summary, /^HTTP 200 in \d+ ms \(read the first 1 MiB of the body \(1 GiB declared\), not the rest\)$/);
    assert.equal(r.value.values['body_bytes'], 1024 * 1024);
    assert.ok(r.peakRssMb - before < 100, `RSS grew ${Math.round(r.peakRssMb - before)} MB`);
    // The server wrote what fits in the socket buffers before the probe hung up, not the gigabyte.
    await new Promise((res) => setTimeout(res, 200));
    assert.ok(srv.sentBytes('/gigabyte') < 64 * 1024 * 1024, `server wrote ${srv.sentBytes('/gigabyte')} bytes`);
  });

  it('http: a gzip bomb (1 MiB inflating to 1 GiB) stops at 1 MiB inflated, with or without body_regex', async () => {
    const before = rssMb();
    const plain = await watchedRun(`{ name: bomb, kind: http, url: "${srv.url('/gzip-bomb')}" }`);
    assert.equal(plain.value.up, true, plain.value.summary);
    assert.equal(plain.value.values['body_bytes'], 1024 * 1024, 'counted after decompression');
    assert.match(plain.value.summary, /\(read the first 1 MiB of the body, not the rest\)$/);
    const checked = await watchedRun(`{ name: bomb, kind: http, url: "${srv.url('/gzip-bomb')}", body_regex: "healthy" }`);
    assert.match(checked.value.summary, /^HTTP 200 in \d+ ms, but the first 1 MiB of the body does not match \/healthy\/$/);
    const json = await watchedRun(`{ name: bomb, kind: http, url: "${srv.url('/gzip-bomb')}", json_path: "$.status" }`);
    assert.match(json.value.summary, /but the body is longer than 1 MiB, the most json_path reads; not parsed$/);
    for (const r of [plain, checked, json]) assert.ok(r.peakRssMb - before < 100, `RSS grew ${Math.round(r.peakRssMb - before)} MB`);
  });

  it('memory: a 7.5 MiB node_exporter answer (205,000 series) is read without holding the event loop', async () => {
    const r = await watchedRun(`{ name: mem, kind: memory, url: "${srv.url('/metrics/big')}" }`);
    assert.equal(r.value.up, true, r.value.summary);
    assert.match(r.value.summary, /^MemAvailable 50 % \(2\.0 GiB of 4\.0 GiB\)/);
    assert.ok(r.maxStallMs < 200, `event loop held ${Math.round(r.maxStallMs)} ms`);
  });

  it('memory: malformed exporter output is named as such, never a verdict on the host; an answer over 8 MiB names the 8 MiB', async () => {
    const dup = (await watchedRun(`{ name: mem, kind: memory, url: "${srv.url('/metrics/dup')}" }`)).value;
    assert.equal(dup.up, false);
    assert.match(dup.summary, /^node_exporter output is not usable: node_memory_MemAvailable_bytes appears twice \(a duplicated metric family/);
    assert.doesNotMatch(dup.summary, /MemAvailable \d+ %/);
    const over = (await watchedRun(`{ name: mem, kind: memory, url: "${srv.url('/metrics/over')}" }`)).value;
    assert.equal(over.up, false);
    assert.match(over.summary, /^node_exporter output is not usable: node_memory_MemAvailable_bytes \(9663676416\) is more than node_memory_MemTotal_bytes \(4294967296\)/);
    const nine = (await watchedRun(`{ name: mem, kind: memory, url: "${srv.url('/metrics/9mib')}" }`)).value;
    assert.equal(nine.up, false);
    assert.match(nine.summary, /^\/metrics\/9mib answered HTTP 200 with more than 8 MiB, the most a probe reads of an answer; not read further$/);
    assert.doesNotMatch(nine.summary, /unresponsive|1 MiB/);
  });

  it('prometheus: a target list nested 3 million deep is refused at once, without holding the event loop', async () => {
    const r = await watchedRun(`{ name: prom, kind: prometheus, url: "${srv.url('/prom-deep')}" }`);
    assert.equal(r.value.up, false);
    assert.match(r.value.summary, /^the answer of \/prom-deep\/api\/v1\/targets is nested deeper than 64 levels; not parsed/);
    assert.ok(r.maxStallMs < 200, `event loop held ${Math.round(r.maxStallMs)} ms`);
  });

  it('prometheus: a healthy but wide target list of 7.5 MiB (6,000 targets) is parsed off the event loop', async () => {
    const r = await watchedRun(`{ name: prom, kind: prometheus, url: "${srv.url('/prom-wide')}" }`);
    assert.equal(r.value.up, true, r.value.summary);
    assert.match(r.value.summary, /^healthy, ready; 6000 targets scraped on time$/);
    assert.ok(r.maxStallMs < 200, `event loop held ${Math.round(r.maxStallMs)} ms`);
  });

  it('alertmanager: a status nested 1 million deep is refused at once, without holding the event loop', async () => {
    const r = await watchedRun(`{ name: am, kind: alertmanager, url: "${srv.url('/am-deep')}" }`);
    assert.equal(r.value.up, false);
    assert.match(r.value.summary, /^the answer of \/am-deep\/api\/v2\/status is nested deeper than 64 levels; not parsed/);
    assert.ok(r.maxStallMs < 200, `event loop held ${Math.round(r.maxStallMs)} ms`);
  });

  it('prometheus: a target that is null, or whose scrapeInterval is a number, is named in words (no JavaScript exception)', async () => {
    const nul = (await watchedRun(`{ name: prom, kind: prometheus, url: "${srv.url('/prom-null')}" }`)).value;
    assert.equal(nul.up, false);
    assert.equal(nul.summary, '/api/v1/targets: data.activeTargets[0] is not a target: null');
    const num = (await watchedRun(`{ name: prom, kind: prometheus, url: "${srv.url('/prom-number')}" }`)).value;
    assert.equal(num.up, false);
    assert.match(num.summary, /^\/api\/v1\/targets: data\.activeTargets\[0\] is not a target: \{"scrapePool":"node"/);
  });

  it('tcp: a server that streams without ever saying the expected text fails after 64 KiB, not at the deadline', async () => {
    const flood = await emptyFrameServer(5_000);
    try {
      const t0 = performance.now();
      const r = (await watchedRun(`{ name: smtp, kind: tcp, host: 127.0.0.1, port: ${flood.port}, expect: "^220 " }`, 5_000)).value;
      assert.equal(r.up, false);
      assert.match(r.summary, /^TCP connected in \d+ ms; expected \/\^220 \/ not seen in the first 64 KiB \(got "\\u0000/);
      assert.ok(performance.now() - t0 < 2_500, `took ${Math.round(performance.now() - t0)} ms`);
    } finally {
      await flood.close();
    }
  });

  it('openvpn over TCP: a server streaming empty frames is not read past what the probe needs, also during the close grace', async () => {
    const flood = await emptyFrameServer(5_000);
    try {
      const before = rssMb();
      const r = await watchProcess(async () => {
        const probe = await createProbe(probeConfig(`{ name: ovpn, kind: openvpn, host: 127.0.0.1, port: ${flood.port}, proto: tcp }`), standaloneProbeDeps());
        const res = await probe.run({ signal: AbortSignal.timeout(2_000), timeoutMs: 2_000, nowMs: Date.now() });
        await new Promise((w) => setTimeout(w, 1_500)); // the 1 s close grace, and then some
        return res;
      });
      assert.equal(r.value.up, false);
      assert.match(r.value.summary, /^answers that are not the server's reset for this session: 0 bytes; /);
      assert.ok(r.peakRssMb - before < 50, `RSS grew ${Math.round(r.peakRssMb - before)} MB`);
      assert.ok(flood.sentBytes() < 64 * 1024 * 1024, `the server got ${flood.sentBytes()} bytes out`);
    } finally {
      await flood.close();
    }
  });
});
