import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { App } from '../../src/app.js';
import { freePort, startInProcess, testConfigYaml } from './harness/lifeline.js';
import { tempDir, waitFor } from './harness/procs.js';
import { TwilioStandIn, type ReceivedCall } from './harness/twilioStandIn.js';
import { ALICE_PHONE as ALICE, BOB_PHONE as BOB, aliceBobVoiceYaml } from './harness/paging.js';
import { groupPayload, postWebhook } from './harness/webhook.js';

/**
 * Voice pages (issue 11) with the real twilio library against the stand-in's Calls API: Lifeline
 * asks for a call, the stand-in fetches the TwiML from Lifeline as Twilio does, presses keys on the
 * <Gather> action and posts the status callback, all signed with X-Twilio-Signature.
 * Policy: call on-call (alice) at once, SMS bob after 10 min; so "escalates at once" is visible as
 * bob's SMS arriving within seconds instead of ten minutes.
 */
describe('voice calls with a keypress acknowledgement (integration)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let twilio: TwilioStandIn;
  let app: App;
  let port: number;

  before(async () => {
    tmp = tempDir('lifeline-voice');
    twilio = await TwilioStandIn.start();
    port = await freePort();
    const extra = `${aliceBobVoiceYaml(twilio, port, '  max_per_hour: 5\n')}escalation:
  bundle_window: 1s
  policies:
    - name: call-then-bob
      steps:
        - { after: 0s, notify: [voice] }
        - { after: 10m, notify: [sms], to: bob }
`;
    app = await startInProcess(testConfigYaml({ httpPort: port, dbPath: join(tmp.dir, 'voice.db'), extra }));
  });
  after(async () => {
    await app?.stop();
    await twilio?.stop();
    tmp?.remove();
  });

  /** Fires one alert; resolves with its incident code, the call, and the time from POST to the call request. */
  async function alertAndCall(name: string): Promise<{ code: string; call: ReceivedCall; callAfterMs: number }> {
    const n = twilio.calls.length;
    const t0 = Date.now();
    assert.equal(await postWebhook(port, groupPayload(name, 1)), 200);
    const call = await waitFor(`the call for ${name}`, () => twilio.calls[n], 10_000, 5);
    const callAfterMs = call.atMs - t0;
    await waitFor('the TwiML fetched', () => call.twiml, 10_000, 5);
    const code = app.escalation.incidents.live('alert', `${name}-0`)?.ackCode;
    assert.ok(code);
    return { code, call, callAfterMs };
  }
  const smsToBob = (): number => twilio.received.filter((m) => m.to === BOB).length;

  it('calls on-call with the message said twice and a key prompt; key 1 acknowledges; the call ending then changes nothing', async () => {
    const { code, call, callAfterMs } = await alertAndCall('VoiceDiskFull');
    console.log(`      step due (alert accepted) → the stand-in's call request: ${callAfterMs} ms`);
    assert.equal(call.to, ALICE);
    assert.equal(call.from, '+15005550006');
    assert.equal(call.timeout, 30);
    assert.match(call.url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/api/v1/twilio/voice/twiml\\?call=\\d+$`));
    assert.match(call.statusCallback ?? '', /\/api\/v1\/twilio\/voice\/status\?call=\d+$/);
    assert.equal(call.twimlStatus, 200);
    const twiml = call.twiml ?? '';
    const says = [...twiml.matchAll(/<Say language="en-US">([^<]*)<\/Say>/g)].map((m) => m[1]);
    assert.equal(says.length, 3, twiml);
    assert.match(says[0] ?? '', new RegExp(`^This is Lifeline with one incident: VoiceDiskFull host-0, critical, for less than a minute, incident ${[...code].join(' ')}\\. Press 1 to acknowledge\\. Press 2 to escalate\\.$`));
    assert.match(says[1] ?? '', /^Again\. This is Lifeline/);
    assert.match(twiml, /<Gather input="dtmf" numDigits="1" timeout="8" action="http:\/\/127\.0\.0\.1:\d+\/api\/v1\/twilio\/voice\/gather\?call=\d+" method="POST">/);
    assert.match(twiml, /<Hangup\/><\/Response>$/);

    const r = await twilio.press(call.sid, '1');
    assert.equal(r.status, 200);
    assert.match(r.body, new RegExp(`<Say language="en-US">Acknowledged incident: ${[...code].join(' ')}\\. Goodbye\\.</Say><Hangup/>`));
    const inc = app.escalation.incidents.byCode(code);
    assert.deepEqual({ state: inc?.state, by: inc?.ackedBy }, { state: 'acked', by: 'alice (phone)' });
    const bob = smsToBob();
    assert.equal((await twilio.end(call.sid, 'completed')).status, 200);
    await new Promise((res) => setTimeout(res, 1_500));
    assert.equal(smsToBob(), bob, 'an acknowledged call escalates nothing');
    // The status API (and page) tell the call's story.
    const status = (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as { pages: Array<{ incident: string; channel: string; call: { status: string; outcome: string } | null }> };
    assert.deepEqual(status.pages.find((p) => p.incident === code && p.channel === 'voice')?.call, { status: 'completed', outcome: 'acknowledged' });
  });

  it('key 2 escalates at once: the next step (SMS to bob) goes now, not in 10 minutes', async () => {
    await new Promise((res) => setTimeout(res, 1_100)); // one call per person per bundle window
    const { code, call } = await alertAndCall('VoiceKeyTwo');
    const bob = smsToBob();
    const r = await twilio.press(call.sid, '2');
    assert.match(r.body, /Escalating to the next step now/);
    const sms = await waitFor('the SMS to bob', () => twilio.received.filter((m) => m.to === BOB).slice(bob)[0], 10_000, 10);
    assert.match(sms.body, new RegExp(code));
    assert.equal(app.escalation.incidents.byCode(code)?.state, 'open');
    await twilio.end(call.sid, 'completed');
  });

  it('no answer and busy escalate at once; a repeated callback changes nothing', async () => {
    for (const outcome of ['no-answer', 'busy'] as const) {
      await new Promise((res) => setTimeout(res, 1_100));
      const { code, call } = await alertAndCall(`VoiceUnanswered-${outcome}`);
      const bob = smsToBob();
      assert.equal((await twilio.end(call.sid, outcome)).status, 200);
      const sms = await waitFor(`the SMS to bob after ${outcome}`, () => twilio.received.filter((m) => m.to === BOB).slice(bob)[0], 10_000, 10);
      assert.match(sms.body, new RegExp(code));
      // Twilio may post the callback twice: nothing happens the second time.
      assert.equal((await twilio.end(call.sid, outcome)).status, 200);
      const log = app.escalation.incidents.pageLog(50).find((p) => p.incidentCode === code && p.channel === 'voice');
      assert.deepEqual(log?.call, { status: outcome, outcome: 'unanswered' });
    }
  });

  it('forged or unsigned webhooks get 403 and change nothing', async () => {
    await new Promise((res) => setTimeout(res, 1_100));
    const { code, call } = await alertAndCall('VoiceForged');
    const gather = /action="([^"]+)"/.exec(call.twiml ?? '')?.[1] ?? '';
    const params = { AccountSid: twilio.accountSid, CallSid: call.sid, Digits: '1' };
    const forged = await twilio.post(gather, params, twilio.sign(gather, params, 'not-the-auth-token-0123456789abc'));
    assert.equal(forged.status, 403);
    assert.match(forged.body, /invalid X-Twilio-Signature/);
    const unsigned = await fetch(gather, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
    assert.equal(unsigned.status, 403);
    // A signature for other parameters than those sent (Digits changed on the way).
    assert.equal((await twilio.post(gather, { ...params, Digits: '2' }, twilio.sign(gather, params))).status, 403);
    const bob = smsToBob();
    const status = { AccountSid: twilio.accountSid, CallSid: call.sid, CallStatus: 'no-answer' };
    assert.equal((await twilio.post(call.statusCallback ?? '', status, twilio.sign(call.statusCallback ?? '', status, 'not-the-auth-token-0123456789abc'))).status, 403);
    await new Promise((res) => setTimeout(res, 1_000));
    assert.equal(app.escalation.incidents.byCode(code)?.state, 'open', 'not acknowledged by a forgery');
    assert.equal(smsToBob(), bob, 'not escalated by a forgery');
    // The real key press still works afterwards.
    assert.match((await twilio.press(call.sid, '1')).body, /Acknowledged/);
  });

  it('past voice.max_per_hour (5 here) a page goes by SMS to the same person instead of a call', async () => {
    await new Promise((res) => setTimeout(res, 1_100));
    const calls = twilio.calls.length;
    const toAlice = twilio.received.filter((m) => m.to === ALICE).length;
    assert.equal(await postWebhook(port, groupPayload('VoiceOverBudget', 1)), 200);
    const sms = await waitFor('the SMS to alice', () => twilio.received.filter((m) => m.to === ALICE)[toAlice], 10_000, 10);
    assert.match(sms.body, /VoiceOverBudget/);
    assert.equal(twilio.calls.length, calls, 'no sixth call within the hour');
  });
});
