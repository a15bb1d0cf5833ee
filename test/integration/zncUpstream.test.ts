import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { pathHealthy } from '../../src/notifiers/irc/state.js';
import { IrcPeer, plain } from './harness/ircPeer.js';
import { freePort, recordingLogger, startInProcess, testConfigYaml, waitIrcHealthy } from './harness/lifeline.js';
import { Ngircd } from './harness/ngircd.js';
import { tempDir, waitFor } from './harness/procs.js';
import { groupPayload, postWebhook as post } from './harness/webhook.js';
import { Znc } from './harness/znc.js';
import { ZncClient } from './harness/zncClient.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** From `*status Disconnect` (written by another client of our ZNC user) to the path counting unhealthy. */
const UNHEALTHY_WITHIN_MS = 2_000;

/**
 * ZNC taken off its network by `*status Disconnect` from another client of the same ZNC user,
 * ZNC itself still connected to Lifeline. Shipped IRC timers (ping 60 s/10 s, canary 2 min/30 s):
 * the detection must not depend on the canary. What ZNC 1.8 does meanwhile (see znc.ts): Lifeline's
 * client reads only the echo of the other client's command; lines written are dropped unechoed
 * with "*status: Your message to #alerts got lost, you are not connected to IRC!"; canaries to our
 * own nick are dropped silently; PINGs are answered by ZNC itself.
 */
describe('ZNC off its network: nothing counts as delivered until the network has it (integration)', function () {
  this.timeout(150_000);
  let ircd: Ngircd;
  let znc: Znc;
  let app: App;
  let operator: ZncClient;
  let peer: IrcPeer;
  let tmp: ReturnType<typeof tempDir>;
  let httpPort: number;
  const { log, records } = recordingLogger();

  before(async () => {
    tmp = tempDir('zncup');
    ircd = await Ngircd.start();
    znc = await Znc.start(ircd.port);
    httpPort = await freePort();
    app = await startInProcess(testConfigYaml({ httpPort, dbPath: join(tmp.dir, 'l.db'), irc: { port: znc.port, password: znc.loginPassword } }), {}, log);
    await waitIrcHealthy(app);
    operator = await ZncClient.connect(znc.port, znc.loginPassword);
    peer = await IrcPeer.connect(ircd.port, 'watcher');
    // The first canary (5 s after registering) has settled everything written at start.
    await waitFor('first canary back', () => app.irc?.state.canary.lastOkMs !== undefined, 20_000);
  });

  after(async () => {
    peer?.close();
    operator?.close();
    await app?.stop();
    await znc?.destroy();
    await ircd?.destroy();
    tmp?.remove();
  });

  it(`*status Disconnect: the path is unhealthy within ${UNHEALTHY_WITHIN_MS} ms, the alert waits unsent; after Connect it reaches the channel once and only then counts as confirmed`, async () => {
    const from = records.length;
    const since = (): Array<Record<string, unknown>> => records.slice(from);
    const disconnectAt = Date.now();
    operator.send('PRIVMSG *status :Disconnect');
    await waitFor('IRC path unhealthy', () => !pathHealthy(app.irc!.state), UNHEALTHY_WITHIN_MS + 3_000, 10);
    const tookMs = Date.now() - disconnectAt;
    console.log(`      path unhealthy ${tookMs} ms after *status Disconnect`);
    assert.ok(tookMs <= UNHEALTHY_WITHIN_MS, `path unhealthy after ${tookMs} ms (bound ${UNHEALTHY_WITHIN_MS} ms)`);
    assert.equal(app.irc!.state.upstream, 'down');
    assert.equal(app.irc!.state.link, 'registered', 'ZNC itself is still connected');

    assert.equal(await post(httpPort, groupPayload('ZncAway', 1, 0)), 200);
    // Longer than ping_timeout (10 s): a line ZNC neither echoed nor carried has been retried by now.
    await sleep(12_000);
    const away = (): number => peer.from('lifeline').filter((m) => plain(m.text).includes('ZncAway')).length;
    assert.equal(away(), 0, 'nothing reached the channel');
    assert.equal(app.outbox.pendingCount('irc:#alerts'), 1, 'the alert still waits');
    assert.deepEqual(since().filter((r) => r.event === 'sent'), [], 'nothing logged as sent');
    assert.deepEqual(since().filter((r) => r.event === 'irc_network_confirmed'), [], 'nothing logged as confirmed');
    assert.equal(pathHealthy(app.irc!.state), false, 'still unhealthy');

    const connectAt = Date.now();
    operator.send('PRIVMSG *status :Connect');
    const seen = await waitFor('the alert in the channel', () => peer.from('lifeline').find((m) => plain(m.text).includes('ZncAway')), 30_000);
    const confirmed = await waitFor('the network confirmed it (canary)', () => since().find((r) => r.event === 'irc_network_confirmed'), 30_000);
    await waitFor('the outbox settled', () => app.outbox.pendingCount() === 0, 10_000);
    await sleep(3_000); // a second copy would be here by now
    assert.equal(away(), 1, 'the alert reached the channel exactly once');
    const sent = since().filter((r) => r.event === 'sent');
    assert.equal(sent.length, 1, 'logged as sent once');
    assert.ok((sent[0]!.time as number) >= connectAt, 'logged as sent only after ZNC was back on its network');
    assert.ok((confirmed.time as number) >= seen.atMs, 'counted as confirmed only after the channel had it');
    // Log lines stay true: the lines counted as confirmed are the lines the channel got.
    console.log(`      after *status Connect: in the channel ${seen.atMs - connectAt} ms, confirmed by the canary ${(confirmed.time as number) - connectAt} ms`);
    const counted = since()
      .filter((r) => r.event === 'irc_network_confirmed')
      .reduce((n, r) => n + (r.lines as number), 0);
    const got = peer.from('lifeline').filter((m) => m.atMs >= disconnectAt).length;
    assert.equal(counted, got, `confirmed ${counted} line(s), the channel got ${got}`);
    assert.equal(app.irc!.state.upstream, 'up');
  });
});
