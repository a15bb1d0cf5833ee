import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { load } from 'js-yaml';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { freePort, startInProcess, testConfigYaml } from './harness/lifeline.js';
import { tempDir, waitFor } from './harness/procs.js';

/** A TCP server on a fixed loopback port that can be stopped and started again; `silent` accepts and never answers. */
class Server {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  constructor(readonly port: number, private readonly silent = false) {}
  async start(): Promise<void> {
    const server = net.createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s)).on('error', () => undefined);
      if (!this.silent) s.on('data', () => s.end('HTTP/1.0 200 OK\r\n\r\nok'));
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.server = server;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }
}

interface AlertRow {
  fingerprint: string;
  status: string;
  summary: string;
}

/** Causes, not symptoms, against real TCP servers on loopback (issue 21 §1, §2). */
describe('causes: dependencies and inferred shared endpoints (integration)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let app: App | undefined;
  const servers: Server[] = [];

  beforeEach(() => {
    tmp = tempDir('causes');
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    for (const s of servers.splice(0)) await s.stop();
    tmp.remove();
  });

  const alerts = (): AlertRow[] => (app as App).db.prepare("SELECT fingerprint, status, json_extract(annotations, '$.summary') AS summary FROM alerts WHERE fingerprint LIKE 'probe:%' ORDER BY fingerprint").all() as AlertRow[];
  const probe = (name: string, port: number, extra = ''): string => `    - { name: ${name}, kind: tcp, host: 127.0.0.1, port: ${port}, send: "GET / HTTP/1.0\\r\\n\\r\\n", expect: "HTTP/1", ${extra} }\n`;
  const start = async (targets: string): Promise<void> => {
    const httpPort = await freePort();
    app = await startInProcess(testConfigYaml({ httpPort, dbPath: join(tmp.dir, 'c.db'), extra: `probes:\n  interval: 1s\n  timeout: 500ms\n  failures_to_open: 2\n  successes_to_resolve: 1\n  targets:\n${targets}` }));
  };

  it('a service still down after the proxy it depends on recovered gets its own alert; the proxy resolves', async () => {
    const front = new Server(await freePort());
    const svc = new Server(await freePort());
    servers.push(front, svc);
    await front.start();
    await svc.start();
    await start(probe('front', front.port) + probe('svc', svc.port, 'depends_on: front'));
    await waitFor('both up', () => app!.probes.status().every((p) => p.status === 'up'), 15_000, 100);
    await front.stop();
    await svc.stop();
    await waitFor('front down, svc behind it', () => alerts().find((a) => a.fingerprint === 'probe:front' && a.status === 'firing' && a.summary.includes('also failing behind it: svc')), 15_000, 100);
    assert.equal(alerts().find((a) => a.fingerprint === 'probe:svc'), undefined, 'svc: no alert of its own while front is down');
    await front.start();
    const own = await waitFor('svc alerting on its own', () => alerts().find((a) => a.fingerprint === 'probe:svc' && a.status === 'firing'), 15_000, 100);
    assert.match(own.summary, /\(still down after front, which it depends on, recovered\)$/);
    assert.equal(alerts().find((a) => a.fingerprint === 'probe:front')?.status, 'resolved');
    await svc.start();
    await waitFor('svc resolved', () => alerts().find((a) => a.fingerprint === 'probe:svc' && a.status === 'resolved'), 15_000, 100);
  });

  it('three services behind one endpoint that accepts and never answers make one alert naming the endpoint; none of their own', async () => {
    const proxy = new Server(await freePort());
    servers.push(proxy);
    await proxy.start();
    const other = new Server(await freePort(), true);
    servers.push(other);
    await other.start();
    await start(probe('wiki', proxy.port) + probe('api', proxy.port) + probe('feed', proxy.port) + probe('lonely', other.port));
    await waitFor('the three up', () => app!.probes.status().filter((p) => p.status === 'up').length === 3, 15_000, 100);
    // The proxy night: TCP accepted, the request read, no answer ever.
    await proxy.stop();
    const silent = new Server(proxy.port, true);
    servers.push(silent);
    await silent.start();
    const shared = await waitFor('the shared alert', () => alerts().find((a) => a.fingerprint === `probe:~127.0.0.1:${proxy.port}` && a.status === 'firing' && a.summary.startsWith('3 probes')), 15_000, 100);
    assert.match(shared.summary, new RegExp(`^3 probes behind 127\\.0\\.0\\.1:${proxy.port} fail the same way \\(api, feed, wiki\\): TCP connected in \\d+ ms; sent; expected /HTTP/1/ not seen within 500 ms$`));
    await waitFor('lonely down on its own', () => alerts().find((a) => a.fingerprint === 'probe:lonely' && a.status === 'firing'), 15_000, 100);
    assert.deepEqual(alerts().filter((a) => ['probe:wiki', 'probe:api', 'probe:feed'].includes(a.fingerprint)), [], 'no alert per service');
    await silent.stop();
    await proxy.start();
    await waitFor('the shared alert resolved', () => alerts().find((a) => a.fingerprint === `probe:~127.0.0.1:${proxy.port}` && a.status === 'resolved'), 15_000, 100);
  });

  it("the README's own proxy example catches the proxy night as one incident: the proxy probed over HTTP, the wiki behind it", async () => {
    // The README's probes block, its proxy and wiki entries as a user copies them; only where they
    // point changes: both at a server that accepts TCP and never answers (the reverse-proxy night).
    const readme = readFileSync('README.md', 'utf8');
    // The probes section's example (the walkthrough has a probes block of its own, without a proxy).
    const block = [...readme.matchAll(/```yaml\nprobes:\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((b) => /name: proxy\b/.test(b)) ?? '';
    const cfg = load(`probes:\n${block}`) as { probes: { targets: Array<Record<string, unknown>> } };
    const pick = (name: string): Record<string, unknown> => {
      const t = cfg.probes.targets.find((x) => x['name'] === name);
      assert.ok(t, `the README's example has a ${name} probe`);
      return t;
    };
    const proxy = pick('proxy');
    const wiki = pick('wiki');
    assert.equal(proxy['kind'], 'http', 'the proxy is probed over HTTP: a tcp probe calls a proxy that accepts and never answers up');
    assert.deepEqual(wiki['depends_on'], 'proxy');
    const silent = new Server(await freePort(), true);
    servers.push(silent);
    await silent.start();
    const at = (t: Record<string, unknown>, path: string): string => JSON.stringify({ ...t, url: `http://127.0.0.1:${silent.port}${path}` });
    await start(`    - ${at(proxy, '/healthz')}\n    - ${at(wiki, '/')}\n`);
    const incident = await waitFor('the proxy incident', () => alerts().find((a) => a.fingerprint === 'probe:proxy' && a.status === 'firing' && a.summary.includes('also failing behind it: wiki')), 20_000, 100);
    assert.match(incident.summary, /no HTTP response within 500 ms/);
    assert.deepEqual(alerts().map((a) => a.fingerprint), ['probe:proxy'], 'one incident: no alert for the wiki, no shared-endpoint alert on top');
  });

  it('http: three services behind a proxy that accepts and never answers make one alert naming the endpoint and the phase', async () => {
    const silent = new Server(await freePort(), true);
    servers.push(silent);
    await silent.start();
    const http = (name: string): string => `    - { name: ${name}, kind: http, url: "http://127.0.0.1:${silent.port}/${name}" }\n`;
    await start(http('wiki') + http('api') + http('feed'));
    const shared = await waitFor('the shared alert', () => alerts().find((a) => a.fingerprint === `probe:~127.0.0.1:${silent.port}` && a.status === 'firing' && a.summary.startsWith('3 probes')), 20_000, 100);
    assert.match(shared.summary, new RegExp(`^3 probes behind 127\\.0\\.0\\.1:${silent.port} fail the same way \\(api, feed, wiki\\): TCP connected in \\d+ ms; request sent; no HTTP response within 500 ms`));
    assert.deepEqual(alerts().filter((a) => !a.fingerprint.startsWith('probe:~')), [], 'no alert per service');
  });
});
