import assert from 'node:assert/strict';
import { selfSignedCert } from './harness/certs.js';
import { runCli } from './harness/lifeline.js';
import { tempDir } from './harness/procs.js';
import { SmtpSink } from './harness/smtpSink.js';
import { TwilioStandIn } from './harness/twilioStandIn.js';

const TEAM = 'people:\n  - { name: alice, email: alice@example.org, phone: "+4915112345678" }\n  - { name: bob, email: bob@example.org, phone: "+4915112345679" }\noncall:\n  rotations:\n    - { name: primary, people: [alice, bob], start: "2026-01-05" }\n';

/** `lifeline test-notify` as the operator runs it: the built CLI, a config file, real servers. */
describe('lifeline test-notify against a real SMTP server and the Twilio stand-in (integration)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let sink: SmtpSink;
  let twilio: TwilioStandIn;
  let certFile: string;
  before(async () => {
    tmp = tempDir('test-notify');
    const cert = selfSignedCert(tmp.dir);
    certFile = cert.certFile;
    sink = await SmtpSink.start(cert);
    twilio = await TwilioStandIn.start();
  });
  after(async () => {
    await sink.stop();
    await twilio.stop();
    tmp.remove();
  });

  const cli = (yaml: string, ...args: string[]): ReturnType<typeof runCli> => runCli(tmp.dir, 'test-notify', yaml, ...args);
  const email = (extra = ''): string => `${TEAM}email:\n  host: 127.0.0.1\n  port: ${sink.port}\n  username: lifeline\n  password: smtp-secret\n  from: lifeline@example.org\n  timeout: 5s\n${extra}`;
  const sms = (token: string): string => `${TEAM}sms:\n  account_sid: ${twilio.accountSid}\n  auth_token: ${token}\n  from: "+15005550006"\n  api_base_url: ${twilio.url}\n`;

  it('email: a real message to everyone with an address; an untrusted certificate says to set email.ca_file', async () => {
    const before = sink.received.length;
    const ok = await cli(email(`  ca_file: ${certFile}\n`), '--channel', 'email');
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.equal(ok.out, 'email to alice (alice@example.org): accepted by the SMTP server (not yet proof it reached the mailbox)\nemail to bob (bob@example.org): accepted by the SMTP server (not yet proof it reached the mailbox)\n');
    const got = sink.received.slice(before);
    assert.deepEqual(got.map((m) => m.mail.subject), ['Lifeline test message', 'Lifeline test message']);
    assert.match(got[0]!.mail.text ?? '', /Sent by "lifeline test-notify" on .+ at \d{4}-\d\d-\d\dT.+Z\. No action needed\./);

    const bad = await cli(email(), '--channel', 'email', '--to', 'bob');
    assert.equal(bad.code, 1);
    assert.match(bad.out, /^email to bob: FAILED: SMTP: .*certificate.*; the SMTP server's certificate is not trusted: set email\.ca_file to its CA/);
    assert.ok(!bad.out.includes('smtp-secret') && !bad.err.includes('smtp-secret'), 'the password is never printed');
    assert.equal(bad.err, '', 'no stack trace');
  });

  it('sms: a real message through the Twilio API; a wrong token names the keys to check; unknown person and channel are clear', async () => {
    const before = twilio.received.length;
    const ok = await cli(sms(twilio.authToken), '--channel', 'sms', '--to', 'alice');
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.equal(ok.out, 'sms to alice (+4915112345678): accepted by the Twilio API (not yet proof it reached the phone)\n');
    assert.equal(twilio.received.length, before + 1);
    assert.match(twilio.received.at(-1)!.body, /^Lifeline test message \| Sent by "lifeline test-notify"/);

    const wrong = await cli(sms('0123456789abcdef0123456789abcdef'), '--channel', 'sms', '--to', 'alice');
    assert.equal(wrong.code, 1);
    assert.match(wrong.out, /^sms to alice: FAILED: Twilio: .*\(code 20003\): check sms\.account_sid and sms\.auth_token\n$/);
    assert.ok(!wrong.out.includes('0123456789abcdef0123456789abcdef'));

    assert.equal((await cli(sms(twilio.authToken), '--channel', 'sms', '--to', 'carol')).out, 'no person named "carol" in people; names: alice, bob\n');
    const noChannel = await cli(sms(twilio.authToken), '--channel', 'pager');
    assert.equal(noChannel.code, 2);
    assert.match(noChannel.err, /^lifeline: test-notify needs --channel irc or email or sms or voice \(not "pager"\)/);
    assert.equal((await cli(sms(twilio.authToken), '--channel', 'email')).out, 'email is not configured: add an email section (host, port, from, username, password)\n');
  });
  it('voice: a real call through the Twilio Calls API, its words inline, ringing voice.ring_timeout; a number Twilio refuses names voice.from (issue 22 §3)', async () => {
    const voice = `${sms(twilio.authToken)}voice:\n  from: "+15005550006"\n  public_url: https://lifeline.example.org\n  ring_timeout: 25s\n`;
    const before = twilio.calls.length;
    const ok = await cli(voice, '--channel', 'voice', '--to', 'bob');
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /^voice to bob \(\+4915112345679\): call requested from the Twilio API \(CA[0-9a-f]{32}\); the phone should ring within a minute and say "This is a Lifeline test call"\n$/);
    const calls = twilio.calls.slice(before);
    assert.equal(calls.length, 1);
    assert.deepEqual({ to: calls[0]?.to, from: calls[0]?.from, timeout: calls[0]?.timeout, inline: calls[0]?.inline }, { to: '+4915112345679', from: '+15005550006', timeout: 25, inline: true });
    assert.match(calls[0]?.twiml ?? '', /^<\?xml version="1\.0" encoding="UTF-8"\?><Response><Say>This is a Lifeline test call from .+, sent by lifeline test-notify\. No action needed\. Goodbye\.<\/Say>/);

    twilio.script.push({ status: 400, code: 21210, message: 'The source phone number provided, +15005550006, is not yet verified for your account.' });
    const bad = await cli(voice, '--channel', 'voice', '--to', 'alice');
    assert.equal(bad.code, 1);
    assert.match(bad.out, /^voice to alice: FAILED: Twilio: .*\(code 21210\); voice\.from must be a voice-capable number of this Twilio account/);
    assert.equal((await cli(sms(twilio.authToken), '--channel', 'voice')).out, 'voice is not configured: add a voice section (from, public_url)\n');
  });
});
