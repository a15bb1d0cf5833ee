import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, tempDir, waitFor } from '../harness/procs.js';

const here = dirname(fileURLToPath(import.meta.url));
const MAIN = resolve(here, '../../../src/main.js');
const RECORDER = join(here, 'registerImportRecorder.js');

/** Runs `lifeline run` with a config, waits for /healthz, stops it with SIGTERM; returns the modules it loaded. */
async function runLifeline(dir: string, extra: string): Promise<{ modules: string[]; healthz: number; exitCode: number | null; stderr: string }> {
  const port = await freePort();
  const cfg = join(dir, `c-${port}.yaml`);
  const log = join(dir, `imports-${port}.txt`);
  writeFileSync(log, '');
  writeFileSync(cfg, `log: { level: warn }\nhttp: { host: 127.0.0.1, port: ${port} }\nstore: { path: ${join(dir, `s-${port}.db`)} }\n${extra}`);
  const child = spawn(process.execPath, ['--import', RECORDER, MAIN, 'run', '--config', cfg], { env: { ...process.env, IMPORT_LOG: log }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const healthz = await waitFor(`lifeline on ${port} (${stderr.slice(-500)})`, async () => (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).status, 20_000, 100);
    child.kill('SIGTERM');
    const exitCode = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    return { modules: readFileSync(log, 'utf8').split('\n').filter(Boolean), healthz, exitCode, stderr };
  } finally {
    child.kill('SIGKILL');
  }
}

describe('cluster layer is loaded only with a cluster section (issue 23)', function () {
  this.timeout(60_000);
  let tmp: { dir: string; remove: () => void };
  before(() => (tmp = tempDir('lazy')));
  after(() => tmp.remove());

  const clusterModules = (mods: string[]): string[] => mods.filter((u) => u.includes('/@nats-io/') || /\/src\/cluster\//.test(u));

  it('without `cluster`: no NATS client and nothing of src/cluster is loaded, no nats-server needed', async () => {
    const r = await runLifeline(tmp.dir, '');
    assert.equal(r.healthz, 200);
    assert.ok(r.modules.some((u) => u.endsWith('/src/app.js')), 'the recorder sees the app load');
    assert.deepEqual(clusterModules(r.modules), []);
    assert.equal(r.exitCode, 0);
  });

  it('with `cluster` and its nats-server down: Lifeline starts anyway, loads the layer, keeps retrying, and stops on SIGTERM', async () => {
    const dead = await freePort();
    const r = await runLifeline(tmp.dir, `cluster:\n  name: a\n  peers: [{ name: b }]\n  nats_url: nats://127.0.0.1:${dead}\n`);
    assert.equal(r.healthz, 200);
    assert.ok(clusterModules(r.modules).length > 0, 'the cluster layer is loaded');
    assert.match(r.stderr, /cannot connect to this region's nats-server at nats:\/\/127\.0\.0\.1:\d+/);
    assert.equal(r.exitCode, 0, `exits on SIGTERM though never connected: ${r.stderr.slice(-1000)}`);
  });
});
