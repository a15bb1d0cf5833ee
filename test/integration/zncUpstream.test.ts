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
 * own nick are dropped silently; PINGs are answered by ZNC itself. Then ZNC back on its network
 * (`*status Connect`, or ngircd restarted) before it is back in the channel: see
 * alertRightAfterReconnect.
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

  /** How far apart two sockets' copies of one JOIN may be read in this process (see alertRightAfterReconnect). */
  const SKEW_MS = 500;

  /**
   * ZNC back on its network, not yet back in the channel. Measured with Debian's ZNC 1.8 and
   * ngircd 26: at `*status Connect` (or when ngircd comes back after a restart) every client of the
   * user reads "*status: Connected!" and the network's 001 at once, but the network's JOIN for our
   * nick, relayed by ZNC, comes about 5 s later (ngircd answers WHO after 1 s and the JOIN after
   * another 4). A line written in that window used to be written, echoed by ZNC and logged `sent`
   * about 5 s before the network had us in the channel. Now it waits (pending) until ZNC relays
   * our JOIN (channels.ts).
   *
   * Called once ZNC is on its way back (records from `from` on): posts an alert the moment Lifeline
   * sees the bouncer back, and checks what Lifeline logged against what `watcher`, in the channel
   * on the network, saw.
   */
  async function alertRightAfterReconnect(name: string, watcher: IrcPeer, from: number): Promise<void> {
    const since = (): Array<Record<string, unknown>> => records.slice(from);
    await waitFor('Lifeline sees the bouncer back on its network', () => since().some((r) => r.event === 'irc_upstream' && r.upstream === 'up'), 30_000, 5);
    const upAt = Date.now();
    assert.equal(await post(httpPort, groupPayload(name, 1, 0)), 200);
    // The network's side: when ngircd put our nick back into the channel.
    const joinedAt = await waitFor('the network shows lifeline joining #alerts', () => watcher.joins.find((j) => j.nick === 'lifeline' && j.channel === '#alerts' && j.atMs >= upAt - 1_000)?.atMs, 30_000, 5);
    // Lifeline runs in this process: the JOIN ZNC relays to it and the JOIN ngircd sends the
    // watcher arrive on two sockets of one event loop, so on a loaded machine Lifeline may read
    // its copy, write the line and log it a few ms before the watcher's copy is read. The old
    // code logged `sent` about 5,000 ms before the JOIN; SKEW_MS tells the two apart.
    const early = since().filter((r) => r.event === 'sent' && (r.time as number) < joinedAt - SKEW_MS);
    assert.deepEqual(early, [], 'nothing logged as sent before the network had us in the channel');
    const seen = await waitFor('the alert in the channel', () => watcher.from('lifeline').find((m) => plain(m.text).includes(name)), 30_000);
    await waitFor('the network confirmed it (canary)', () => since().find((r) => r.event === 'irc_network_confirmed'), 30_000);
    await waitFor('the outbox settled', () => app.outbox.pendingCount() === 0, 10_000);
    await sleep(3_000); // a second copy would be here by now
    const copies = watcher.from('lifeline').filter((m) => plain(m.text).includes(name));
    assert.equal(copies.length, 1, 'the alert reached the channel exactly once');
    // The alert's line (kind "group"); other lines (an outage note after the bouncer was off its network) may go too.
    const sentLog = since().filter((r) => r.event === 'sent');
    const sent = sentLog.filter((r) => r.kind === 'group');
    assert.equal(sent.length, 1, `the alert logged as sent once: ${JSON.stringify(sentLog.map((r) => [r.entry, r.kind, r.msg]))}`);
    assert.equal(new Set(sentLog.map((r) => r.entry)).size, sentLog.length, 'no entry logged as sent twice');
    const joinedHere = since().find((r) => r.event === 'irc_joined' && r.channel === '#alerts');
    assert.ok(joinedHere && (sent[0]!.time as number) >= (joinedHere.time as number), 'logged as sent only after Lifeline had the relayed JOIN');
    assert.ok((sent[0]!.time as number) >= joinedAt - SKEW_MS, `logged as sent ${joinedAt - (sent[0]!.time as number)} ms before the network had us in the channel`);
    assert.deepEqual(since().filter((r) => r.event === 'irc_unconfirmed_by_network' || r.event === 'resend_unconfirmed' || r.event === 'delivery_retry').map((r) => r.msg), [], 'no line refused (404/442), handed back or retried');
    const waiting = since().find((r) => r.event === 'irc_channel_rejoining');
    assert.ok(waiting && (waiting.time as number) <= joinedAt, 'the log said the channel waits for the bouncer to rejoin it');
    console.log(`      bouncer back → network JOIN ${joinedAt - upAt} ms; alert in the channel ${seen.atMs - upAt} ms, ${seen.atMs - joinedAt} ms after the JOIN`);
  }

  it('*status Disconnect + Connect: an alert sent right away is logged sent only after the network has us back in the channel, reaches it once, and nothing is refused or handed back', async () => {
    operator.send('PRIVMSG *status :Disconnect');
    await waitFor('the bouncer off its network', () => app.irc!.state.upstream === 'down', 10_000);
    const from = records.length;
    operator.send('PRIVMSG *status :Connect');
    await alertRightAfterReconnect('ZncRejoin', peer, from);
  });

  it('ngircd restarted: the same once ZNC has reconnected', async () => {
    const from = records.length;
    await ircd.restart();
    await waitFor('the bouncer off its network', () => app.irc!.state.upstream === 'down', 10_000);
    // In the channel before ZNC is back (ZNC retries every second here; it joins 5 s after that).
    const watcher = await IrcPeer.connect(ircd.port, 'watcher2');
    try {
      await alertRightAfterReconnect('NgircdRejoin', watcher, from);
    } finally {
      watcher.close();
    }
  });
});
