import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { App } from '../../src/app.js';
import { IrcPeer, plain } from './harness/ircPeer.js';
import { freePort, startInProcess, waitIrcHealthy, startProcess, testConfigYaml } from './harness/lifeline.js';
import { Ngircd } from './harness/ngircd.js';
import { tempDir, waitFor, type ServerProcess } from './harness/procs.js';
import { Znc } from './harness/znc.js';
import { groupPayload, postWebhook as post } from './harness/webhook.js';

/**
 * Fast timers so faults show within seconds: dead link after 2 s + 2 s, canary every 2 s. The
 * canary gets 10 s to return: after ZNC reconnects, ngircd's penalty for ZNC's rejoin burst holds
 * its next lines (the digest, the canary) for several seconds, and a canary lost then makes
 * Lifeline send the digest again, as it must when the network never confirmed it (at 3 s that
 * happened in most runs). The shipped timeout is 30 s.
 */
const FAST = `  ping_interval: 2s
  ping_timeout: 2s
  canary:
    interval: 2s
    timeout: 10s
`;

describe('IRC faults (integration)', function () {
  this.timeout(90_000);
  let ircd: Ngircd;
  let znc: Znc;
  let app: App;
  let peer: IrcPeer | undefined;
  let tmp: ReturnType<typeof tempDir>;
  let httpPort: number;

  beforeEach(async () => {
    tmp = tempDir('faults');
    ircd = await Ngircd.start();
    znc = await Znc.start(ircd.port);
    httpPort = await freePort();
    app = await startInProcess(testConfigYaml({ httpPort, dbPath: join(tmp.dir, 'l.db'), irc: { port: znc.port, password: znc.loginPassword, extra: FAST } }));
    await waitIrcHealthy(app);
  });

  afterEach(async () => {
    peer?.close();
    peer = undefined;
    await app?.stop();
    await znc?.destroy();
    await ircd?.destroy();
    tmp?.remove();
  });

  it('notices ZNC dying, keeps alerts on disk, and posts one digest when ZNC is back', async () => {
    await znc.kill();
    await waitFor('link down', () => app.irc?.state.link !== 'registered', 5_000);
    const st = app.irc!.state;
    assert.ok(st.disconnectedSinceMs !== undefined, 'disconnected-since is set');
    assert.ok(st.lastError, 'last error is set');
    for (let i = 0; i < 5; i++) assert.equal(await post(httpPort, groupPayload(`Down${i}`, 1, i)), 200);
    assert.equal(app.outbox.pendingCount('irc:#alerts'), 5);
    peer = await IrcPeer.connect(ircd.port, 'watcher');
    await znc.restart();
    await waitFor('link back', () => app.irc?.state.link === 'registered', 15_000);
    const digest = await waitFor('digest', () => peer!.from('lifeline').find((m) => plain(m.text).startsWith('DIGEST')), 20_000).catch((err: Error) => {
      throw new Error(`${err.message}; IRC state ${JSON.stringify(app.irc?.state)}; outbox ${app.outbox.pendingCount()} pending; peer saw ${peer!.lines.slice(-8).join(' | ')}`);
    });
    assert.match(plain(digest.text), /^DIGEST while disconnected \d+ s: 5 fired, 0 resolved, 5 still firing$/);
    const names = await waitFor('still-firing line', () => peer!.from('lifeline').find((m) => plain(m.text).includes('still firing:')), 5_000);
    for (let i = 0; i < 5; i++) assert.ok(plain(names.text).includes(`Down${i} host-${i}`));
    // No replay flood: none of the five groups was posted on its own.
    assert.equal(peer.from('lifeline').filter((m) => plain(m.text).startsWith('[FIRING')).length, 0);
    // The digest counts as sent when ZNC's echo of its last line is back, which can be a moment
    // after the watcher sees it.
    await waitFor('the digest recorded as sent', () => app.outbox.pendingCount() === 0, 5_000);
    assert.equal(peer.from('lifeline').filter((m) => plain(m.text).startsWith('DIGEST')).length, 1, 'one digest');
  });

  it('detects the bouncer losing its IRC network, and its return', async () => {
    await ircd.stop();
    await waitFor('upstream down', () => app.irc?.state.upstream === 'down', 10_000);
    assert.equal(app.irc?.state.link, 'registered', 'still connected to the bouncer itself');
    await ircd.restart();
    await waitFor('upstream up', () => app.irc?.state.upstream === 'up', 20_000);
    await waitFor('canary passes again', () => app.irc?.state.canary.failing === false && app.irc.state.joined.includes('#alerts'), 20_000);
  });

  it('finds a frozen bouncer (SIGSTOP) within ping interval + timeout', async () => {
    const frozenAt = Date.now();
    znc.proc!.signal('SIGSTOP');
    try {
      await waitFor('dead link', () => app.irc?.state.link !== 'registered', 10_000, 20);
      const took = Date.now() - frozenAt;
      assert.ok(took <= 4_000 + 1_000, `found after ${took} ms (bound 4 s + 1 s slack)`);
      assert.match(app.irc!.state.lastError ?? '', /no reply to PING|did not echo|canary/);
    } finally {
      znc.proc!.signal('SIGCONT');
    }
    await waitFor('reconnected after thaw', () => app.irc?.state.link === 'registered', 15_000);
  });
});

describe('SIGKILL during a webhook burst (integration)', function () {
  this.timeout(120_000);
  let ircd: Ngircd;
  let znc: Znc;
  let tmp: ReturnType<typeof tempDir>;
  let proc: ServerProcess | undefined;

  before(async () => {
    tmp = tempDir('kill');
    ircd = await Ngircd.start();
    // A tuned ZNC (0.3 s per line, burst 10) with Lifeline paced to match: this test is about
    // SIGKILL and durability, not pace, and needs the lines to flow quickly.
    znc = await Znc.start(ircd.port, ['#alerts'], undefined, { rate: 0.3, burst: 10 });
  });
  after(async () => {
    await proc?.stop();
    await znc?.destroy();
    await ircd?.destroy();
    tmp?.remove();
  });

  it('keeps every alert answered 200 and posts each to IRC exactly once', async () => {
    const httpPort = await freePort();
    const dbPath = join(tmp.dir, 'kill.db');
    const yaml = testConfigYaml({
      httpPort,
      dbPath,
      irc: { port: znc.port, password: znc.loginPassword, extra: '  flood:\n    burst: 5\n    lines_per_second: 3\n' },
      extra: 'outbox:\n  replay_max: 100\n  stale_after: 10m\nformat:\n  colors: false\n  max_alert_lines: 0\n',
    });
    const peer = await IrcPeer.connect(ircd.port, 'watcher');
    try {
      proc = await startProcess(tmp.dir, yaml, httpPort);
      const accepted: string[] = [];
      let killed = false;
      // 10 in flight at a time; SIGKILL lands in the middle of the burst.
      const names = Array.from({ length: 40 }, (_, i) => `Burst${String(i).padStart(2, '0')}`);
      const workers = Array.from({ length: 10 }, async (_, w) => {
        for (let i = w; i < names.length; i += 10) {
          if (i === 20 && !killed) {
            killed = true;
            proc!.child.kill('SIGKILL');
          }
          try {
            if ((await post(httpPort, groupPayload(names[i] as string, 1, i))) === 200) accepted.push(names[i] as string);
          } catch {
            // connection refused or reset after the kill: not answered 200, so Alertmanager would retry
          }
        }
      });
      await Promise.all(workers);
      await proc.waitExit();
      assert.ok(accepted.length > 0 && accepted.length < names.length, `accepted ${accepted.length} before/around the kill`);

      const db = new Database(dbPath, { readonly: true });
      const stored = new Set((db.prepare('SELECT alertname FROM alerts').all() as Array<{ alertname: string }>).map((r) => r.alertname));
      db.close();
      for (const n of accepted) assert.ok(stored.has(n), `${n} was answered 200 and is stored`);

      proc = await startProcess(tmp.dir, yaml, httpPort);
      await waitFor('every accepted alert in the channel', () => accepted.every((n) => peer.from('lifeline').some((m) => plain(m.text).includes(` ${n} `))), 60_000, 100).catch((err: Error) => {
        const missing = accepted.filter((n) => !peer.from('lifeline').some((m) => plain(m.text).includes(` ${n} `)));
        throw new Error(`${err.message}; missing ${missing.join(',')}; seen ${peer.from('lifeline').map((m) => `${m.atMs % 100000}:${m.text}`).join(' | ')}; Lifeline said: ${proc?.output.join('').slice(-3000)}`);
      });
      await new Promise((r) => setTimeout(r, 1500)); // anything duplicated would show by now
      for (const n of accepted) {
        const heads = peer.from('lifeline').filter((m) => plain(m.text).startsWith('[FIRING') && plain(m.text).includes(` ${n} `));
        assert.equal(heads.length, 1, `${n} posted ${heads.length} times`);
      }
    } finally {
      peer.close();
    }
  });
});
