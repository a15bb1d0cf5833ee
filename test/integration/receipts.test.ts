import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { selfSignedCert } from './harness/certs.js';
import { freePort, startInProcess, testConfigYaml } from './harness/lifeline.js';
import { aliceEmailYaml, smsSection } from './harness/paging.js';
import { tempDir, waitFor } from './harness/procs.js';
import { SmtpSink } from './harness/smtpSink.js';
import { TwilioStandIn, type ReceivedSms } from './harness/twilioStandIn.js';
import { groupPayload, postWebhook } from './harness/webhook.js';

const ALICE = '+4915112345678';

interface StatusPages {
  pages: Array<{ incident: string; channel: string; step: string; receipt: { status: string; errorCode: string | null } | null }>;
}

/**
 * SMS delivery receipts (issue 11) with the real twilio library and the stand-in posting Twilio's
 * status callbacks, a real SMTP server for the email fallback. sms.delivery_timeout is 3 s here
 * (default 5 min) so "no receipt in time" fits in a test.
 */
describe('SMS delivery receipts move an undelivered page to the next channel (integration)', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof tempDir>;
  let sink: SmtpSink;
  let twilio: TwilioStandIn;
  let certFile: string;
  const apps: App[] = [];

  before(async () => {
    tmp = tempDir('lifeline-receipts');
    const cert = selfSignedCert(tmp.dir);
    certFile = cert.certFile;
    sink = await SmtpSink.start(cert);
    twilio = await TwilioStandIn.start();
  });
  after(async () => {
    for (const a of apps) await a.stop();
    await twilio?.stop();
    await sink?.stop();
    tmp?.remove();
  });

  /** Lifeline paging alice by SMS at once, with receipts; `extra` adds sections (voice, irc...); `port` restarts one on its store. */
  async function start(name: string, o: { extra?: (port: number) => string; irc?: { port: number }; escalation?: string; deliveryTimeout?: string; port?: number } = {}): Promise<{ app: App; port: number }> {
    const port = o.port ?? (await freePort());
    const yaml = testConfigYaml({
      httpPort: port,
      dbPath: join(tmp.dir, `${name}.db`),
      irc: o.irc,
      extra: `${aliceEmailYaml({ smtpPort: sink.port, caFile: certFile, phone: ALICE })}${smsSection(twilio, `  status_url: http://127.0.0.1:${port}/api/v1/twilio/sms/status\n${o.deliveryTimeout ?? '  delivery_timeout: 3s\n'}`)}${o.extra?.(port) ?? ''}escalation:
${o.escalation ?? '  bundle_window: 1s\n  policies:\n    - { name: sms-now, steps: [{ after: 0s, notify: [sms] }] }\n'}`,
    });
    const app = await startInProcess(yaml);
    apps.push(app);
    return { app, port };
  }

  const smsFor = async (name: string, from: number): Promise<ReceivedSms> => waitFor(`the SMS for ${name}`, () => twilio.received.slice(from).find((m) => m.to === ALICE && m.body.includes(name)), 10_000, 10);
  const mailsAbout = (name: string): number => sink.received.filter((m) => (m.mail.subject ?? '').includes(name) || (m.mail.text ?? '').includes(name)).length;
  const pagesOf = async (port: number): Promise<StatusPages['pages']> => ((await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as StatusPages).pages;

  it('asks for receipts; "delivered" is recorded and shown, and nothing goes another way', async () => {
    const { port } = await start('delivered');
    const n = twilio.received.length;
    assert.equal(await postWebhook(port, groupPayload('RcptDelivered', 1)), 200);
    const sms = await smsFor('RcptDelivered', n);
    assert.equal(sms.statusCallback, `http://127.0.0.1:${port}/api/v1/twilio/sms/status`);
    assert.equal((await twilio.receipt(sms.sid, 'sent')).status, 200);
    assert.equal((await pagesOf(port)).find((p) => p.channel === 'sms')?.receipt?.status, 'sent');
    assert.equal((await twilio.receipt(sms.sid, 'delivered')).status, 200);
    // Out of order: a late "sent" does not undo "delivered".
    await twilio.receipt(sms.sid, 'sent');
    assert.deepEqual((await pagesOf(port)).find((p) => p.channel === 'sms')?.receipt, { status: 'delivered', errorCode: null });
    await new Promise((r) => setTimeout(r, 4_000)); // past delivery_timeout
    assert.equal(mailsAbout('RcptDelivered'), 0, 'a delivered SMS is not sent again by email');
  });

  it('"undelivered" with an ErrorCode moves the page to email at once, and the next SMS page to alice goes by email too', async () => {
    const { port } = await start('undelivered');
    const n = twilio.received.length;
    assert.equal(await postWebhook(port, groupPayload('RcptUndelivered', 1)), 200);
    const sms = await smsFor('RcptUndelivered', n);
    const t0 = Date.now();
    assert.equal((await twilio.receipt(sms.sid, 'undelivered', '30003')).status, 200);
    await waitFor('the email to alice', () => mailsAbout('RcptUndelivered') > 0, 10_000, 10);
    const ms = Date.now() - t0;
    assert.ok(ms < 3_000, `rerouted ${ms} ms after the receipt, before delivery_timeout could have done it`);
    const log = await pagesOf(port);
    assert.deepEqual(log.find((p) => p.channel === 'sms')?.receipt, { status: 'undelivered', errorCode: '30003' });
    assert.ok(log.some((p) => p.channel === 'email' && p.step === '0:undelivered'));
    // SMS is failing for alice now: her next page goes by email, not SMS.
    await new Promise((r) => setTimeout(r, 1_100));
    const m = twilio.received.length;
    assert.equal(await postWebhook(port, groupPayload('RcptNext', 1)), 200);
    await waitFor('the next page by email', () => mailsAbout('RcptNext') > 0, 10_000, 10);
    assert.equal(twilio.received.slice(m).filter((s) => s.body.includes('RcptNext')).length, 0);
  });

  it('no receipt within delivery_timeout counts as undelivered', async () => {
    const { port } = await start('timeout');
    const n = twilio.received.length;
    assert.equal(await postWebhook(port, groupPayload('RcptSilent', 1)), 200);
    const sms = await smsFor('RcptSilent', n);
    await twilio.receipt(sms.sid, 'sent');
    await waitFor('the email after 3 s without "delivered"', () => mailsAbout('RcptSilent') > 0, 10_000, 20);
    assert.ok(Date.now() - sms.atMs >= 2_900, 'not before the timeout');
  });

  it('a forged receipt gets 403 and changes nothing', async () => {
    const { port } = await start('forged');
    const n = twilio.received.length;
    assert.equal(await postWebhook(port, groupPayload('RcptForged', 1)), 200);
    const sms = await smsFor('RcptForged', n);
    const url = sms.statusCallback ?? '';
    const params = { AccountSid: twilio.accountSid, MessageSid: sms.sid, MessageStatus: 'undelivered', ErrorCode: '30003' };
    const forged = await twilio.post(url, params, twilio.sign(url, params, 'not-the-auth-token-0123456789abc'));
    assert.equal(forged.status, 403);
    assert.equal((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() })).status, 403);
    await twilio.receipt(sms.sid, 'delivered'); // the real one
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(mailsAbout('RcptForged'), 0);
    assert.equal((await pagesOf(port)).find((p) => p.channel === 'sms')?.receipt?.status, 'delivered');
  });

  it('a signed receipt for a MessageSid Lifeline never sent gets 404 and changes nothing', async () => {
    const { port } = await start('foreign');
    const n = twilio.received.length;
    assert.equal(await postWebhook(port, groupPayload('RcptForeign', 1)), 200);
    const sms = await smsFor('RcptForeign', n);
    const url = sms.statusCallback ?? '';
    const params = { AccountSid: twilio.accountSid, MessageSid: `SM${'0'.repeat(32)}`, MessageStatus: 'undelivered', ErrorCode: '30003' };
    const r = await twilio.post(url, params);
    assert.equal(r.status, 404);
    assert.match(r.body, /MessageSid/);
    await new Promise((res) => setTimeout(res, 1_000));
    assert.equal(mailsAbout('RcptForeign'), 0, 'nothing rerouted');
    assert.equal((await twilio.receipt(sms.sid, 'delivered')).status, 200, 'the real receipt is still taken');
  });

  it('"SMS failing for alice" survives a restart: after it, her next page still goes by email', async () => {
    const first = await start('failover-restart');
    const n = twilio.received.length;
    assert.equal(await postWebhook(first.port, groupPayload('RcptBeforeKill', 1)), 200);
    const sms = await smsFor('RcptBeforeKill', n);
    await twilio.receipt(sms.sid, 'undelivered', '30003');
    await waitFor('the email to alice', () => mailsAbout('RcptBeforeKill') > 0, 10_000, 10);
    await first.app.stop();
    apps.splice(apps.indexOf(first.app), 1);
    const { port } = await start('failover-restart', { port: first.port });
    await new Promise((res) => setTimeout(res, 200)); // fetch notices its keep-alive socket to the old server closed
    const m = twilio.received.length;
    assert.equal(await postWebhook(port, groupPayload('RcptAfterRestart', 1)), 200);
    await waitFor('the next page by email', () => mailsAbout('RcptAfterRestart') > 0, 10_000, 10);
    assert.equal(twilio.received.slice(m).filter((s) => s.body.includes('RcptAfterRestart')).length, 0, 'not by the SMS that failed');
  });

  it('the monitoring-path page must reach a human: email and SMS go first; when the SMS fails, Lifeline calls', async () => {
    const closed = await freePort();
    const voice = (p: number): string => `voice:\n  from: "+15005550006"\n  public_url: http://127.0.0.1:${p}\n`;
    const calls = twilio.calls.length;
    const n = twilio.received.length;
    await start('path', { irc: { port: closed }, extra: voice, escalation: '  path_grace: 1s\n', deliveryTimeout: '' });
    const sms = await waitFor('the path-down SMS', () => twilio.received.slice(n).find((m) => m.to === ALICE && /IRC alert path down/.test(m.body)), 15_000, 20);
    await waitFor('the path-down email', () => sink.received.some((m) => /IRC alert path down/.test(m.mail.subject ?? '')), 10_000, 20);
    assert.equal(twilio.calls.length, calls, 'no call while the SMS may still arrive');
    await twilio.receipt(sms.sid, 'failed', '30005');
    const call = await waitFor('the call to alice', () => twilio.calls[calls], 10_000, 10);
    assert.equal(call.to, ALICE);
    await waitFor('the TwiML', () => call.twiml, 10_000, 10);
    assert.match(call.twiml ?? '', /This is Lifeline with one incident: IRC alert path down, critical/);
  });
});
