import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { selfSignedCert } from './harness/certs.js';
import { IrcPeer } from './harness/ircPeer.js';
import { freePort, startInProcess, startProcess, testConfigYaml } from './harness/lifeline.js';
import { Ngircd } from './harness/ngircd.js';
import { tempDir, waitFor } from './harness/procs.js';
import { Znc } from './harness/znc.js';

describe('IRC connection behaviour (integration)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeEach(() => {
    tmp = tempDir('conn');
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    tmp.remove();
  });

  async function app(yaml: string): Promise<App> {
    const a = await startInProcess(yaml);
    cleanups.push(() => a.stop());
    return a;
  }

  it('keeps trying when the very first connection attempt fails, and connects once the server is up', async () => {
    const ircd = await Ngircd.create(); // configured, not started: nothing listens on its port yet
    cleanups.push(() => ircd.destroy());
    const a = await app(testConfigYaml({ httpPort: await freePort(), dbPath: join(tmp.dir, 'a.db'), irc: { port: ircd.port, bouncer: 'none' } }));
    await waitFor('several failed attempts', () => (a.irc?.state.attempts ?? 0) >= 3, 15_000);
    assert.notEqual(a.irc?.state.link, 'registered');
    assert.match(a.irc?.state.lastError ?? '', /ECONNREFUSED/);
    await ircd.restart();
    await waitFor('registered by the same instance', () => a.irc?.state.link === 'registered', 15_000);
    assert.equal(a.irc?.state.lastError, undefined);
  });

  it('verifies the bouncer certificate: refuses an unknown CA, accepts it with ca_file', async () => {
    const ircd = await Ngircd.start();
    cleanups.push(() => ircd.destroy());
    const cert = selfSignedCert(tmp.dir);
    const znc = await Znc.start(ircd.port, ['#alerts'], cert);
    cleanups.push(() => znc.destroy());
    const tlsYaml = async (ca: string): Promise<string> =>
      testConfigYaml({ httpPort: await freePort(), dbPath: join(tmp.dir, `${ca ? 'ok' : 'bad'}.db`), irc: { port: znc.port, password: znc.loginPassword } }).replace('  tls: false\n', `  tls: true\n${ca}`);
    const untrusted = await app(await tlsYaml(''));
    await waitFor('a certificate error', () => /certificate|self.signed/i.test(untrusted.irc?.state.lastError ?? ''), 15_000);
    assert.notEqual(untrusted.irc?.state.link, 'registered');
    const trusted = await app(await tlsYaml(`  ca_file: ${cert.certFile}\n`));
    await waitFor('registered over verified TLS', () => trusted.irc?.state.link === 'registered', 15_000);
  });

  it('takes another nick when its nick is in use, and joins a channel with a key', async () => {
    const ircd = await Ngircd.start([{ name: '#keyed', key: 'sesame' }]);
    cleanups.push(() => ircd.destroy());
    const squatter = await IrcPeer.connect(ircd.port, 'lifeline', []);
    cleanups.push(() => squatter.close());
    const yaml = testConfigYaml({ httpPort: await freePort(), dbPath: join(tmp.dir, 'n.db'), irc: { port: ircd.port, bouncer: 'none' } })
      .replace('    - name: "#alerts"', '    - name: "#keyed"\n      key: sesame')
      .replace('irc_channels: ["#alerts"]', 'irc_channels: ["#keyed"]');
    const a = await app(yaml);
    await waitFor('registered and joined', () => a.irc?.state.link === 'registered' && a.irc.state.joined.includes('#keyed'), 15_000);
    assert.equal(a.irc?.state.nick, 'lifeline_1');
  });

  it('rejoins after being kicked', async () => {
    const ircd = await Ngircd.start(['#alerts'], { name: 'op', password: 'oppass' });
    cleanups.push(() => ircd.destroy());
    const a = await app(testConfigYaml({ httpPort: await freePort(), dbPath: join(tmp.dir, 'k.db'), irc: { port: ircd.port, bouncer: 'none', extra: '  rejoin_delay: 500ms\n' } }));
    await waitFor('joined', () => a.irc?.state.joined.includes('#alerts'), 15_000);
    const op = await IrcPeer.connect(ircd.port, 'opper');
    cleanups.push(() => op.close());
    op.send('OPER op oppass');
    await waitFor('oper', () => op.lines.some((l) => / 381 /.test(l)), 5_000);
    op.send('MODE #alerts +o opper');
    await waitFor('chanop', () => op.lines.some((l) => /MODE #alerts \+o opper/.test(l)), 5_000);
    op.send('KICK #alerts lifeline :testing');
    await waitFor('kicked', () => op.lines.some((l) => /KICK #alerts lifeline/.test(l)), 5_000);
    await waitFor('rejoined (seen by the op)', () => op.lines.filter((l) => /^:lifeline!\S+ JOIN/.test(l)).length >= 1, 10_000);
    await waitFor('state shows the channel again', () => a.irc?.state.joined.includes('#alerts'), 5_000);
  });

  it('on SIGTERM sends QUIT, stops cleanly and exits 0', async () => {
    const ircd = await Ngircd.start();
    cleanups.push(() => ircd.destroy());
    const peer = await IrcPeer.connect(ircd.port, 'watcher');
    cleanups.push(() => peer.close());
    const httpPort = await freePort();
    const proc = await startProcess(tmp.dir, testConfigYaml({ httpPort, dbPath: join(tmp.dir, 't.db'), irc: { port: ircd.port, bouncer: 'none' } }), httpPort);
    cleanups.push(() => proc.stop());
    await waitFor('lifeline in the channel', () => peer.lines.some((l) => /^:lifeline!\S+ JOIN/.test(l)), 15_000);
    proc.signal('SIGTERM');
    await proc.waitExit();
    assert.equal(proc.child.exitCode, 0);
    await waitFor('QUIT seen by the peer', () => peer.lines.find((l) => /^:lifeline!\S+ QUIT :.*Lifeline shutting down/.test(l)), 5_000);
  });
});
