import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load.js';
import { NotifyError } from '../../src/errors.js';
import { EmailNotifier, emailDestination } from '../../src/notifiers/email.js';
import { SmsNotifier, smsDestination } from '../../src/notifiers/sms.js';
import { smsSegments } from '../../src/notifiers/smsText.js';
import { systemClock } from '../../src/util/clock.js';
import { selfSignedCert } from './harness/certs.js';
import { tempDir } from './harness/procs.js';
import { SmtpSink } from './harness/smtpSink.js';
import { TwilioStandIn } from './harness/twilioStandIn.js';

/** A minimal team so paging config validates. */
const TEAM = 'people:\n  - { name: alice, email: alice@example.org, phone: "+4915112345678" }\noncall:\n  rotations:\n    - { name: primary, people: [alice], start: "2026-01-05" }\n';

function delivery(destination: string, lines: string[]): { destination: string; lines: string[]; startAt: number; onProgress: (n: number) => void; progress: number[] } {
  const progress: number[] = [];
  return { destination, lines, startAt: 0, onProgress: (n) => progress.push(n), progress };
}

describe('email notifier against a real SMTP server (integration)', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  let sink: SmtpSink;
  let certFile: string;
  before(async () => {
    tmp = tempDir('smtp');
    const cert = selfSignedCert(tmp.dir);
    certFile = cert.certFile;
    sink = await SmtpSink.start(cert);
  });
  after(async () => {
    await sink.stop();
    tmp.remove();
  });
  const notifier = (extra = ''): EmailNotifier =>
    new EmailNotifier(
      parseConfig(`${TEAM}email:\n  host: 127.0.0.1\n  port: ${sink.port}\n  username: lifeline\n  password: smtp-secret\n  from: "Lifeline <lifeline@example.org>"\n  ca_file: ${certFile}\n  timeout: 5s\n${extra}`, 't.yaml', {}).email!,
    );

  it('sends over STARTTLS with auth: subject, text and HTML parts, ack instructions', async () => {
    const n = notifier();
    const d = delivery(emailDestination('Alice@Example.org'), ['[CRIT] HostDown bouncer-1 — ack 7KQ2', 'HostDown on bouncer-1 is firing.', 'Acknowledge: !ack 7KQ2 in IRC, or reply ACK 7KQ2 by SMS.']);
    await n.send(d, new AbortController().signal);
    n.close();
    const got = sink.received.at(-1)!;
    assert.equal(got.secure, true, 'STARTTLS was used');
    assert.equal(got.user, 'lifeline', 'authenticated');
    assert.deepEqual(got.envelopeTo, ['alice@example.org']);
    assert.equal(got.mail.subject, '[CRIT] HostDown bouncer-1 — ack 7KQ2');
    assert.match(got.mail.text ?? '', /Acknowledge: !ack 7KQ2 in IRC, or reply ACK 7KQ2 by SMS\./);
    assert.match(String(got.mail.html), /HostDown on bouncer-1 is firing\./);
    assert.equal(got.mail.headers.get('auto-submitted'), 'auto-generated');
    assert.deepEqual(d.progress, [3]);
  });

  it('gives a page sent again (after a kill between acceptance and record) the same Message-ID (issue 7.8)', async () => {
    const n = notifier();
    const first = { ...delivery(emailDestination('alice@example.org'), ['[CRIT] Again', 'body']), key: '42.1763900000000' };
    await n.send(first, new AbortController().signal);
    await n.send(first, new AbortController().signal);
    n.close();
    const [a, b] = sink.received.slice(-2);
    assert.equal(a!.mail.messageId, '<lifeline.42.1763900000000@example.org>');
    assert.equal(b!.mail.messageId, a!.mail.messageId, 'mail clients fold the repeat');
  });

  it('refuses a server certificate it cannot verify (retryable: the operator may fix the CA)', async () => {
    const n = new EmailNotifier(parseConfig(`${TEAM}email:\n  host: 127.0.0.1\n  port: ${sink.port}\n  username: lifeline\n  password: smtp-secret\n  from: lifeline@example.org\n  timeout: 5s\n`, 't.yaml', {}).email!);
    await assert.rejects(n.send(delivery(emailDestination('a@example.org'), ['s', 'b']), new AbortController().signal), (e: unknown) => e instanceof NotifyError && /certificate/i.test(e.message));
    n.close();
  });

  it('says a 4xx is retryable and a 5xx or bad password is not', async () => {
    sink.failNext.push({ code: 451, message: 'Temporary local problem' });
    const n = notifier();
    await assert.rejects(n.send(delivery(emailDestination('a@example.org'), ['s', 'b']), new AbortController().signal), (e: unknown) => e instanceof NotifyError && e.retryable);
    sink.failNext.push({ code: 554, message: 'Transaction failed' });
    await assert.rejects(n.send(delivery(emailDestination('a@example.org'), ['s', 'b']), new AbortController().signal), (e: unknown) => e instanceof NotifyError && !e.retryable);
    n.close();
    const bad = new EmailNotifier(parseConfig(`${TEAM}email:\n  host: 127.0.0.1\n  port: ${sink.port}\n  username: lifeline\n  password: wrong\n  from: lifeline@example.org\n  ca_file: ${certFile}\n  timeout: 5s\n`, 't.yaml', {}).email!);
    await assert.rejects(bad.send(delivery(emailDestination('a@example.org'), ['s', 'b']), new AbortController().signal), (e: unknown) => e instanceof NotifyError && !e.retryable && /authentication failed/.test(e.message));
    bad.close();
  });

  it('is retryable when the server is down', async () => {
    const n = new EmailNotifier(parseConfig(`${TEAM}email:\n  host: 127.0.0.1\n  port: 1\n  from: lifeline@example.org\n  timeout: 2s\n`, 't.yaml', {}).email!);
    await assert.rejects(n.send(delivery(emailDestination('a@example.org'), ['s', 'b']), new AbortController().signal), (e: unknown) => e instanceof NotifyError && e.retryable);
    n.close();
  });
});

describe('SMS notifier with the twilio library against a Twilio stand-in (integration)', function () {
  this.timeout(30_000);
  let twilio: TwilioStandIn;
  before(async () => {
    twilio = await TwilioStandIn.start();
  });
  after(async () => twilio.stop());
  const notifier = (from = '+15005550006', token?: string): SmsNotifier =>
    new SmsNotifier(parseConfig(`${TEAM}sms:\n  account_sid: ${twilio.accountSid}\n  auth_token: ${token ?? twilio.authToken}\n  from: "${from}"\n  api_base_url: ${twilio.url}\n`, 't.yaml', {}).sms!, systemClock());

  it('posts the Messages API form with Basic auth to the account path', async () => {
    const n = notifier();
    const lines = n.prepare('sms:+4915112345678', ['[CRIT] HostDown bouncer-1', 'ack: reply ACK 7KQ2']);
    assert.equal(lines.length, 1);
    await n.send(delivery(smsDestination('+4915112345678'), lines), new AbortController().signal);
    const got = twilio.received.at(-1)!;
    assert.equal(got.accountSid, twilio.accountSid);
    assert.equal(got.to, '+4915112345678');
    assert.equal(got.from, '+15005550006');
    assert.equal(got.body, '[CRIT] HostDown bouncer-1 | ack: reply ACK 7KQ2');
  });

  it('uses a Messaging Service SID when configured', async () => {
    const mg = `MG${'a'.repeat(32)}`;
    await notifier(mg).send(delivery(smsDestination('+4915112345678'), ['x']), new AbortController().signal);
    assert.equal(twilio.received.at(-1)?.messagingServiceSid, mg);
    assert.equal(twilio.received.at(-1)?.from, undefined);
  });

  it('keeps messages within two segments, GSM-7 aware', () => {
    const n = notifier();
    const [text] = n.prepare('sms:+4915112345678', ['x'.repeat(400), '“quoted” … – done']);
    assert.ok(smsSegments(text as string).segments <= 2);
    assert.equal(smsSegments(text as string).encoding, 'GSM-7');
    assert.ok((text as string).endsWith('...'));
  });

  it('treats 429 and 5xx as retryable (honouring Retry-After), bad numbers and credentials as final', async () => {
    const n = notifier();
    twilio.script.push({ status: 429, code: 20429, message: 'Too Many Requests', retryAfter: '7' });
    const before = Date.now();
    await assert.rejects(n.send(delivery(smsDestination('+4915112345678'), ['x']), new AbortController().signal), (e: unknown) => e instanceof NotifyError && e.retryable && (e.retryAfterMs ?? 0) >= before + 7000);
    twilio.script.push({ status: 500, code: 20500, message: 'Internal Server Error' });
    await assert.rejects(n.send(delivery(smsDestination('+4915112345678'), ['x']), new AbortController().signal), (e: unknown) => e instanceof NotifyError && e.retryable);
    await assert.rejects(n.send(delivery(smsDestination('+999'), ['x']), new AbortController().signal), (e: unknown) => e instanceof NotifyError && !e.retryable && /21211/.test(e.message));
    await assert.rejects(notifier('+15005550006', 'f'.repeat(32)).send(delivery(smsDestination('+4915112345678'), ['x']), new AbortController().signal), (e: unknown) => e instanceof NotifyError && !e.retryable && /auth_token/.test(e.message));
  });
});
