import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { freePort, startInProcess, testConfigYaml } from './harness/lifeline.js';
import { tempDir } from './harness/procs.js';

const fixture = readFileSync('test/fixtures/alertmanager-firing.json', 'utf8');
const TOKEN = 'webhook-token-123';

describe('webhook HTTP input (integration)', function () {
  this.timeout(30_000);
  let app: App;
  let port: number;
  let tmp: ReturnType<typeof tempDir>;

  before(async () => {
    tmp = tempDir('http');
    port = await freePort();
    app = await startInProcess(
      testConfigYaml({ httpPort: port, dbPath: join(tmp.dir, 'h.db'), auth: '  body_limit: 65536\n  auth:\n    type: bearer\n    token: ${TOKEN}\n' }),
      { TOKEN },
    );
  });
  after(async () => {
    await app?.stop();
    tmp?.remove();
  });

  async function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
      body,
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
  }

  it('accepts a valid payload with the right token and stores it before answering', async () => {
    const before = app.alerts.receipts();
    const r = await post(fixture);
    assert.equal(r.status, 200);
    assert.equal(r.json['status'], 'success');
    assert.equal(app.alerts.receipts(), before + 1);
  });

  it('answers 401 without or with a wrong token, and stores nothing', async () => {
    const before = app.alerts.receipts();
    const r1 = await post(fixture, { authorization: '' });
    const r2 = await post(fixture, { authorization: 'Bearer nope' });
    assert.equal(r1.status, 401);
    assert.equal(r2.status, 401);
    assert.match(String(r2.json['reason']), /credentials/);
    assert.match(r2.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal(app.alerts.receipts(), before);
  });

  it('answers 415 for a wrong content type', async () => {
    const r = await post(fixture, { 'content-type': 'text/plain' });
    assert.equal(r.status, 415);
    assert.match(String(r.json['reason']), /application\/json/);
  });

  it('answers 413 from Content-Length without reading the body', async () => {
    // A raw request that announces 10 MB and sends only the headers: the answer must come anyway.
    const answer = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      let data = '';
      s.on('data', (d) => (data += d.toString()));
      s.on('error', reject);
      s.on('close', () => resolve(data));
      s.write(`POST /api/v1/alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 10000000\r\n\r\n`);
      setTimeout(() => s.destroy(), 3000);
    });
    assert.match(answer, /^HTTP\/1\.1 413/);
    assert.match(answer, /http\.body_limit/);
  });

  it('answers 413 while streaming a chunked body that grows past the limit', async () => {
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 1024 * 1024) return controller.close(); // bounded: 1 MiB at most
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body,
      duplex: 'half',
    } as RequestInit).catch((err: unknown) => err as Error);
    assert.ok(!(res instanceof Error), `request failed: ${String(res)}`);
    assert.equal(res.status, 413);
    assert.match(String(((await res.json()) as { reason: string }).reason), /body_limit/);
    assert.equal((await post(fixture)).status, 200, 'still serving');
  });

  it('answers 400 with the reason for invalid JSON, an empty body, or a wrong version', async () => {
    const bad = await post('{"version": "4",');
    assert.equal(bad.status, 400);
    assert.match(String(bad.json['reason']), /not valid JSON/);
    const empty = await post('');
    assert.equal(empty.status, 400);
    const v3 = await post(JSON.stringify({ ...JSON.parse(fixture), version: '3' }));
    assert.equal(v3.status, 400);
    assert.match(String(v3.json['reason']), /version "4"/);
  });

  it('answers 400 for non-string label values, naming the field', async () => {
    const p = JSON.parse(fixture);
    p.alerts[0].labels.severity = { nested: true };
    const r = await post(JSON.stringify(p));
    assert.equal(r.status, 400);
    assert.match(String(r.json['reason']), /alerts\[0\]\.labels\.severity/);
  });

  it('keeps alerts with invalid UTF-8, replacing the bad bytes', async () => {
    const p = JSON.parse(fixture);
    p.groupKey = 'utf8';
    p.alerts[0].fingerprint = 'utf80000';
    p.alerts[0].annotations.summary = 'MARK';
    const raw = Buffer.from(JSON.stringify(p));
    const i = raw.indexOf('MARK');
    raw[i] = 0xff;
    raw[i + 1] = 0xfe;
    const r = await post(raw);
    assert.equal(r.status, 200);
    const row = app.db.prepare("SELECT annotations FROM alerts WHERE fingerprint = 'utf80000'").get() as { annotations: string };
    assert.equal(JSON.parse(row.annotations).summary, '\uFFFD\uFFFDRK');
  });

  it('stores 10,000 alerts in one payload', async () => {
    const p = JSON.parse(fixture);
    p.groupKey = 'big';
    const base = p.alerts[0];
    p.alerts = Array.from({ length: 10_000 }, (_, i) => ({ ...base, fingerprint: `big${i}`, labels: { ...base.labels, instance: `h${i}` } }));
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/alertmanager/default`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(p),
    });
    // 10,000 alerts are ~3 MB: over this test's 64 KiB body limit, so 413. Raise the limit in a second app.
    assert.equal(res.status, 413);
    const port2 = await freePort();
    const app2 = await startInProcess(testConfigYaml({ httpPort: port2, dbPath: join(tmp.dir, 'big.db'), auth: '  body_limit: 8388608\n' }));
    try {
      const r2 = await fetch(`http://127.0.0.1:${port2}/api/v1/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(p) });
      assert.equal(r2.status, 200);
      assert.equal(app2.alerts.countByStatus().firing, 10_000);
    } finally {
      await app2.stop();
    }
  });

  it('answers 404 for an unknown route and keeps serving', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/alertmanager/nope`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: fixture });
    assert.equal(res.status, 404);
    assert.equal((await post(fixture)).status, 200);
  });

  it('answers 400, not 500, for a route name that is not valid percent-encoding (issue 7.11)', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/alertmanager/%E0%A4%A`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: fixture });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { reason: string }).reason, /not valid percent-encoding/);
    assert.equal((await post(fixture)).status, 200);
  });

  it('answers 503 when the store cannot write, so Alertmanager retries', async () => {
    const port3 = await freePort();
    const app3 = await startInProcess(testConfigYaml({ httpPort: port3, dbPath: join(tmp.dir, 'ro.db') }));
    try {
      // Make every write fail the way a full or broken disk does.
      app3.db.exec('CREATE TRIGGER no_writes BEFORE INSERT ON receipts BEGIN SELECT RAISE(FAIL, \'disk full\'); END;');
      const res = await fetch(`http://127.0.0.1:${port3}/api/v1/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: fixture });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal(app3.alerts.countByStatus().firing, 0, 'nothing half-stored');
    } finally {
      await app3.stop();
    }
  });

  it('serves health, readiness, status and metrics', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /lifeline_webhook_requests_total\{result="accepted"\} \d+/);
    assert.match(metrics, /lifeline_webhook_requests_total\{result="unauthorized"\} 2/);
    assert.match(metrics, /lifeline_outbox_pending \d+/);
    assert.match(metrics, /lifeline_alerts\{state="firing"\} \d+/);
    assert.match(metrics, /^lifeline_build_info\{version="\d+\.\d+\.\d+",revision="[^"]+"\} 1$/m);
    assert.match(metrics, /^process_cpu_seconds_total \d/m, 'the standard process metrics keep their names');
    // Prometheus' own linter (Debian's promtool) finds nothing to say about the exposition.
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    assert.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);
    assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '');
  });
});
