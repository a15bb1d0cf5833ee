import assert from 'node:assert/strict';
import { IrcPeer } from './harness/ircPeer.js';
import { freePort, runCli } from './harness/lifeline.js';
import { Ngircd } from './harness/ngircd.js';
import { tempDir } from './harness/procs.js';
import { Znc } from './harness/znc.js';
import { selfSignedCert } from './harness/certs.js';

/** `lifeline test-notify --channel irc` as the operator runs it, against ngircd and ZNC. */
describe('lifeline test-notify --channel irc against ngircd and ZNC (integration)', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof tempDir>;
  let ircd: Ngircd;
  let znc: Znc;
  let alice: IrcPeer;
  before(async () => {
    tmp = tempDir('test-notify-irc');
    ircd = await Ngircd.start(['#alerts', { name: '#locked', key: 'sesame' }]);
    znc = await Znc.start(ircd.port);
    alice = await IrcPeer.connect(ircd.port, 'alice');
  });
  after(async () => {
    alice?.close();
    await znc?.destroy();
    await ircd?.destroy();
    tmp?.remove();
  });

  const yaml = (o: { port: number; password?: string; bouncer: 'znc' | 'none'; channel?: string }): string => `irc:
  host: 127.0.0.1
  port: ${o.port}
  tls: false
  nick: lifeline
  bouncer: ${o.bouncer}
${o.password ? `  password: "${o.password}"\n` : ''}  channels: [{ name: "${o.channel ?? '#alerts'}" }]
routes:
  - { name: default, irc_channels: ["${o.channel ?? '#alerts'}"] }
`;
  const cli = (y: string, ...args: string[]): ReturnType<typeof runCli> => runCli(tmp.dir, 'test-notify', y, '--channel', 'irc', ...args);

  it('through ZNC: registers, joins, sends one line that people in the channel see, and proves the network has it (canary)', async () => {
    const before = alice.messages.length;
    const r = await cli(yaml({ port: znc.port, password: znc.loginPassword, bouncer: 'znc' }));
    assert.equal(r.code, 0, r.out + r.err);
    const out = r.out.trim().split('\n');
    assert.match(out[0] ?? '', new RegExp(`^irc: registered with 127\\.0\\.0\\.1:${znc.port} as lifeline(_\\d)?.*; in #alerts$`));
    assert.match(out[1] ?? '', /^irc to #alerts: delivered: a canary sent after it came back through the network \d+ ms later$/);
    const seen = alice.messages.slice(before).filter((m) => m.target === '#alerts' && /^Lifeline test message from "lifeline test-notify"/.test(m.text));
    assert.equal(seen.length, 1);
    assert.ok(!r.out.includes(znc.password), 'the password is never printed');
  });

  it('a wrong bouncer password: FAILED, naming ZNC\'s password format, without printing it', async () => {
    const wrong = `${znc.user}/${znc.network}:not-the-password`;
    const r = await cli(yaml({ port: znc.port, password: wrong, bouncer: 'znc' }));
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^irc: FAILED: could not register with 127\.0\.0\.1:\d+ \(\d+ attempts?\): .*password_mismatch.*; the bouncer refused the password: for ZNC, irc\.password is "user\/network:password"\n$/);
    assert.ok(!r.out.includes('not-the-password'));
    assert.equal(r.err, '');
  });

  it('nothing listening: FAILED after three attempts, saying nothing listens at irc.host:irc.port', async () => {
    const t0 = Date.now();
    const r = await cli(yaml({ port: await freePort(), bouncer: 'none' }));
    assert.equal(r.code, 1);
    assert.match(r.out, /^irc: FAILED: could not register with 127\.0\.0\.1:\d+ \(3 attempts\): connection closed: connect ECONNREFUSED .*; nothing listens at irc\.host:irc\.port/);
    assert.ok(Date.now() - t0 < 20_000, 'gives up without waiting the whole 30 s');
  });

  it('irc.tls: true against a plain-text port (ngircd, ZNC): says "TLS to a plain port" within a few seconds, not a password problem after 30 s (issue 22 §3)', async () => {
    for (const [port, bouncer] of [[ircd.port, 'none'], [znc.port, 'znc']] as const) {
      const t0 = Date.now();
      const r = await cli(yaml({ port, bouncer, password: bouncer === 'znc' ? znc.loginPassword : undefined }).replace('  tls: false\n', '  tls: true\n'));
      const ms = Date.now() - t0;
      console.log(`      TLS to the plain port of ${bouncer === 'znc' ? 'ZNC' : 'ngircd'}: answered in ${ms} ms`);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, new RegExp(`^irc: FAILED: TLS to a plain port: 127\\.0\\.0\\.1:${port} speaks IRC in plain text \\(asked in clear, it answered ":\\S+ .*"\\); set irc\\.tls: false, or use the bouncer's TLS port`));
      assert.doesNotMatch(r.out, /password/);
      assert.ok(ms < 10_000, `took ${ms} ms`);
    }
  });

  it('irc.tls: true against a real TLS port (ZNC with a certificate): the plain-text check does not misfire', async () => {
    const cert = selfSignedCert(tmp.dir);
    const tlsZnc = await Znc.start(ircd.port, ['#alerts'], cert);
    try {
      const r = await cli(yaml({ port: tlsZnc.port, password: tlsZnc.loginPassword, bouncer: 'znc' }).replace('  tls: false\n', `  tls: true\n  ca_file: ${cert.certFile}\n`));
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, new RegExp(`^irc: registered with 127\\.0\\.0\\.1:${tlsZnc.port} \\(TLS\\) as `));
    } finally {
      await tlsZnc.destroy();
    }
  });

  it('a channel with a key Lifeline lacks: registered, FAILED to join, says to set irc.channels[].key', async () => {
    const r = await cli(yaml({ port: ircd.port, bouncer: 'none', channel: '#locked' }));
    assert.equal(r.code, 1);
    assert.match(r.out, /^irc: FAILED: registered with 127\.0\.0\.1:\d+ as lifeline\S*, but could not join #locked: .*bad_channel_key.*; the channel has a key: set irc\.channels\[\]\.key\n$/);
  });
});
