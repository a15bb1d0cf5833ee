import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { IrcPeer, plain } from './harness/ircPeer.js';
import { freePort, startInProcess, waitIrcHealthy, testConfigYaml } from './harness/lifeline.js';
import { Ngircd } from './harness/ngircd.js';
import { tempDir, waitFor } from './harness/procs.js';
import { Znc } from './harness/znc.js';
import { Alertmanager } from './harness/alertmanager.js';
import { postWebhook } from './harness/webhook.js';

const fixture = JSON.parse(readFileSync('test/fixtures/alertmanager-firing.json', 'utf8')) as Record<string, unknown>;

describe('relay through ZNC and ngircd (integration)', function () {
  this.timeout(60_000);
  let ircd: Ngircd;
  let znc: Znc;
  let app: App;
  let peer: IrcPeer;
  let tmp: ReturnType<typeof tempDir>;
  let httpPort: number;

  before(async () => {
    tmp = tempDir('relay');
    ircd = await Ngircd.start();
    znc = await Znc.start(ircd.port);
    httpPort = await freePort();
    peer = await IrcPeer.connect(ircd.port, 'watcher');
    app = await startInProcess(testConfigYaml({ httpPort, dbPath: join(tmp.dir, 'l.db'), irc: { port: znc.port, password: znc.loginPassword } }));
    await waitIrcHealthy(app);
  });

  after(async () => {
    peer?.close();
    await app?.stop();
    await znc?.destroy();
    await ircd?.destroy();
    tmp?.remove();
  });

  it('posts a firing group to the channel as another client sees it', async () => {
    assert.equal(await postWebhook(httpPort, fixture), 200);
    const seen = await waitFor('the group line', () => peer.from('lifeline').find((m) => plain(m.text).includes('HostOutOfMemory')));
    assert.equal(seen.target, '#alerts');
    // One alert, one line that says everything: it costs the path one line, not two.
    assert.equal(plain(seen.text), '[FIRING] critical HostOutOfMemory bouncer-1:9100: bouncer-1 has less than 5% memory available');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(peer.from('lifeline').filter((m) => plain(m.text).includes('HostOutOfMemory')).length, 1);
  });

  it('does not repeat an unchanged group, but posts a change', async () => {
    const before = peer.from('lifeline').length;
    assert.equal(await postWebhook(httpPort, fixture), 200);
    const resolved = structuredClone(fixture) as { status: string; alerts: Array<{ status: string }> };
    resolved.status = 'resolved';
    resolved.alerts[0]!.status = 'resolved';
    assert.equal(await postWebhook(httpPort, resolved), 200);
    const line = await waitFor('the resolved line', () => peer.from('lifeline').slice(before).find((m) => plain(m.text).startsWith('[RESOLVED')));
    assert.match(plain(line.text), /^\[RESOLVED\] critical HostOutOfMemory bouncer-1:9100/);
    // The unchanged repeat posted first produced nothing: the first new line is the resolved one.
    assert.equal(plain(peer.from('lifeline')[before]!.text), plain(line.text));
  });

  it('keeps label text from injecting IRC commands', async () => {
    const evil = structuredClone(fixture) as { groupKey: string; commonLabels: Record<string, string>; alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string>; fingerprint: string }> };
    evil.groupKey = 'evil';
    evil.commonLabels['job'] = 'x\r\nQUIT :pwned';
    evil.alerts[0]!.labels['instance'] = 'host\r\nPRIVMSG #alerts :fake\u0000';
    evil.alerts[0]!.annotations['summary'] = 'line1\nJOIN #other';
    evil.alerts[0]!.fingerprint = 'evil0000';
    assert.equal(await postWebhook(httpPort, evil), 200);
    const single = await waitFor('the evil alert line', () => peer.from('lifeline').find((m) => m.text.includes('fake')));
    assert.match(plain(single.text), /host PRIVMSG #alerts :fake: line1 JOIN #other$/);
    // A group of two shows the common labels: the evil job label must arrive as one clean line too.
    const two = structuredClone(evil);
    two.groupKey = 'evil2';
    two.alerts.push({ ...structuredClone(evil.alerts[0]!), fingerprint: 'evil0001' });
    two.alerts[1]!.labels['instance'] = 'second';
    assert.equal(await postWebhook(httpPort, two), 200);
    const head = await waitFor('the evil group line', () => peer.from('lifeline').find((m) => m.text.includes('QUIT :pwned')));
    assert.match(plain(head.text), /job=x QUIT :pwned: /);
    // Lifeline is still in the channel and nobody saw a forged message or a QUIT.
    assert.ok(!peer.lines.some((l) => /QUIT/.test(l.split(' ')[1] ?? '')), 'no QUIT reached the peer');
    assert.equal(peer.messages.filter((m) => m.text === 'fake').length, 0);
    assert.equal(app.irc?.state.link, 'registered');
  });

  it('shows right-to-left overrides and zero-width characters from alert data as code points (issue 19 §4)', async () => {
    const spoof = structuredClone(fixture) as { groupKey: string; alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string>; fingerprint: string }> };
    spoof.groupKey = 'bidi';
    spoof.alerts[0]!.fingerprint = 'bidi0000';
    spoof.alerts[0]!.labels['alertname'] = 'Bidi\u200BDown';
    spoof.alerts[0]!.labels['instance'] = 'db\u202E1-prod\u202C';
    spoof.alerts[0]!.annotations['summary'] = '\u2066evil\u2069 \uFEFFok';
    assert.equal(await postWebhook(httpPort, spoof), 200);
    const seen = await waitFor('the spoofed alert line', () => peer.from('lifeline').find((m) => m.text.includes('Bidi')));
    assert.equal(plain(seen.text), '[FIRING] critical Bidi[U+200B]Down db[U+202E]1-prod[U+202C]: [U+2066]evil[U+2069] [U+FEFF]ok');
    assert.doesNotMatch(seen.raw, /\p{Cf}/u);
  });

  it('splits a long summary at the line limit without breaking UTF-8', async () => {
    const long = structuredClone(fixture) as { groupKey: string; alerts: Array<{ annotations: Record<string, string>; fingerprint: string }> };
    long.groupKey = 'long';
    long.alerts[0]!.fingerprint = 'long0000';
    long.alerts[0]!.annotations['summary'] = 'Ünïcødé ✓ '.repeat(38); // ~380 chars, many multi-byte
    assert.equal(await postWebhook(httpPort, long), 200);
    const parts = await waitFor('two pieces', () => {
      const p = peer.from('lifeline').filter((m) => m.text.includes('Ünïcødé'));
      return p.length >= 2 ? p : undefined;
    });
    for (const p of parts) {
      assert.ok(Buffer.byteLength(p.raw) + 2 <= 512, `line of ${Buffer.byteLength(p.raw)} bytes`);
      assert.ok(!p.text.includes('\uFFFD'), 'no broken code point');
    }
  });

  it('relays what the real Alertmanager sends, fired and resolved', async () => {
    const am = await Alertmanager.start(`http://127.0.0.1:${httpPort}/api/v1/alertmanager`);
    try {
      await am.post([{ labels: { alertname: 'ScrapeTargetDown', severity: 'warning', instance: 'vpn-portal:9100' }, annotations: { summary: 'target down' } }]);
      const fired = await waitFor('the Alertmanager group', () => peer.from('lifeline').find((m) => plain(m.text).includes('ScrapeTargetDown') && plain(m.text).startsWith('[FIRING')), 20_000);
      assert.equal(plain(fired.text), '[FIRING] warning ScrapeTargetDown vpn-portal:9100: target down');
      await am.post([{ labels: { alertname: 'ScrapeTargetDown', severity: 'warning', instance: 'vpn-portal:9100' }, endsAt: new Date(Date.now() - 1000).toISOString() }]);
      const resolved = await waitFor('the resolved group', () => peer.from('lifeline').find((m) => plain(m.text).startsWith('[RESOLVED') && plain(m.text).includes('ScrapeTargetDown')), 20_000);
      assert.match(plain(resolved.text), /^\[RESOLVED\] warning ScrapeTargetDown vpn-portal:9100/);
    } finally {
      await am.destroy();
    }
  });
});
