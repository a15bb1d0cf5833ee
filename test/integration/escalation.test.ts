import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { selfSignedCert } from './harness/certs.js';
import { IrcPeer, plain } from './harness/ircPeer.js';
import { freePort, startInProcess, waitIrcHealthy, testConfigYaml } from './harness/lifeline.js';
import { Ngircd } from './harness/ngircd.js';
import { tempDir, waitFor } from './harness/procs.js';
import { SmtpSink } from './harness/smtpSink.js';
import { TwilioStandIn } from './harness/twilioStandIn.js';
import { groupPayload, postWebhook } from './harness/webhook.js';
import { Znc } from './harness/znc.js';
import { pagingYaml } from './harness/paging.js';

describe('the monitoring-path rule, end to end (integration)', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof tempDir>;
  let ircd: Ngircd;
  let znc: Znc;
  let smtp: SmtpSink;
  let twilio: TwilioStandIn;
  let app: App;
  let peer: IrcPeer;
  let httpPort: number;

  before(async () => {
    tmp = tempDir('path');
    const cert = selfSignedCert(tmp.dir);
    smtp = await SmtpSink.start(cert);
    twilio = await TwilioStandIn.start();
    ircd = await Ngircd.start();
    znc = await Znc.start(ircd.port);
    peer = await IrcPeer.connect(ircd.port, 'watcher');
    httpPort = await freePort();
    const yaml = testConfigYaml({ httpPort, dbPath: join(tmp.dir, 'p.db'), irc: { port: znc.port, password: znc.loginPassword, extra: '  ping_interval: 2s\n  ping_timeout: 2s\n' }, extra: pagingYaml({ smtpPort: smtp.port, caFile: cert.certFile, twilio }) });
    app = await startInProcess(yaml);
    await waitIrcHealthy(app);
  });
  after(async () => {
    peer?.close();
    await app?.stop();
    await znc?.destroy();
    await ircd?.destroy();
    await smtp?.stop();
    await twilio?.stop();
    tmp?.remove();
  });

  it('pages on-call exactly once by email and SMS when ZNC dies, with the waiting alerts; then restores', async () => {
    assert.equal(await postWebhook(httpPort, groupPayload('VpnAllNodesDown', 1)), 200);
    await waitFor('the alert in IRC', () => peer.from('lifeline').find((m) => plain(m.text).includes('VpnAllNodesDown')), 10_000);
    const incident = app.escalation.incidents.live('alert', 'VpnAllNodesDown-0');
    assert.ok(incident, 'an incident is open for the critical alert');
    assert.equal(smtp.received.length + twilio.received.length, 0, 'nothing paged yet: IRC carried it');

    const killedAt = Date.now();
    await znc.kill();
    await waitFor('an email', () => smtp.received.length >= 1, 20_000);
    await waitFor('an SMS', () => twilio.received.length >= 1, 20_000);
    const tookMs = Math.max(smtp.received.length ? Date.now() : 0, 0) - killedAt;
    assert.ok(tookMs < 2_000 + 5_000, `paged ${tookMs} ms after the kill (grace 2 s)`);
    await new Promise((r) => setTimeout(r, 1500)); // anything more would show by now
    assert.equal(smtp.received.length, 1, 'exactly one email');
    assert.equal(twilio.received.length, 1, 'exactly one SMS');
    const mail = smtp.received[0]!;
    assert.deepEqual(mail.envelopeTo, ['alice@example.org']);
    assert.match(mail.mail.subject ?? '', /IRC alert path down/);
    assert.match(mail.mail.text ?? '', /not connected to the bouncer/);
    assert.match(mail.mail.text ?? '', /VpnAllNodesDown host-0/, 'the waiting alert is bundled in');
    assert.match(mail.mail.text ?? '', new RegExp(`ack ${incident.ackCode}`, 'i'));
    const sms = twilio.received[0]!;
    assert.equal(sms.to, '+4915112345678');
    assert.match(sms.body, /IRC alert path down/);
    assert.match(sms.body, /VpnAllNodesDown/);

    await znc.restart();
    await waitFor('restored email', () => smtp.received.some((m) => /restored/.test(m.mail.subject ?? '')), 30_000);
    await waitFor('restored SMS', () => twilio.received.some((m) => /restored/.test(m.body)), 10_000);
    await waitFor('digest in IRC', () => peer.from('lifeline').find((m) => plain(m.text).startsWith('DIGEST') || plain(m.text).startsWith('[FIRING')), 20_000);
    assert.equal(app.escalation.incidents.live('path', null), undefined, 'path incident resolved');
  });
});

describe('email down: retried, then paged by SMS (integration)', function () {
  this.timeout(60_000);
  it('moves a page stuck on a failing SMTP server to SMS within seconds', async () => {
    const tmp = tempDir('smtpdown');
    const twilio = await TwilioStandIn.start();
    const deadSmtp = await freePort(); // nothing listens here: connection refused
    const httpPort = await freePort();
    const cert = selfSignedCert(tmp.dir);
    const app = await startInProcess(
      testConfigYaml({
        httpPort,
        dbPath: join(tmp.dir, 'd.db'),
        extra: pagingYaml({ smtpPort: deadSmtp, caFile: cert.certFile, twilio, extra: '  policies:\n    - { name: email-first, steps: [{ after: 0s, notify: [email] }] }\n' }),
      }),
    );
    try {
      assert.equal(await postWebhook(httpPort, groupPayload('SmtpDownAlert', 1)), 200);
      const sms = await waitFor('the page by SMS', () => twilio.received.find((m) => m.body.includes('SmtpDownAlert')), 20_000);
      assert.equal(sms.to, '+4915112345678');
      const failed = app.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE destination = 'email:alice@example.org' AND state = 'pending'").get() as { n: number };
      assert.equal(failed.n, 1, 'the email is still queued and retried, not lost');
    } finally {
      await app.stop();
      await twilio.stop();
      tmp.remove();
    }
  });
});
