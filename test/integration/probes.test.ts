import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import type { Probe, ProbeResult } from '../../src/probes/probe.js';
import { createProbe } from '../../src/probes/registry.js';
import { selfSignedCert } from './harness/certs.js';
import { IrcPeer, plain } from './harness/ircPeer.js';
import { probeConfig, standaloneProbeDeps } from './harness/probeDeps.js';
import { freePort, startInProcess, testConfigYaml } from './harness/lifeline.js';
import { Ngircd } from './harness/ngircd.js';
import { tempDir, waitFor } from './harness/procs.js';
import { Znc } from './harness/znc.js';
import { Alertmanager } from './harness/alertmanager.js';
import { NodeExporter, Prometheus } from './harness/prometheus.js';

/** Runs one probe of the given config once, with its timeout as the deadline. */
async function probeOnce(yaml: string, timeoutMs = 1_000): Promise<ProbeResult> {
  return (await createProbe(probeConfig(yaml), standaloneProbeDeps())).run({ signal: AbortSignal.timeout(timeoutMs), timeoutMs, nowMs: Date.now() });
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

describe('probes against real servers on loopback (integration)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  let silentPort: number;
  let httpPort: number;
  let httpsPort: number;
  let echoPort: number;

  before(async () => {
    tmp = tempDir('probes');
    // The reverse-proxy night: TCP accepted, the request read, no answer ever.
    const silent = net.createServer((s) => void sockets.push(s.on('data', () => undefined).on('error', () => undefined)));
    silentPort = await listen(silent);
    const web = http.createServer((req, res) => {
      if (req.url === '/503') return void res.writeHead(503).end('down');
      if (req.url === '/json') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"degraded","items":[{"state":"ok"}]}');
      if (req.url === '/html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
      if (req.url === '/huge') {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let n = 0;
        const more = (): void => {
          while (n < 40 && res.write(chunk)) n++;
          if (n >= 40) res.end();
          else res.once('drain', more);
        };
        return more();
      }
      res.writeHead(200).end('all systems nominal');
    });
    httpPort = await listen(web);
    const cert = selfSignedCert(tmp.dir);
    const secure = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) => res.writeHead(200).end('ok'));
    httpsPort = await listen(secure);
    const echo = net.createServer((s) => s.on('data', (d) => s.write(`echo ${d.toString()}`)).on('error', () => undefined));
    echoPort = await listen(echo);
    servers.push(silent, web, secure, echo);
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    for (const s of servers) {
      (s as http.Server).closeAllConnections?.();
      await new Promise((r) => s.close(r));
    }
    tmp?.remove();
  });

  it('http: a server that accepts TCP and never answers reads as exactly that, with no firstByte phase', async () => {
    const r = await probeOnce(`{ name: proxy, kind: http, url: "http://127.0.0.1:${silentPort}/" }`);
    assert.equal(r.up, false);
    assert.match(r.summary, /^TCP connected in \d+ ms; request sent; no HTTP response within 1\.0 s$/);
    assert.ok(r.phases.connect !== undefined, 'connect phase reached');
    assert.equal(r.phases.firstByte, undefined, 'firstByte never reached: absent, not 0');
  });

  it('http: wrong status, body mismatch, JSON path and value, HTML where JSON was expected', async () => {
    assert.match((await probeOnce(`{ name: a, kind: http, url: "http://127.0.0.1:${httpPort}/503" }`)).summary, /^HTTP 503 in \d+ ms \(expected 200-399\)$/);
    assert.match((await probeOnce(`{ name: a, kind: http, url: "http://127.0.0.1:${httpPort}/", body_regex: "healthy" }`)).summary, /^HTTP 200 in \d+ ms, but the body does not match \/healthy\/$/);
    const ok = await probeOnce(`{ name: a, kind: http, url: "http://127.0.0.1:${httpPort}/", body_regex: "nominal" }`);
    assert.equal(ok.up, true);
    assert.ok(ok.phases.firstByte !== undefined && ok.phases.total !== undefined);
    assert.match((await probeOnce(`{ name: a, kind: http, url: "http://127.0.0.1:${httpPort}/json", json_path: "$.status", json_equals: "ok" }`)).summary, /but \$\.status is "degraded", expected "ok"$/);
    assert.equal((await probeOnce(`{ name: a, kind: http, url: "http://127.0.0.1:${httpPort}/json", json_path: "$.items[0].state", json_equals: "ok" }`)).up, true);
    assert.match((await probeOnce(`{ name: a, kind: http, url: "http://127.0.0.1:${httpPort}/html", json_path: "$.status" }`)).summary, /but the body is not JSON$/);
    // A body over 1 MiB: its first MiB is checked, as the README says (it once always failed, unchecked).
    assert.match((await probeOnce(`{ name: a, kind: http, url: "http://127.0.0.1:${httpPort}/huge", body_regex: "y" }`, 5_000)).summary, /^HTTP 200 in \d+ ms, but the first 1 MiB of the body does not match \/y\/$/);
    const huge = await probeOnce(`{ name: a, kind: http, url: "http://127.0.0.1:${httpPort}/huge", body_regex: "^x+$" }`, 5_000);
    assert.equal(huge.up, true, huge.summary);
    assert.match(huge.summary, /^HTTP 200 in \d+ ms \(read the first 1 MiB of the body, not the rest\)$/);
    assert.equal(huge.values['body_bytes'], 1024 * 1024);
  });

  it('http: method, headers and body as configured, on every run of one probe; redirects followed or not', async () => {
    const seen: Array<{ method?: string; url?: string; token?: string; agent?: string; body: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString())).on('end', () => {
        seen.push({ method: req.method, url: req.url, token: req.headers['x-token'] as string | undefined, agent: req.headers['user-agent'], body });
        if (req.url === '/moved') return void res.writeHead(302, { location: '/here' }).end();
        res.writeHead(req.method === 'POST' && body === '{"ping":1}' ? 200 : 400).end();
      });
    });
    const port = await listen(server);
    servers.push(server);
    const deps = standaloneProbeDeps();
    const run = (p: Probe): Promise<ProbeResult> => p.run({ signal: AbortSignal.timeout(1_000), timeoutMs: 1_000, nowMs: Date.now() });
    const post = await createProbe(probeConfig(`{ name: p, kind: http, url: "http://127.0.0.1:${port}/api", method: POST, headers: { x-token: abc }, body: '{"ping":1}' }`), deps);
    for (let i = 0; i < 3; i++) assert.equal((await run(post)).summary.startsWith('HTTP 200 in '), true);
    assert.deepEqual(seen.splice(0), Array.from({ length: 3 }, () => ({ method: 'POST', url: '/api', token: 'abc', agent: 'Lifeline-probe', body: '{"ping":1}' })));
    const follow = await createProbe(probeConfig(`{ name: f, kind: http, url: "http://127.0.0.1:${port}/moved" }`), deps);
    for (let i = 0; i < 2; i++) assert.match((await run(follow)).summary, /^HTTP 400 in \d+ ms \(expected 200-399\)$/, 'followed to /here, where a GET is a 400');
    assert.deepEqual(seen.splice(0).map((r) => `${r.method} ${r.url}`), ['GET /moved', 'GET /here', 'GET /moved', 'GET /here']);
    const stay = await createProbe(probeConfig(`{ name: s, kind: http, url: "http://127.0.0.1:${port}/moved", follow_redirects: false, expect_status: [302] }`), deps);
    assert.match((await run(stay)).summary, /^HTTP 302 in \d+ ms$/);
    assert.deepEqual(seen.splice(0).map((r) => `${r.method} ${r.url}`), ['GET /moved']);
  });

  it('http: a name that does not resolve reads as a DNS failure (inside a network namespace of its own: no resolver, no traffic out)', () => {
    const r = spawnSync('unshare', ['-Urn', process.execPath, join(process.cwd(), 'dist/test/integration/harness/runProbe.js'), '{ name: dns, kind: http, url: "https://wiki.example.org/" }', '2000'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as ProbeResult;
    assert.equal(result.up, false);
    assert.match(result.summary, /^DNS: (wiki\.example\.org does not resolve \(ENOTFOUND\)|lookup of wiki\.example\.org failed for now \(EAI_AGAIN\)|no DNS answer for wiki\.example\.org within 2\.0 s)$/);
    assert.equal(result.phases.connect, undefined, 'never connected');
  });

  it('http: a closed port is refused; an untrusted certificate is refused; with tls_verify off, a warning for the expiring certificate', async () => {
    const closed = await freePort();
    const refused = await probeOnce(`{ name: a, kind: http, url: "http://127.0.0.1:${closed}/" }`);
    assert.match(refused.summary, /TCP connection to 127\.0\.0\.1:\d+ refused \(nothing listening\)$/);
    assert.equal(refused.phases.connect, undefined);
    assert.match((await probeOnce(`{ name: a, kind: http, url: "https://127.0.0.1:${httpsPort}/" }`)).summary, /TLS certificate not accepted: self.signed certificate/);
    const lax = await probeOnce(`{ name: a, kind: http, url: "https://127.0.0.1:${httpsPort}/", tls_verify: false }`);
    assert.equal(lax.up, true);
    assert.match(lax.warning ?? '', /^certificate expires in [01] day\(s\) \(\d{4}-\d\d-\d\d\)$/);
    assert.ok(lax.phases.tls !== undefined);
  });

  it('tcp and tls: connect, send/expect, certificate expiry; TLS to a plain TCP server never completes', async () => {
    const t = await probeOnce(`{ name: e, kind: tcp, host: 127.0.0.1, port: ${echoPort}, send: "ping\\\\n", expect: "echo ping" }`);
    assert.equal(t.up, true, t.summary);
    assert.match(t.summary, /^TCP connected in \d+ ms; got \/echo ping\/ in \d+ ms$/);
    assert.match((await probeOnce(`{ name: e, kind: tcp, host: 127.0.0.1, port: ${silentPort}, send: "x", expect: "never" }`)).summary, /^TCP connected in \d+ ms; sent; expected \/never\/ not seen within 1\.0 s$/);
    const s = await probeOnce(`{ name: s, kind: tls, host: 127.0.0.1, port: ${httpsPort}, tls_verify: false }`);
    assert.equal(s.up, true);
    assert.match(s.warning ?? '', /^certificate expires in/);
    assert.equal(s.values['cert_subject'], 'localhost');
    assert.match((await probeOnce(`{ name: s, kind: tls, host: 127.0.0.1, port: ${silentPort} }`)).summary, /^TCP connected in \d+ ms; no TLS handshake within 1\.0 s$/);
  });

  it('end to end: the probe alert reaches IRC with the evidence, /metrics has the phases reached and no others', async () => {
    const ircd = await Ngircd.start();
    const port = await freePort();
    const extra = `probes:\n  interval: 1s\n  timeout: 1s\n  failures_to_open: 2\n  targets:\n    - { name: wiki, kind: http, url: "http://127.0.0.1:${silentPort}/", group: proxy }\n`;
    let app: App | undefined;
    const peer = await IrcPeer.connect(ircd.port, 'watcher');
    try {
      app = await startInProcess(testConfigYaml({ httpPort: port, dbPath: join(tmp.dir, 'e2e.db'), irc: { port: ircd.port, bouncer: 'none' }, extra }));
      const line = await waitFor('the probe alert in IRC', () => peer.from('lifeline').find((m) => plain(m.text).includes('ProbeDown')), 20_000);
      assert.match(plain(line.text), /^\[FIRING\] critical ProbeDown wiki: wiki \(http:\/\/127\.0\.0\.1:\d+\/\) is down: TCP connected in \d+ ms; request sent; no HTTP response within 1\.0 s/);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /lifeline_probe_success\{probe="wiki",kind="http"\} 0/);
      assert.match(metrics, /lifeline_probe_duration_seconds\{probe="wiki",phase="connect"\} [0-9.e-]+/);
      assert.doesNotMatch(metrics, /lifeline_probe_duration_seconds\{probe="wiki",phase="firstByte"\}/);
      const status = (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as { probes: Array<{ name: string; status: string; last: { summary: string } }> };
      assert.equal(status.probes[0]?.status, 'down');
      assert.match(status.probes[0]?.last.summary ?? '', /no HTTP response/);
    } finally {
      peer.close();
      await app?.stop();
      await ircd.destroy();
    }
  });

  it('bouncer: a real welcome from the network when ZNC is on it; ZNC\'s own fake welcome when it is not; a wrong password', async () => {
    const ircd = await Ngircd.start();
    const znc = await Znc.start(ircd.port);
    try {
      const probe = (password: string): Promise<ProbeResult> => probeOnce(`{ name: znc, kind: bouncer, host: 127.0.0.1, port: ${znc.port}, tls: false, nick: prober, password: "${password}" }`, 5_000);
      const up = await waitFor('ZNC on its network', async () => {
        const r = await probe(znc.loginPassword);
        return r.up ? r : undefined;
      }, 20_000, 500);
      assert.match(up.summary, /^TCP connected in \d+ ms; logged in; welcomed by \S+ in \d+ ms$/);
      assert.notEqual(up.values['welcome_from'], 'irc.znc.in');
      await ircd.stop();
      const down = await waitFor('the fake welcome', async () => {
        const r = await probe(znc.loginPassword);
        return r.up ? undefined : r;
      }, 20_000, 500);
      assert.match(down.summary, /logged in, but the bouncer is not on its IRC network \(welcome from irc\.znc\.in itself, not from the network\)$/);
      const wrong = await probe(`${znc.user}/${znc.network}:wrong`);
      assert.equal(wrong.up, false);
      assert.match(wrong.summary, /password|refused|closed the connection/);
    } finally {
      await znc.destroy();
      await ircd.destroy();
    }
  });

  it('prometheus: healthy and scraping; a stopped target; a PromQL check; a stale scrape reported from the target list; a stopped Prometheus', async () => {
    const exporter = await NodeExporter.start();
    const prom = await Prometheus.start([`127.0.0.1:${exporter.port}`]);
    const url = `http://127.0.0.1:${prom.port}`;
    try {
      const probe = (extra = ''): Promise<ProbeResult> => probeOnce(`{ name: prom, kind: prometheus, url: "${url}"${extra} }`, 5_000);
      const up = await waitFor('first scrape', async () => {
        const r = await probe(', queries: [{ expr: "up{job=\\"node\\"}", op: "==", value: 1 }]');
        return r.up ? r : undefined;
      }, 30_000, 500);
      assert.equal(up.summary, 'healthy, ready; 1 targets scraped on time');
      // Memory pressure via PromQL: the same signals, read from Prometheus instead of the exporter.
      const mem = await probeOnce(`{ name: mem, kind: memory, prometheus: "${url}", instance: "127.0.0.1:${exporter.port}" }`, 5_000);
      assert.equal(mem.up, true, mem.summary);
      assert.match(mem.summary, /^MemAvailable \d+ % \([0-9.]+ [GMK]iB of [0-9.]+ [GMK]iB\)/);
      const direct = await probeOnce(`{ name: mem, kind: memory, url: "http://127.0.0.1:${exporter.port}/metrics" }`, 5_000);
      assert.equal(mem.values['total_bytes'], direct.values['total_bytes'], 'MemTotal via PromQL is what the exporter says');
      assert.equal(typeof mem.values['fd_used_percent'], 'number', 'file descriptors via PromQL too');
      const other = await probeOnce(`{ name: mem, kind: memory, prometheus: "${url}", instance: "bouncer-9:9100" }`, 5_000);
      assert.equal(other.up, false);
      assert.equal(other.summary, 'Prometheus has no node_memory_MemAvailable_bytes or node_memory_MemTotal_bytes for instance="bouncer-9:9100" (not scraped in the last 5 min, or another instance label)');
      await exporter.destroy();
      const down = await waitFor('the target down', async () => {
        const r = await probe();
        return r.up ? undefined : r;
      }, 30_000, 500);
      assert.match(down.summary, /^1 of 1 scrape targets down: node\/127\.0\.0\.1:\d+: .*(refused|connect)/);
      const q = await probe(', max_targets_down: 1, queries: [{ expr: "up{job=\\"node\\"}", op: "==", value: 1 }]');
      assert.equal(q.summary, 'query up{job="node"} = 0, expected == 1');
      const pending = await probe(', max_targets_down: 1, queries: [{ expr: "up{job=\\"node\\"}", op: "==", value: 1, for: 1h }]');
      assert.equal(pending.up, true, 'false for less than its for: not down yet');
      assert.match(pending.summary, /; pending: query up\{job="node"\} = 0, expected == 1 for 0 ms of 1 h$/);
      await prom.proc?.stop();
      assert.match((await probe()).summary, /TCP connection to 127\.0\.0\.1:\d+ refused \(nothing listening\)$/);
    } finally {
      await prom.destroy();
      await exporter.destroy();
    }
    // A Prometheus that answers but has stopped scraping (its target list, as /api/v1/targets gives it).
    const stale = http.createServer((req, res) => {
      if (req.url?.startsWith('/-/')) return void res.end('ok');
      const old = new Date(Date.now() - 10 * 60_000).toISOString();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { activeTargets: [{ scrapePool: 'node', labels: { instance: 'bouncer-1:9100' }, health: 'up', lastError: '', lastScrape: old, scrapeInterval: '15s' }] } }));
    });
    const sp = await listen(stale);
    servers.push(stale);
    // A login page where the API should be (a proxy in front of Prometheus): a clear reason, no throw.
    const login = http.createServer((req, res) => (req.url?.startsWith('/-/') ? res.end('ok') : res.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in</html>')));
    const lp = await listen(login);
    servers.push(login);
    assert.match((await probeOnce(`{ name: p, kind: prometheus, url: "http://127.0.0.1:${lp}" }`)).summary, /^\/api\/v1\/targets answered HTTP 200 with HTML \(\d+ ms\)$/);
    assert.match((await probeOnce(`{ name: p, kind: prometheus, url: "http://127.0.0.1:${sp}" }`)).summary, /^Prometheus is not scraping: 1 of 1 targets stale: node\/bouncer-1:9100 last scraped (600|599|601) s ago \(every 15s\)$/);
  });

  it('alertmanager: healthy with clustering off; min_peers not met; stopped', async () => {
    const am = await Alertmanager.start('http://127.0.0.1:9/unused');
    const url = `http://127.0.0.1:${am.port}`;
    try {
      const ok = await probeOnce(`{ name: am, kind: alertmanager, url: "${url}" }`, 5_000);
      assert.equal(ok.summary, 'healthy, ready; cluster disabled');
      assert.equal((await probeOnce(`{ name: am, kind: alertmanager, url: "${url}", min_peers: 2 }`, 5_000)).summary, 'Alertmanager cluster has 0 peer(s), expected at least 2');
    } finally {
      await am.destroy();
    }
    assert.match((await probeOnce(`{ name: am, kind: alertmanager, url: "${url}" }`)).summary, /refused \(nothing listening\)$/);
  });

  it('heartbeat: the Watchdog through real Prometheus and Alertmanager beats (and is never posted); when Prometheus stops, the pipeline-broken alert opens', async () => {
    const port = await freePort();
    const extra = `probes:\n  interval: 1s\n  failures_to_open: 1\n  targets:\n    - { name: pipeline, kind: heartbeat, alertname: Watchdog, within: 8s }\n    - { name: cron, kind: heartbeat, within: 1h }\n`;
    const app = await startInProcess(testConfigYaml({ httpPort: port, dbPath: join(tmp.dir, 'hb.db'), extra }));
    const am = await Alertmanager.start(`http://127.0.0.1:${port}/api/v1/alertmanager`, undefined, '2s');
    const prom = await Prometheus.start([], '1s', { alertmanagerPort: am.port, rules: 'groups:\n  - name: meta\n    rules:\n      - alert: Watchdog\n        expr: vector(1)\n        labels: { severity: none }\n' });
    try {
      const beat = await waitFor('the first Watchdog', () => app.probes.status().find((p) => p.name === 'pipeline' && p.last?.summary.startsWith('last Watchdog alert')), 30_000, 200);
      assert.match(beat.last!.summary, /^last Watchdog alert \d+ m?s ago \(expected every 8 s\)$/);
      assert.equal(app.outbox.pending('console').filter((e) => JSON.stringify(e.message).includes('Watchdog')).length, 0, 'the Watchdog is a beat, not news');
      const ping = await fetch(`http://127.0.0.1:${port}/api/v1/heartbeat/cron`, { method: 'POST' });
      assert.equal(ping.status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/heartbeat/nope`, { method: 'POST' })).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/heartbeat/`, { method: 'POST' })).status, 404, 'no name: 404, not a 500');
      assert.match(app.probes.status().find((p) => p.name === 'cron')!.last?.summary ?? 'waiting', /^(last heartbeat ping|waiting for the first)/);
      await prom.proc?.stop();
      const broken = await waitFor('the heartbeat alert', () => app.alerts.firing(10).find((a) => a.name === 'ProbeDown' && a.instance === 'pipeline'), 30_000, 200);
      assert.equal(broken.severity, 'critical');
      const st = app.probes.status().find((p) => p.name === 'pipeline')!;
      assert.match(st.last!.summary, /^no Watchdog alert for \d+ s, \d+ m?s overdue \(expected every 8 s\): the alert pipeline \(Prometheus rules → Alertmanager → Lifeline\) is broken$/);
    } finally {
      await prom.destroy();
      await am.destroy();
      await app.stop();
    }
  });

  it('memory: the live node_exporter; an exporter that accepts TCP but does not answer is "unresponsive", not fine', async () => {
    const exporter = await NodeExporter.start();
    try {
      const r = await probeOnce(`{ name: mem, kind: memory, url: "http://127.0.0.1:${exporter.port}/metrics" }`, 5_000);
      assert.match(r.summary, /^MemAvailable \d+ % \([0-9.]+ [GMK]iB of [0-9.]+ [GMK]iB\)/);
      assert.ok(Number(r.values['total_bytes']) > 0);
      // Saturation beyond memory, from the same scrape (issue 21 §5): the live exporter's file descriptors.
      assert.equal(typeof r.values['fd_used_percent'], 'number', JSON.stringify(r.values));
    } finally {
      await exporter.destroy();
    }
    const hung = await probeOnce(`{ name: mem, kind: memory, url: "http://127.0.0.1:${silentPort}/metrics" }`);
    assert.equal(hung.up, false);
    assert.match(hung.summary, /^node_exporter unresponsive: TCP connected in \d+ ms; request sent; no HTTP response within 1\.0 s$/);
  });

  it('memory: a real OOM kill in a small memory cgroup shows as a warning on the next run', async function () {
    const mem = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => /^\d+:memory:/.test(l));
    if (process.getuid?.() !== 0 || !mem || !existsSync('/sys/fs/cgroup/memory')) this.skip(); // needs root and cgroup v1 memory (CI has both)
    const cg = join('/sys/fs/cgroup/memory', mem!.split(':')[2]!, `lifeline-oom-${process.pid}`);
    const exporter = await NodeExporter.start();
    try {
      const probe = await createProbe(probeConfig(`{ name: mem, kind: memory, url: "http://127.0.0.1:${exporter.port}/metrics" }`), standaloneProbeDeps());
      const run = (): Promise<ProbeResult> => probe.run({ signal: AbortSignal.timeout(5_000), timeoutMs: 5_000, nowMs: Date.now() });
      const before = await run();
      assert.equal(before.values['oom_kills'], undefined);
      mkdirSync(cg);
      writeFileSync(join(cg, 'memory.limit_in_bytes'), String(32 * 1024 * 1024));
      // A process that grows until the kernel's OOM killer ends it inside the 32 MiB cgroup.
      const r = spawnSync('sh', ['-c', `echo $$ > ${join(cg, 'cgroup.procs')}; exec ${process.execPath} -e "const a=[]; for(;;) a.push(Buffer.alloc(1<<20, 1))"`], { timeout: 30_000 });
      assert.equal(r.signal, 'SIGKILL', 'killed by the OOM killer');
      const after = await run();
      assert.ok(Number(after.values['oom_kills']) >= 1, JSON.stringify(after.values));
      assert.match(after.warning ?? '', /\d+ OOM kill\(s\) between \d\d:\d\d and \d\d:\d\d UTC \(shown for 1 h after\)/);
    } finally {
      if (existsSync(cg)) rmdirSync(cg);
      await exporter.destroy();
    }
  });
});
