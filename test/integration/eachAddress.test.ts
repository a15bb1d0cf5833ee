import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { createProbe } from '../../src/probes/registry.js';
import { Dnsmasq } from './harness/dnsmasq.js';
import { freePort, startInProcess, testConfigYaml } from './harness/lifeline.js';
import { probeConfig, standaloneProbeDeps } from './harness/probeDeps.js';
import { tempDir, waitFor } from './harness/procs.js';

/**
 * each_address against a real resolver (Debian's dnsmasq on loopback): portal.test has two A
 * records, 127.0.0.2 and 127.0.0.3, the HA portal of vpn-multi-node-ha behind round-robin DNS
 * where one dead address hides behind a name that still resolves (issue 21 §4).
 */
describe('each_address: every address behind a name, resolved by a real DNS server (integration)', function () {
  this.timeout(60_000);
  let dns: Dnsmasq;
  let port: number;
  const up = new Map<string, net.Server>();

  const listen = async (address: string): Promise<void> => {
    const s = net.createServer((c) => c.end());
    await new Promise<void>((r) => s.listen(port, address, r));
    up.set(address, s);
  };
  const close = async (address: string): Promise<void> => {
    await new Promise<void>((r) => up.get(address)?.close(() => r()) ?? r());
    up.delete(address);
  };

  before(async () => {
    port = await freePort();
    dns = await Dnsmasq.start(['--local=/test/', '--host-record=portal.test,127.0.0.2', '--host-record=portal.test,127.0.0.3', '--host-record=one.test,127.0.0.2']);
    await listen('127.0.0.2');
    await listen('127.0.0.3');
  });
  after(async () => {
    for (const a of [...up.keys()]) await close(a);
    await dns.stop();
  });

  const run = async (yaml: string) => (await createProbe(probeConfig(yaml), standaloneProbeDeps())).run({ signal: AbortSignal.timeout(2_000), timeoutMs: 2_000, nowMs: Date.now() });

  it('checks both addresses; one dead is a warning naming it and the one still serving; both dead is down', async () => {
    const probe = `{ name: portal, kind: tcp, host: portal.test, port: ${port}, each_address: true, resolver: "${dns.address}" }`;
    const all = await run(probe);
    assert.equal(all.up, true, all.summary);
    assert.match(all.summary, /^portal\.test: 2 addresses, all up; 127\.0\.0\.[23] TCP connected in \d+ ms; 127\.0\.0\.[23] TCP connected in \d+ ms$/);
    await close('127.0.0.3');
    const half = await run(probe);
    assert.equal(half.up, true);
    assert.match(half.warning ?? '', new RegExp(`^portal\\.test: 2 addresses, 1 down \\(still served by 127\\.0\\.0\\.2\\): 127\\.0\\.0\\.3 TCP connection to portal\\.test:${port} refused`));
    await close('127.0.0.2');
    const none = await run(probe);
    assert.equal(none.up, false);
    assert.match(none.summary, /^portal\.test: 2 addresses, 0 up \(quorum 1\); 127\.0\.0\.[23] TCP connection/);
    await listen('127.0.0.2');
    await listen('127.0.0.3');
  });

  it('http: each address gets the request with the name in Host; one answering 503 is a warning naming it', async () => {
    const hosts: string[] = [];
    const web = async (address: string, status: number): Promise<http.Server> => {
      const s = http.createServer((req, res) => {
        hosts.push(`${address} ${req.headers.host ?? ''}`);
        res.writeHead(status).end('ok');
      });
      await new Promise<void>((r) => s.listen(webPort, address, r));
      return s;
    };
    const webPort = await freePort();
    const a = await web('127.0.0.2', 200);
    const b = await web('127.0.0.3', 503);
    try {
      const r = await run(`{ name: portal, kind: http, url: "http://portal.test:${webPort}/health", each_address: true, resolver: "${dns.address}" }`);
      assert.equal(r.up, true, r.summary);
      assert.match(r.warning ?? '', /^portal\.test: 2 addresses, 1 down \(still served by 127\.0\.0\.2\): 127\.0\.0\.3 HTTP 503 in \d+ ms \(expected 200-399\)$/);
      assert.deepEqual(hosts.sort(), [`127.0.0.2 portal.test:${webPort}`, `127.0.0.3 portal.test:${webPort}`], 'each address asked once, with the name in Host');
    } finally {
      a.close();
      b.close();
    }
  });

  it('a name that does not exist is NXDOMAIN, in words', async () => {
    const r = await run(`{ name: gone, kind: tcp, host: gone.test, port: ${port}, each_address: true, resolver: "${dns.address}" }`);
    assert.deepEqual([r.up, r.summary], [false, 'DNS: gone.test does not exist (NXDOMAIN)']);
  });

  it('in a running Lifeline: one address dead opens a ProbeWarning naming it, both dead a ProbeDown; one incident per name', async () => {
    const tmp = tempDir('eachaddr');
    let app: App | undefined;
    try {
      app = await startInProcess(testConfigYaml({ httpPort: await freePort(), dbPath: join(tmp.dir, 'e.db'), extra: `probes:\n  interval: 1s\n  timeout: 500ms\n  failures_to_open: 2\n  targets:\n    - { name: portal, kind: tcp, host: portal.test, port: ${port}, each_address: true, resolver: "${dns.address}" }\n` }));
      const a = app;
      const alert = (fp: string): { status: string; summary: string } | undefined => a.db.prepare("SELECT status, json_extract(annotations, '$.summary') AS summary FROM alerts WHERE fingerprint = ?").get(fp) as { status: string; summary: string } | undefined;
      await waitFor('up', () => a.probes.status()[0]?.status === 'up', 15_000, 100);
      await close('127.0.0.3');
      const warn = await waitFor('the warning', () => (alert('probe:portal:warning')?.status === 'firing' ? alert('probe:portal:warning') : undefined), 15_000, 100);
      assert.match(warn.summary, /^portal \(portal\.test:\d+\): portal\.test: 2 addresses, 1 down \(still served by 127\.0\.0\.2\)/);
      assert.equal(alert('probe:portal'), undefined, 'no ProbeDown while one address serves');
      await close('127.0.0.2');
      await waitFor('the page', () => alert('probe:portal')?.status === 'firing', 15_000, 100);
      await listen('127.0.0.2');
      await listen('127.0.0.3');
      await waitFor('resolved', () => alert('probe:portal')?.status === 'resolved' && alert('probe:portal:warning')?.status === 'resolved', 15_000, 100);
    } finally {
      await app?.stop();
      tmp.remove();
    }
  });
});
