import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { IrcPeer, plain } from './harness/ircPeer.js';
import { freePort, recordingLogger, startInProcess, testConfigYaml } from './harness/lifeline.js';
import { Ngircd } from './harness/ngircd.js';
import { tempDir, waitFor } from './harness/procs.js';
import { TwilioStandIn } from './harness/twilioStandIn.js';
import { smsNowYaml } from './harness/paging.js';
import { groupPayload, postWebhook } from './harness/webhook.js';

const INBOUND_URL = 'https://lifeline.example.org/api/v1/twilio/inbound';

/** Signs like Twilio: base64 HMAC-SHA1 over the URL followed by each parameter name+value, sorted by name. */
function twilioSignature(token: string, url: string, params: Record<string, string>): string {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64');
}

describe('commands from IRC and SMS (integration)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let ircd: Ngircd;
  let twilio: TwilioStandIn;
  let app: App;
  let alice: IrcPeer;
  let mallory: IrcPeer;
  let httpPort: number;
  const logger = recordingLogger();

  before(async () => {
    tmp = tempDir('cmd');
    ircd = await Ngircd.start();
    twilio = await TwilioStandIn.start();
    httpPort = await freePort();
    // Every test here pages by SMS: a budget above what they send together.
    const extra = `${smsNowYaml(twilio, { smsExtra: `  inbound_url: ${INBOUND_URL}\n  max_per_hour: 200\n  max_per_day: 200\n`, escalationExtra: '  bundle_window: 1s\n' })}commands:
  allowed: ["nick:alice"]
`;
    app = await startInProcess(testConfigYaml({ httpPort, dbPath: join(tmp.dir, 'c.db'), irc: { port: ircd.port, bouncer: 'none' }, extra }), {}, logger.log);
    await waitFor('joined', () => app.irc?.state.joined.includes('#alerts'), 15_000);
    alice = await IrcPeer.connect(ircd.port, 'alice');
    mallory = await IrcPeer.connect(ircd.port, 'mallory');
  });
  after(async () => {
    alice?.close();
    mallory?.close();
    await app?.stop();
    await ircd?.destroy();
    await twilio?.stop();
    tmp?.remove();
  });

  async function reply(peer: IrcPeer, line: string, match: RegExp): Promise<string> {
    const start = peer.lines.length;
    peer.send(line);
    const found = await waitFor(`a reply matching ${match}`, () => peer.lines.slice(start).map((l) => /^:lifeline!\S+ (?:PRIVMSG|NOTICE) \S+ :(.*)$/.exec(l)?.[1]).find((t) => t !== undefined && match.test(plain(t))), 10_000);
    return plain(found);
  }

  async function fire(name: string): Promise<string> {
    assert.equal(await postWebhook(httpPort, groupPayload(name, 1)), 200);
    const inc = await waitFor('incident', () => app.escalation.incidents.live('alert', `${name}-0`), 5_000);
    return inc.ackCode;
  }

  it('warns at start that nick: rules alone are spoofable, naming the key and the safer rules (issue 7.10)', () => {
    const w = logger.records.find((r) => r['event'] === 'commands_nick_only');
    assert.ok(w, 'warning logged');
    assert.equal(w['level'], 40);
    assert.match(String(w['msg']), /commands\.allowed has only nick: rules.*"account:NAME".*"host:MASK"/);
  });

  it('answers !oncall, !alerts, !status and !help to anyone', async () => {
    assert.match(await reply(mallory, 'PRIVMSG #alerts :!oncall', /^primary:/), /^primary: alice until \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    await fire('CmdAlerts');
    assert.match(await reply(mallory, 'PRIVMSG #alerts :!alerts', /OPEN/), /^ {2}[2-9A-Z]{4} OPEN \[critical\] CmdAlerts host-0; paged alice by sms \d\d:\d\d UTC: (sent \(accepted by the provider\)|queued)$/);
    assert.match(await reply(mallory, 'PRIVMSG #alerts :!status', /^IRC /), /^IRC up \d+ (ms|s|min|h|d)(?: \d+ min)?, upstream up, canary ok; outbox \d+ pending; incidents \d+ open, \d+ acked$/);
    assert.match(await reply(mallory, 'PRIVMSG lifeline :!help', /!ack ID/), /!ack ID/);
  });

  it('lets an allowed nick acknowledge, and refuses others politely without changing anything', async () => {
    const code = await fire('CmdAck');
    assert.match(await reply(mallory, `PRIVMSG #alerts :!ack ${code}`, /sorry/), /^sorry mallory, you may not change incidents here/);
    assert.equal(app.escalation.incidents.byCode(code)?.state, 'open');
    assert.equal(await reply(alice, `PRIVMSG #alerts :!ack ${code}`, /acknowledged/), `${code} acknowledged by alice: CmdAck host-0`);
    assert.equal(app.escalation.incidents.byCode(code)?.state, 'acked');
    assert.match(await reply(alice, `PRIVMSG #alerts :!ack ${code}`, /already/), /already acknowledged by alice/);
    assert.match(await reply(alice, `PRIVMSG #alerts :!unack ${code}`, /unacknowledged/), /paging resumes/);
    assert.equal(app.escalation.incidents.byCode(code)?.state, 'open');
  });

  it('refuses malformed commands and unknown ids clearly', async () => {
    assert.equal(await reply(alice, 'PRIVMSG #alerts :!ack ZZZZ', /no incident/), 'no incident with id ZZZZ');
    assert.match(await reply(alice, 'PRIVMSG #alerts :!ack', /usage/), /^usage: !ack ID/);
    assert.match(await reply(alice, 'PRIVMSG #alerts :!silence alertname=X', /usage/), /^usage: !silence/);
    assert.match(await reply(alice, 'PRIVMSG #alerts :!silence bad 1h', /not a matcher/), /"bad" is not a matcher/);
    assert.match(await reply(alice, 'PRIVMSG #alerts :!frobnicate \u0002x', /unknown command/), /^unknown command "frobnicate"; try !help$/);
  });

  it('a silence keeps matching alerts out of IRC and paging, but keeps the record', async () => {
    assert.match(await reply(alice, 'PRIVMSG #alerts :!silence alertname=Silenced 1h', /silence #/), /^silence #\d+ set by alice for 1 h: alertname=Silenced$/);
    assert.equal(await postWebhook(httpPort, groupPayload('Silenced', 1)), 200);
    assert.equal(await postWebhook(httpPort, groupPayload('AfterSilence', 1)), 200);
    await waitFor('the unsilenced alert', () => alice.from('lifeline').find((m) => plain(m.text).includes('AfterSilence')), 10_000);
    assert.equal(alice.from('lifeline').filter((m) => plain(m.text).includes('Silenced ')).length, 0, 'silenced alert not posted');
    assert.equal(app.escalation.incidents.live('alert', 'Silenced-0'), undefined, 'not paged');
    const row = app.db.prepare("SELECT status FROM alerts WHERE fingerprint = 'Silenced-0'").get() as { status: string } | undefined;
    assert.equal(row?.status, 'firing', 'the alert record is kept');
    const listed = await reply(alice, 'PRIVMSG #alerts :!silences', /alertname=Silenced/);
    const id = /#(\d+) alertname=Silenced by alice/.exec(listed)?.[1];
    assert.ok(id, `!silences lists it: ${listed}`);
    // Silenced-0 still fires: it is evaluated as new now that the silence is over.
    assert.ok(!logger.records.some((r) => r['event'] === 'silence_ended' && r['silence'] === Number(id)), 'not ended yet');
    assert.match(await reply(alice, `PRIVMSG #alerts :!unsilence ${id}`, /ended/), new RegExp(`^silence #${id} ended by alice; still firing, now paged as new: [2-9A-Z]{4} \\(Silenced host-0\\)$`));
    assert.ok(logger.records.some((r) => r['event'] === 'silence_ended' && r['silence'] === Number(id) && r['by'] === 'alice'), 'logged when ended, with who ended it');
    assert.equal(await postWebhook(httpPort, groupPayload('Silenced', 1, 1)), 200);
    await waitFor('the alert once the silence is ended', () => alice.from('lifeline').find((m) => plain(m.text).includes('Silenced host-1')), 10_000);
  });

  it("!silence takes Alertmanager's matcher syntax: alertname=~\"Host.*\" silences HostDown (the quotes are not part of the value)", async () => {
    assert.match(await reply(alice, 'PRIVMSG #alerts :!silence alertname=~"AmHost.*" team!=db 1h', /silence #/), /^silence #\d+ set by alice for 1 h: alertname=~AmHost\.\* team!=db$/);
    assert.equal(await postWebhook(httpPort, groupPayload('AmHostDown', 1)), 200);
    assert.equal(await postWebhook(httpPort, groupPayload('AmAfter', 1)), 200);
    await waitFor('the alert after it', () => alice.from('lifeline').find((m) => plain(m.text).includes('AmAfter')), 10_000);
    assert.equal(app.escalation.incidents.live('alert', 'AmHostDown-0'), undefined, 'silenced: not paged');
    assert.equal(alice.from('lifeline').filter((m) => plain(m.text).includes('AmHostDown')).length, 0, 'silenced: not posted');
    assert.match(await reply(alice, 'PRIVMSG #alerts :!silence alertname=~"AmHost.* 1h', /quote/), /no closing quote/);
    const status = (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/status`)).json()) as { silences: Array<{ matchers: string; createdBy: string }> };
    assert.ok(status.silences.some((x) => x.matchers === 'alertname=~AmHost.* team!=db' && x.createdBy === 'alice'), `/api/v1/status shows it: ${JSON.stringify(status.silences)}`);
    const page = await (await fetch(`http://127.0.0.1:${httpPort}/`)).text();
    assert.match(page, /<code>alertname=~AmHost\.\* team!=db<\/code> · by alice/, 'the status page shows it');
    const logged = logger.records.find((r) => r['event'] === 'silence_created' && r['matchers'] === 'alertname=~AmHost.* team!=db');
    assert.ok(logged, 'logged when set');
  });

  it('an alert that started firing under a silence is paged as new when the silence is ended, and posted with its ack code', async () => {
    const set = await reply(alice, 'PRIVMSG #alerts :!silence alertname=LateFiring 1h', /silence #/);
    const id = /^silence #(\d+)/.exec(set)?.[1];
    assert.equal(await postWebhook(httpPort, groupPayload('LateFiring', 1)), 200);
    const smsBefore = twilio.received.length;
    const ended = await reply(alice, `PRIVMSG #alerts :!unsilence ${id}`, /ended/);
    const code = /still firing, now paged as new: ([2-9A-Z]{4}) \(LateFiring host-0\)$/.exec(ended)?.[1];
    assert.ok(code, `the reply names the incident it opened: ${ended}`);
    await waitFor('the SMS page for it', () => twilio.received.slice(smsBefore).find((m) => m.body.includes(code)), 10_000);
    await waitFor('the IRC line with its ack code', () => alice.from('lifeline').find((m) => plain(m.text).includes('LateFiring') && plain(m.text).includes(code)), 10_000);
  });

  it('an incident whose alert resolves under a silence resolves; !silence names the incident it holds', async () => {
    const code = await fire('ResolveSilenced');
    const set = await reply(alice, 'PRIVMSG #alerts :!silence alertname=ResolveSilenced 1h', /silence #/);
    assert.match(set, new RegExp(`holds 1 open incident \\(no step, no page until it ends\\): ${code} \\(ResolveSilenced host-0\\)$`));
    const resolved = { ...groupPayload('ResolveSilenced', 1), status: 'resolved' } as unknown as { alerts: Array<{ status: string }> };
    for (const a of resolved.alerts) a.status = 'resolved';
    assert.equal(await postWebhook(httpPort, resolved), 200);
    assert.equal(app.escalation.incidents.byCode(code)?.state, 'resolved', 'not open for good');
  });

  it('!ack takes several ids and says which were not found; ID+ acknowledges the whole alert group', async () => {
    const a = await fire('AckManyA');
    const b = await fire('AckManyB');
    const first = await reply(alice, `PRIVMSG #alerts :!ack ${a} ${b} ZZZZ`, /not acknowledged/);
    assert.equal(first, 'not acknowledged: no incident with id ZZZZ');
    assert.equal(app.escalation.incidents.byCode(a)?.state, 'acked');
    assert.equal(app.escalation.incidents.byCode(b)?.state, 'acked');
    assert.equal(await postWebhook(httpPort, groupPayload('AckGroup', 5)), 200);
    const codes = await waitFor('5 incidents', () => {
      const live = [0, 1, 2, 3, 4].map((k) => app.escalation.incidents.live('alert', `AckGroup-${k}`));
      return live.every(Boolean) ? live.map((i) => i!.ackCode) : undefined;
    }, 5_000);
    await reply(alice, `PRIVMSG #alerts :!ack ${codes[2]}+`, new RegExp(`${codes[4]} acknowledged`));
    assert.deepEqual(codes.map((c) => app.escalation.incidents.byCode(c)?.state), ['acked', 'acked', 'acked', 'acked', 'acked']);
  });

  it('a catastrophic-backtracking silence (issue 7.1) runs in linear time: the alert arrives and /healthz answers at once', async () => {
    assert.match(await reply(alice, 'PRIVMSG #alerts :!silence alertname=~(a+)+$ 1h', /silence #/), /^silence #\d+ set by alice/);
    assert.match(await reply(alice, 'PRIVMSG #alerts :!silence alertname=~(?=x)y 1h', /RE2/), /"\(\?=x\)y" is not an RE2 regular expression .*lookaround/);
    const name = `${'a'.repeat(40)}!`;
    const started = Date.now();
    const webhook = postWebhook(httpPort, groupPayload(name, 1));
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await webhook, 200);
    // With a backtracking engine this one alert takes 2^40 steps (hours); RE2 takes microseconds.
    assert.ok(Date.now() - started < 2_000, `webhook and /healthz took ${Date.now() - started} ms`);
    await waitFor('the unsilenced alert', () => alice.from('lifeline').find((m) => plain(m.text).includes(name)), 10_000);
  });

  it('label lookups never reach Object.prototype: constructor=~function.* silences nothing, a __proto__ label is kept (issue 7.11)', async () => {
    assert.match(await reply(alice, 'PRIVMSG #alerts :!silence constructor=~function.* 1h', /silence #/), /^silence #\d+ set by alice/);
    const p = groupPayload('ProtoLabel', 1) as { alerts: Array<{ labels: Record<string, string> }> };
    const raw = JSON.stringify(p).replace('"instance":"host-0"', '"instance":"host-0","__proto__":"kept"');
    assert.equal(await postWebhook(httpPort, raw), 200);
    await waitFor('the alert, not silenced', () => alice.from('lifeline').find((m) => plain(m.text).includes('ProtoLabel')), 10_000);
    const row = app.db.prepare("SELECT labels FROM alerts WHERE fingerprint = 'ProtoLabel-0'").get() as { labels: string } | undefined;
    assert.ok(row, 'stored');
    assert.ok(Object.hasOwn(JSON.parse(row.labels) as object, '__proto__'), `the __proto__ label is stored: ${row.labels}`);
    assert.equal((JSON.parse(row.labels) as Record<string, string>)['__proto__'], 'kept');
  });

  async function inbound(params: Record<string, string>, signature?: string): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (signature !== undefined) headers['x-twilio-signature'] = signature;
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/twilio/inbound`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
    return { status: res.status, body: await res.text() };
  }

  it('acknowledges "ACK ID" by SMS when the request is signed by Twilio', async () => {
    const code = await fire('SmsAck');
    await waitFor('the SMS page', () => twilio.received.some((m) => m.body.includes(code)), 10_000);
    const params = { From: '+4915112345678', To: '+15005550006', Body: `ack ${code.toLowerCase()}`, MessageSid: `SM${'1'.repeat(32)}`, AccountSid: twilio.accountSid };
    const r = await inbound(params, twilioSignature(twilio.authToken, INBOUND_URL, params));
    assert.equal(r.status, 200);
    assert.match(r.body, new RegExp(`<Response><Message>Lifeline: ${code} acknowledged: SmsAck host-0</Message></Response>`));
    assert.equal(app.escalation.incidents.byCode(code)?.state, 'acked');
    assert.equal(app.escalation.incidents.byCode(code)?.ackedBy, 'alice (SMS)');
  });

  it('acknowledges the latest page for a bare "ACK"', async () => {
    const code = await fire('SmsBare');
    await waitFor('the SMS page', () => twilio.received.some((m) => m.body.includes(code)), 10_000);
    const params = { From: '+4915112345678', Body: 'ACK' };
    const r = await inbound(params, twilioSignature(twilio.authToken, INBOUND_URL, params));
    assert.equal(r.status, 200);
    assert.match(r.body, new RegExp(`${code} acknowledged`));
  });

  it('acknowledges when Twilio calls this instance as the number\'s fallback URL (ErrorCode and ErrorUrl added, signed for this URL): the standby region of README "Two regions"', async () => {
    const code = await fire('SmsFallback');
    await waitFor('the SMS page', () => twilio.received.some((m) => m.body.includes(code)), 10_000);
    // Twilio adds the primary's failure to the fallback request; the signature covers this URL and them.
    const params = { From: '+4915112345678', Body: `ACK ${code}`, ErrorCode: '11205', ErrorUrl: 'https://lifeline-a.example.org/api/v1/twilio/inbound' };
    const r = await inbound(params, twilioSignature(twilio.authToken, INBOUND_URL, params));
    assert.equal(r.status, 200);
    assert.match(r.body, new RegExp(`${code} acknowledged`));
    assert.equal(app.escalation.incidents.byCode(code)?.state, 'acked');
  });

  it('refuses unsigned, wrongly signed and oversized requests, changing nothing', async () => {
    const code = await fire('SmsForged');
    const params = { From: '+4915112345678', Body: `ACK ${code}` };
    assert.equal((await inbound(params)).status, 403);
    assert.equal((await inbound(params, twilioSignature('wrong-token', INBOUND_URL, params))).status, 403);
    assert.equal((await inbound(params, twilioSignature(twilio.authToken, 'https://evil.example/api/v1/twilio/inbound', params))).status, 403);
    assert.equal((await inbound({ ...params, Body: 'x'.repeat(100_000) }, 'sig')).status, 413);
    assert.equal(app.escalation.incidents.byCode(code)?.state, 'open');
    const unknown = { From: '+4915100000000', Body: `ACK ${code}` };
    const r = await inbound(unknown, twilioSignature(twilio.authToken, INBOUND_URL, unknown));
    assert.equal(r.status, 200);
    assert.match(r.body, /not in the team/);
    assert.equal(app.escalation.incidents.byCode(code)?.state, 'open');
  });
});

describe('a silence holds the steps of an incident already open (integration)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let ircd: Ngircd;
  let twilio: TwilioStandIn;
  let app: App;
  let alice: IrcPeer;
  let httpPort: number;

  before(async () => {
    tmp = tempDir('hold');
    ircd = await Ngircd.start();
    twilio = await TwilioStandIn.start();
    httpPort = await freePort();
    // SMS at once, then every 4 s: a silence set after the first must stop the rest.
    const extra = `${smsNowYaml(twilio, { escalationExtra: '  bundle_window: 1s\n' }).replace('steps: [{ after: 0s, notify: [sms] }]', 'steps: [{ after: 0s, notify: [sms] }, { after: 4s, notify: [sms] }, { after: 8s, notify: [sms] }]')}commands:
  allowed: ["nick:alice"]
`;
    app = await startInProcess(testConfigYaml({ httpPort, dbPath: join(tmp.dir, 'h.db'), irc: { port: ircd.port, bouncer: 'none' }, extra }));
    await waitFor('joined', () => app.irc?.state.joined.includes('#alerts'), 15_000);
    alice = await IrcPeer.connect(ircd.port, 'alice');
  });
  after(async () => {
    alice?.close();
    await app?.stop();
    await ircd?.destroy();
    await twilio?.stop();
    tmp?.remove();
  });

  it('no page while silenced; after !unsilence the held steps go, each with the wait it had left', async () => {
    assert.equal(await postWebhook(httpPort, groupPayload('HeldProbe', 1)), 200);
    const inc = await waitFor('incident', () => app.escalation.incidents.live('alert', 'HeldProbe-0'), 5_000);
    await waitFor('the first SMS', () => twilio.received.find((m) => m.body.includes(inc.ackCode)), 10_000);
    const start = alice.lines.length;
    alice.send('PRIVMSG #alerts :!silence alertname=HeldProbe 2h');
    const set = await waitFor('the reply', () => alice.lines.slice(start).map((l) => plain(l)).find((l) => l.includes('silence #')), 10_000);
    assert.match(set, new RegExp(`holds 1 open incident \\(no step, no page until it ends\\): ${inc.ackCode} \\(HeldProbe host-0\\)`));
    const silencedAt = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const pages = (): number => twilio.received.filter((m) => m.body.includes(inc.ackCode)).length;
    assert.equal(pages(), 1, 'the 4 s and 8 s steps did not go while silenced');
    const id = /silence #(\d+)/.exec(set)?.[1];
    const at = alice.lines.length;
    alice.send(`PRIVMSG #alerts :!unsilence ${id}`);
    const ended = await waitFor('the reply', () => alice.lines.slice(at).map((l) => plain(l)).find((l) => l.includes('ended by')), 10_000);
    assert.match(ended, new RegExp(`1 held incident resumes: ${inc.ackCode}`));
    const releasedAt = Date.now();
    await waitFor('the second step', () => pages() >= 2 || undefined, 10_000);
    const wait = Date.now() - releasedAt;
    // The 4 s step had about 4 s minus (silencedAt - opened) left; it goes that long after the release, not at once.
    const left = 4_000 - (silencedAt - inc.openedMs);
    assert.ok(wait >= left - 1_500, `the second step waited ${wait} ms after the release (it had ${left} ms left)`);
  });
});
