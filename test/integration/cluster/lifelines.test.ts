import assert from 'node:assert/strict';
import { groupPayload } from '../harness/webhook.js';
import { ALICE_PHONE, Lifelines } from './lifelines.js';

/*
 * Smoke test of the whole-Lifeline cluster harness (lifelines.ts): two regions, each with its
 * nats-server in a namespace and a `lifeline run` on the host, pages counted at one shared SMTP
 * sink and Twilio stand-in. Test timings (TEST_TIMINGS): peer_timeout 3s, heartbeats every 500ms.
 */
describe('cluster harness: whole Lifelines in two regions (issue 23)', function () {
  this.timeout(120_000);
  let ll: Lifelines;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    ll = await Lifelines.start({ regions: ['a', 'b'] });
    await ll.waitAllSettled();
  });
  after(async () => {
    await ll?.destroy();
  });

  it('starts both, answers /readyz, takes a webhook on each, pages at the shared sink and stand-in, and restarts a killed instance', async () => {
    for (const r of ['a', 'b']) {
      const { status, body } = await ll.readyz(r);
      assert.equal(status, 200, `${r}: ${JSON.stringify(body)}`);
    }
    assert.deepEqual(await ll.postAlert(groupPayload('HarnessSmoke', 1)), [200, 200]);
    // The paging core does not yet page once per event: each instance may page; at least one does.
    await ll.waitMails(/HarnessSmoke/, 1, 15_000);
    await ll.waitSms(/HarnessSmoke/, 1, 15_000);
    assert.equal(ll.sms(/HarnessSmoke/, ALICE_PHONE).length >= 1, true);
    await ll.kill('a');
    assert.equal(ll.get('a').running, false);
    await ll.restart('a');
    await ll.waitReady('a', 30_000);
  });

  it('cut and heal a region link: both sides log the other unreachable, then up again', async () => {
    const [fa, fb] = [ll.get('a').logs.length, ll.get('b').logs.length];
    ll.cut('b');
    assert.equal(await ll.regions.leafCount(), 0, 'the hub lists no leaf during the cut');
    const [downA, downB] = await Promise.all([ll.get('a').waitLogged('cluster_peer_down', 10_000, fa), ll.get('b').waitLogged('cluster_peer_down', 10_000, fb)]);
    assert.equal(downA['reason'], 'unreachable');
    assert.equal(downB['reason'], 'unreachable');
    ll.heal('b');
    await Promise.all([ll.get('a').waitLogged('cluster_peer_up', 20_000, fa), ll.get('b').waitLogged('cluster_peer_up', 20_000, fb)]);
  });
});
