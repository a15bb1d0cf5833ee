import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort, startInProcess, testConfigYaml } from './harness/lifeline.js';
import { tempDir, waitFor } from './harness/procs.js';

/**
 * Watching the watchdog: one real Lifeline pings another's heartbeat endpoint (bearer auth, as a
 * second Lifeline in another region would be set up); the receiver's heartbeat probe sees the
 * pings, a "/fail" with its reason, and the silence when the sender stops.
 */
describe('outbound heartbeat to a second Lifeline (integration)', function () {
  this.timeout(60_000);

  it('the receiver sees the pings, a /fail with its reason, and opens an alert when the sender goes quiet', async () => {
    const tmp = tempDir('hb-out');
    const rPort = await freePort();
    const receiver = await startInProcess(
      testConfigYaml({
        httpPort: rPort,
        dbPath: join(tmp.dir, 'receiver.db'),
        auth: '  auth:\n    type: bearer\n    token: ${TOKEN}\n',
        extra: 'probes:\n  interval: 1s\n  failures_to_open: 1\n  successes_to_resolve: 1\n  targets:\n    - { name: lifeline-eu, kind: heartbeat, within: 3s }\n',
      }),
      { TOKEN: 'r3ceiver-token' },
    );
    const sPort = await freePort();
    const sender = await startInProcess(
      testConfigYaml({
        httpPort: sPort,
        dbPath: join(tmp.dir, 'sender.db'),
        extra: `heartbeat_out:\n  ping_url: "http://127.0.0.1:${rPort}/api/v1/heartbeat/lifeline-eu"\n  token: \${TOKEN}\n  interval: 1s\n`,
      }),
      { TOKEN: 'r3ceiver-token' },
    );
    let senderStopped = false;
    try {
      const status = (): { status: string; summary: string } => {
        const p = receiver.probes.status().find((x) => x.name === 'lifeline-eu')!;
        return { status: p.status, summary: p.last?.summary ?? '' };
      };
      const up = await waitFor('the receiver hears the sender', () => (/^last heartbeat ping/.test(status().summary) ? status() : undefined), 20_000, 100);
      assert.equal(up.status, 'up');

      await sender.stop();
      senderStopped = true;
      const auth = { authorization: 'Bearer r3ceiver-token' };
      // What a sender posts when it runs but is unhealthy: the receiver reports it at once.
      const fail = await fetch(`http://127.0.0.1:${rPort}/api/v1/heartbeat/lifeline-eu/fail`, { method: 'POST', headers: auth, body: 'Lifeline is running but not healthy: the store cannot be read\r\nINJECTED' });
      assert.equal(fail.status, 200);
      const failed = await waitFor('the reported failure', () => (/sender reports/.test(status().summary) ? status() : undefined), 10_000, 20);
      assert.match(failed.summary, /^the sender reports it is not healthy \(\d+ ?(ms|s) ago\): Lifeline is running but not healthy: the store cannot be read INJECTED$/);
      await waitFor('the alert for it', () => receiver.alerts.firing(10).find((a) => a.name === 'ProbeDown' && a.instance === 'lifeline-eu'), 10_000, 50);
      assert.equal((await fetch(`http://127.0.0.1:${rPort}/api/v1/heartbeat/lifeline-eu/start`, { headers: auth })).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${rPort}/api/v1/heartbeat/lifeline-eu`)).status, 401, 'pings need the webhook credentials');
      // A plain ping clears it.
      assert.equal((await fetch(`http://127.0.0.1:${rPort}/api/v1/heartbeat/lifeline-eu`, { headers: auth })).status, 200);
      await waitFor('cleared by the ping', () => status().status === 'up', 10_000, 50);
      // Then silence: the sender is gone.
      const quiet = await waitFor('the silence noticed', () => (/^no heartbeat ping for/.test(status().summary) ? status() : undefined), 20_000, 100);
      assert.equal(quiet.status, 'down');
      assert.match(quiet.summary, /^no heartbeat ping for \d+ s, \d+ m?s overdue \(expected every 3 s\)$/);
    } finally {
      if (!senderStopped) await sender.stop();
      await receiver.stop();
      tmp.remove();
    }
  });
});
