import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Alertmanager } from './harness/alertmanager.js';
import { freePort, giveToServerUser, startServer, tempDir, waitFor, type ServerProcess } from './harness/procs.js';
import { ThrowawayCa } from './harness/tlsCa.js';

/**
 * The shipped examples for Lifeline in two regions (issue 23) run on the real servers: the
 * Alertmanager config that lists every Lifeline, and the NATS hub/leaf configs with the leaf link
 * over mutual TLS. Each example is used as shipped, with only addresses, ports, folders, secrets
 * and certificates put in (every replaced text must be found, so an edit to an example that the
 * test no longer matches fails here).
 */

/** Replaces every `from` in `text`; fails when it is not there. */
function put(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `the example no longer contains ${JSON.stringify(from)}`);
  return text.split(from).join(to);
}

/** A webhook sink that answers 503 to its first `failFirst` requests, then 200, and records each. */
class Sink {
  readonly requests: Array<{ status: number; auth: string; alertnames: string[] }> = [];
  private constructor(
    private readonly server: http.Server,
    private failFirst: number,
  ) {}
  static async start(failFirst = 0): Promise<Sink> {
    const server = http.createServer();
    const sink = new Sink(server, failFirst);
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const status = sink.failFirst-- > 0 ? 503 : 200;
        const payload = JSON.parse(body) as { alerts: Array<{ labels: Record<string, string> }> };
        sink.requests.push({ status, auth: req.headers.authorization ?? '', alertnames: payload.alerts.map((a) => a.labels['alertname'] ?? '') });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return sink;
  }
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
  accepted(alertname: string): number {
    return this.requests.filter((r) => r.status === 200 && r.alertnames.includes(alertname)).length;
  }
  close(): void {
    this.server.close();
  }
}

describe('examples for two regions: Alertmanager with every Lifeline as a receiver (integration)', function () {
  this.timeout(60_000);
  const example = 'config/examples/alertmanager-two-regions.yml';

  it('amtool accepts it: one receiver with one webhook_config per Lifeline', () => {
    const am = spawnSync('amtool', ['check-config', example], { encoding: 'utf8' });
    assert.equal(am.status, 0, am.stdout + am.stderr);
    assert.match(am.stdout, /SUCCESS/);
    assert.match(am.stdout, / - 1 receivers/);
    const cfg = parse(readFileSync(example, 'utf8')) as { receivers: Array<{ webhook_configs: Array<{ url: string }> }> };
    assert.deepEqual(cfg.receivers[0]?.webhook_configs.map((w) => w.url), ['https://lifeline-a.example.org/api/v1/alertmanager', 'https://lifeline-b.example.org/api/v1/alertmanager']);
  });

  it('run by Alertmanager: a region that fails is retried on its own, the region that took the alert gets it once', async () => {
    const tmp = tempDir('am-two-regions');
    const a = await Sink.start();
    const b = await Sink.start(2);
    let am: Alertmanager | undefined;
    try {
      let text = readFileSync(example, 'utf8');
      text = put(text, 'https://lifeline-a.example.org/', `http://127.0.0.1:${a.port}/`);
      text = put(text, 'https://lifeline-b.example.org/', `http://127.0.0.1:${b.port}/`);
      text = put(text, 'credentials_file: /etc/alertmanager/lifeline_a_token', 'credentials: token-a');
      text = put(text, 'credentials_file: /etc/alertmanager/lifeline_b_token', 'credentials: token-b');
      // Timings short enough for a test; routes and receivers as shipped.
      text = put(text, 'group_wait: 30s', 'group_wait: 100ms');
      text = put(text, 'group_interval: 5m', 'group_interval: 2s');
      const conf = join(tmp.dir, 'alertmanager.yml');
      writeFileSync(conf, text);
      giveToServerUser(conf);
      am = await Alertmanager.startWithConfig(conf);
      await am.post([{ labels: { alertname: 'RegionTest', severity: 'critical' } }]);
      await waitFor('region B took the alert after its failures', () => b.accepted('RegionTest') === 1, 30_000, 50);
      assert.equal(b.requests.filter((r) => r.status === 503).length, 2, 'B was retried');
      // Two more group intervals: neither region is sent the unchanged group again.
      await new Promise((r) => setTimeout(r, 4_500));
      assert.equal(a.accepted('RegionTest'), 1, JSON.stringify(a.requests));
      assert.equal(b.accepted('RegionTest'), 1, JSON.stringify(b.requests));
      assert.deepEqual([...new Set(a.requests.map((r) => r.auth))], ['Bearer token-a']);
      assert.deepEqual([...new Set(b.requests.map((r) => r.auth))], ['Bearer token-b']);
    } finally {
      await am?.destroy();
      a.close();
      b.close();
      tmp.remove();
    }
  });
});

/** A nats-server started on an example config with test ports, folders and certificates put in. */
interface NatsRun {
  proc: ServerProcess;
  client: number;
  monitor: number;
}

/**
 * One request over the NATS client protocol (INFO, CONNECT, SUB, PUB, then the MSG reply), the
 * way the JetStream API is asked: `$JS.<domain>.API.INFO` reaches that domain's JetStream.
 */
async function natsRequest(port: number, subject: string): Promise<string> {
  const sock = net.connect(port, '127.0.0.1');
  let buf = '';
  let sent = false;
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${subject} within 5 s: ${buf}`)), 5_000);
      sock.on('error', reject);
      sock.on('data', (d: Buffer) => {
        buf += d.toString();
        if (!sent && buf.startsWith('INFO ') && buf.includes('\r\n')) {
          sent = true;
          sock.write(`CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\nSUB _INBOX.t 1\r\nPUB ${subject} _INBOX.t 0\r\n\r\n`);
        }
        if (buf.includes('PING\r\n')) sock.write('PONG\r\n');
        const m = /MSG _INBOX\.t 1 (\d+)\r\n/.exec(buf);
        if (m && buf.length >= (m.index ?? 0) + m[0].length + Number(m[1])) {
          clearTimeout(timer);
          resolve(buf.slice((m.index ?? 0) + m[0].length, (m.index ?? 0) + m[0].length + Number(m[1])));
        }
      });
    });
  } finally {
    sock.destroy();
  }
}

describe('examples for two regions: NATS hub and leaf with the leaf link over mutual TLS (integration)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let ca: ThrowawayCa;
  const runs: NatsRun[] = [];

  before(() => {
    tmp = tempDir('nats-examples');
    ca = new ThrowawayCa(tmp.dir);
    // The hub is reached as 127.0.0.1 in the test (nats-a.example.org in the example).
    ca.issue('hub', 'IP:127.0.0.1');
    ca.issue('leaf', 'DNS:lifeline-b.leaf');
  });
  after(async () => {
    for (const r of runs) await r.proc.stop();
    tmp?.remove();
  });

  async function start(name: string, text: string): Promise<NatsRun> {
    const [client, monitor] = [await freePort(), await freePort()];
    const store = join(tmp.dir, `js-${name}`);
    let t = put(text, 'listen: 0.0.0.0:4222', `listen: 127.0.0.1:${client}`);
    t = put(t, 'http: 0.0.0.0:8222', `http: 127.0.0.1:${monitor}`);
    t = put(t, 'store_dir: "/data/jetstream"', `store_dir: "${store}"`);
    t = put(t, '/etc/nats/tls/', `${tmp.dir}/`);
    // The shipped 10 s x 3 finds a silent cut in 30-40 s; 1 s x 3 checks the same rule in seconds.
    t = put(t, 'ping_interval: "10s"', 'ping_interval: "1s"');
    const conf = join(tmp.dir, `${name}.conf`);
    writeFileSync(conf, t);
    giveToServerUser(conf);
    const proc = startServer(`nats-${name}`, 'nats-server', ['-c', conf]);
    const run = { proc, client, monitor };
    runs.push(run);
    await waitFor(`${name} healthy`, async () => {
      if (!proc.running) throw new Error(`nats-server ${name} exited: ${proc.output.join('')}`);
      return (await fetch(`http://127.0.0.1:${monitor}/healthz`)).ok;
    }, 15_000, 50);
    return run;
  }
  const leafLinks = async (r: NatsRun): Promise<number> => ((await (await fetch(`http://127.0.0.1:${r.monitor}/leafz`)).json()) as { leafnodes: number }).leafnodes;
  const domain = async (r: NatsRun): Promise<string> => ((await (await fetch(`http://127.0.0.1:${r.monitor}/varz`)).json()) as { jetstream: { config: { domain: string } } }).jetstream.config.domain;

  let hub: NatsRun;
  let leaf: NatsRun;
  let leafPort: number;

  it('the hub and the leaf run as shipped; the leaf links over TLS within seconds; each region has its own JetStream domain', async () => {
    leafPort = await freePort();
    let h = readFileSync('config/examples/nats-hub.conf', 'utf8');
    h = put(h, 'listen: 0.0.0.0:7422', `listen: 127.0.0.1:${leafPort}`);
    h = put(h, 'advertise: "nats-a.example.org:7422"', `advertise: "127.0.0.1:${leafPort}"`);
    hub = await start('hub', h);
    const l = put(readFileSync('config/examples/nats-leaf.conf', 'utf8'), 'tls://nats-a.example.org:7422', `tls://127.0.0.1:${leafPort}`);
    leaf = await start('leaf', l);
    await waitFor('the hub lists the leaf', async () => (await leafLinks(hub)) === 1, 15_000, 50);
    assert.equal(await leafLinks(leaf), 1);
    // The leaf's side of the link is the hub's leaf port (2.9's /leafz names no server).
    const link = ((await (await fetch(`http://127.0.0.1:${leaf.monitor}/leafz`)).json()) as { leafs: Array<{ port: number }> }).leafs;
    assert.deepEqual(link.map((x) => x.port), [leafPort]);
    assert.deepEqual([await domain(hub), await domain(leaf)], ['a', 'b']);
    // Each region reaches the other's JetStream through the link (what mirrors and sources use).
    assert.equal((JSON.parse(await natsRequest(hub.client, '$JS.b.API.INFO')) as { domain: string }).domain, 'b');
    assert.equal((JSON.parse(await natsRequest(leaf.client, '$JS.a.API.INFO')) as { domain: string }).domain, 'a');
  });

  it('the compose drafts mount these configs: region A publishes only the leaf port, region B nothing of NATS', () => {
    for (const [file, conf, ports] of [
      ['config/examples/cluster-region-a.yaml', './nats-hub.conf', ['7422:7422']],
      ['config/examples/cluster-region-b.yaml', './nats-leaf.conf', undefined],
    ] as const) {
      const c = parse(readFileSync(file, 'utf8')) as { services: Record<string, { volumes: string[]; ports?: string[] }> };
      const nats = c.services['nats'];
      assert.ok(nats?.volumes.includes(`${conf}:/etc/nats/nats.conf:ro`), file);
      assert.ok(existsSync(join('config/examples', conf)), conf);
      assert.deepEqual(nats?.ports, ports, file);
      assert.ok(c.services['lifeline']?.volumes.includes('lifeline-data:/var/lib/lifeline'), file);
    }
  });

  it('a leaf without a certificate from the CA is refused by the hub (verify: true)', async () => {
    let l = put(readFileSync('config/examples/nats-leaf.conf', 'utf8'), 'tls://nats-a.example.org:7422', `tls://127.0.0.1:${leafPort}`);
    l = put(l, `cert_file: "/etc/nats/tls/leaf.pem"\n`, '');
    l = put(l, `key_file: "/etc/nats/tls/leaf.key"\n`, '');
    l = put(l, 'server_name: lifeline_b', 'server_name: lifeline_intruder');
    l = put(l, 'domain: b', 'domain: x');
    const before = hub.proc.output.join('').length;
    await start('intruder', l);
    await waitFor('the hub refuses the handshake', () => /TLS handshake error.*certificate|didn't provide a certificate/i.test(hub.proc.output.join('').slice(before)), 15_000, 50);
    assert.equal(await leafLinks(hub), 1, 'only the real leaf');
  });

  it('a silent cut (the leaf frozen: no FIN, no RST) drops the link at the hub after ping_interval x ping_max', async () => {
    assert.equal(await leafLinks(hub), 1);
    const t0 = Date.now();
    leaf.proc.signal('SIGSTOP');
    await waitFor('the hub drops the frozen leaf', async () => (await leafLinks(hub)) === 0, 15_000, 100);
    const s = (Date.now() - t0) / 1000;
    // 1 s x 3 unanswered pings: gone after about 3-4 s, not the default 2 min x 2.
    assert.ok(s >= 2 && s < 10, `${s}s`);
    leaf.proc.signal('SIGCONT');
  });
});
