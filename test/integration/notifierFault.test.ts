import assert from 'node:assert/strict';
import { join } from 'node:path';
import { selfSignedCert } from './harness/certs.js';
import { startApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/observability/logger.js';
import { systemClock, type Clock } from '../../src/util/clock.js';
import { freePort, startInProcess, testConfigYaml } from './harness/lifeline.js';
import { pagingYaml } from './harness/paging.js';
import { tempDir, waitFor } from './harness/procs.js';
import { SmtpSink } from './harness/smtpSink.js';
import { TwilioStandIn } from './harness/twilioStandIn.js';
import { groupPayload, postWebhook } from './harness/webhook.js';

/**
 * A paging channel Lifeline cannot use as configured (a wrong Twilio token) is Lifeline's own
 * fault: reported once, by the channel that works, visible in the status API and /metrics.
 */
/**
 * Lifeline's own faults, reported once by the channel that works, visible in the status API and
 * /metrics: a paging channel it cannot use as configured (a wrong Twilio token), a clock step.
 */
describe('Lifeline\'s own faults: a misconfigured notifier, a clock step (integration)', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let cert: ReturnType<typeof selfSignedCert>;
  let sink: SmtpSink;
  let twilio: TwilioStandIn;
  before(async () => {
    tmp = tempDir('lifeline-faults');
    cert = selfSignedCert(tmp.dir);
    sink = await SmtpSink.start(cert);
    twilio = await TwilioStandIn.start();
  });
  after(async () => {
    await twilio.stop();
    await sink.stop();
    tmp.remove();
  });
  const faultMails = (): typeof sink.received => sink.received.filter((m) => /^LIFELINE FAULT/.test(m.mail.subject ?? ''));

  it('a wrong Twilio token: the page fails with 401, on-call gets one LIFELINE FAULT email naming the keys to fix', async () => {
    const port = await freePort();
    const paging = pagingYaml({ smtpPort: sink.port, caFile: cert.certFile, twilio, extra: '  policies:\n    - { name: now, steps: [{ after: 0s, notify: [sms] }] }\n' }).replace(`auth_token: ${twilio.authToken}`, 'auth_token: 0123456789abcdef0123456789abcdef');
    const app = await startInProcess(testConfigYaml({ httpPort: port, dbPath: join(tmp.dir, 'token.db'), extra: paging }));
    try {
      assert.equal(await postWebhook(port, groupPayload('DiskFull', 1)), 200);
      const mail = await waitFor('the fault email', () => faultMails()[0], 30_000, 50);
      assert.match(mail.mail.subject ?? '', /^LIFELINE FAULT: Lifeline on .+ cannot page through a channel as configured$/);
      assert.match(mail.mail.text ?? '', /sms: Twilio: .*\(code 20003\): check sms\.account_sid and sms\.auth_token; fix sms\.account_sid and sms\.auth_token, then check with "lifeline test-notify --channel sms"/);
      assert.equal(twilio.received.length, 0, 'nothing was accepted with the wrong token');
      const status = (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as { faults: Array<{ kind: string }> };
      assert.deepEqual(status.faults.map((f) => f.kind), ['notifier_misconfigured']);
      assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /^lifeline_fault\{kind="notifier_misconfigured"\} 1$/m);
      // A second failing page does not report the fault again.
      assert.equal(await postWebhook(port, groupPayload('DiskFull2', 1)), 200);
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(faultMails().length, 1, 'reported once');
    } finally {
      await app.stop();
    }
  });

  it('a wall-clock step is reported once as a Lifeline fault, by email and SMS, and listed in the status API', async () => {
    const before = faultMails().length;
    const port = await freePort();
    // The real clock, whose wall time the test can step (as NTP or an operator would).
    const real = systemClock();
    let offset = 0;
    const clock: Clock = { ...real, now: () => real.now() + offset };
    const config = parseConfig(testConfigYaml({ httpPort: port, dbPath: join(tmp.dir, 'clock.db'), extra: pagingYaml({ smtpPort: sink.port, caFile: cert.certFile, twilio }) }), 't.yaml', {});
    const app = await startApp({ config, clock, log: silentLogger() });
    try {
      offset = 3 * 3_600_000;
      const mail = await waitFor('the fault email', () => faultMails()[before], 20_000, 50);
      assert.match(mail.mail.subject ?? '', /^LIFELINE FAULT: Lifeline on .+ saw its wall clock step$/);
      assert.match(mail.mail.text ?? '', /the wall clock stepped forward 3 ?h at \d{4}-.+; waits were kept, but check the host's time sync/);
      await waitFor('the fault SMS', () => twilio.received.find((m) => /LIFELINE FAULT: .+ saw its wall clock step/.test(m.body)), 10_000, 50);
      const status = (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as { faults: Array<{ kind: string }> };
      assert.deepEqual(status.faults.map((f) => f.kind), ['clock_step']);
      offset += 3_600_000; // a second step within the hour: no second page
      await new Promise((r) => setTimeout(r, 6_000));
      assert.equal(faultMails().length, before + 1, 'reported once');
    } finally {
      await app.stop();
    }
  });
});
