import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { freePort, recordingLogger, startInProcess, testConfigYaml } from './harness/lifeline.js';
import { tempDir } from './harness/procs.js';

const WEBHOOK_TOKEN = 'webhook-token-0123456789';
const HB_TOKEN = 'hb-0123456789abcdef0123';

/**
 * Issue 19 §4: heartbeat pings have their own secret (http.heartbeat_auth), as a bearer token or
 * in the URL, and the webhook's credential no longer opens them; Lifeline says at start what is
 * unsafe or useless in its config. Real HTTP requests against Lifeline on loopback.
 */
describe('heartbeat pings with their own secret, and the warnings at start (integration)', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  const apps: App[] = [];

  before(() => {
    tmp = tempDir('lifeline-hbauth');
  });
  after(async () => {
    for (const a of apps) await a.stop();
    tmp?.remove();
  });

  async function start(name: string, heartbeatAuth: boolean): Promise<{ port: number; records: Array<Record<string, unknown>> }> {
    const port = await freePort();
    const auth = `  auth:\n    type: bearer\n    token: ${WEBHOOK_TOKEN}\n${heartbeatAuth ? `  heartbeat_auth:\n    token: \${HB}\n` : ''}`;
    const extra = 'probes:\n  interval: 1s\n  targets:\n    - { name: backup, kind: heartbeat, within: 1h }\n';
    const { log, records } = recordingLogger();
    apps.push(await startInProcess(testConfigYaml({ httpPort: port, dbPath: join(tmp.dir, `${name}.db`), auth, extra }), { HB: HB_TOKEN }, log));
    return { port, records };
  }

  it('a ping needs the heartbeat token, as bearer or in the URL; the webhook token and no token get 401', async () => {
    const { port, records } = await start('own', true);
    const ping = async (path: string, authorization?: string, method = 'POST', body?: string): Promise<number> =>
      (await fetch(`http://127.0.0.1:${port}/api/v1/heartbeat/${path}`, { method, headers: authorization ? { authorization } : {}, body })).status;
    assert.equal(await ping('backup'), 401, 'no credential');
    assert.equal(await ping('backup', `Bearer ${WEBHOOK_TOKEN}`), 401, "the webhook's token does not open heartbeats");
    assert.equal(await ping('backup/fail', `Bearer ${WEBHOOK_TOKEN}`, 'POST', 'forged'), 401, 'nor can it page with /fail');
    assert.equal(await ping('nope', undefined), 401, 'an unknown name is not revealed without the token');
    assert.equal(await ping(`${'x'.repeat(HB_TOKEN.length)}/backup`), 401, 'a wrong token in the URL');
    assert.equal(await ping('backup', `Bearer ${HB_TOKEN}`), 200);
    assert.equal(await ping('backup', `bearer ${HB_TOKEN}`, 'GET'), 200, 'the scheme is case-insensitive');
    assert.equal(await ping(`${HB_TOKEN}/backup`, undefined, 'GET'), 200, 'healthchecks.io style: the token in the URL');
    assert.equal(await ping(`${HB_TOKEN}/backup/start`), 200);
    assert.equal(await ping(`${HB_TOKEN}/nope`), 404, 'with the token, an unknown name is 404');
    assert.equal(await ping(`${HB_TOKEN}/backup/fail`, undefined, 'POST', 'disk full'), 200);
    const failed = records.filter((r) => r['event'] === 'config_unsafe');
    assert.deepEqual(failed, [], 'no warning about heartbeats with their own token');
    assert.ok(!JSON.stringify(records).includes(HB_TOKEN), 'the token is never logged');
  });

  it('says at start that heartbeats share the webhook credential, and that a console-only config delivers nowhere', async () => {
    const { port, records } = await start('shared', false);
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/heartbeat/backup`, { headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` } })).status, 200, 'without heartbeat_auth, pings take http.auth as before');
    const warn = records.find((r) => r['event'] === 'config_unsafe' && r['key'] === 'http.heartbeat_auth');
    assert.match(String(warn?.['msg']), /heartbeat pings \(backup\) take the webhook's credential/);
    assert.equal(warn?.['level'], 40, 'at warn');
    const nowhere = records.find((r) => r['event'] === 'config_delivers_nowhere');
    assert.match(String(nowhere?.['msg']), /delivers nowhere: no route names an IRC channel .* and no paging channel is configured/);
  });
});
