import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { App } from '../../src/app.js';
import type { StatusReport } from '../../src/http/status.js';
import { selfSignedCert } from './harness/certs.js';
import { freePort, startInProcess, testConfigYaml } from './harness/lifeline.js';
import { pagingYaml } from './harness/paging.js';
import { tempDir, waitFor } from './harness/procs.js';
import { SmtpSink } from './harness/smtpSink.js';
import { TwilioStandIn } from './harness/twilioStandIn.js';
import { groupPayload, postWebhook } from './harness/webhook.js';

/** Where the screenshots go (the test output; not committed). */
const OUT = resolve('test-output');

/**
 * Debian's Chromium, headless, as root in a closed network: no sandbox (root), and no background
 * networking (its connections to Google's hosts would be refused at every start).
 */
function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * The status page (GET /) in real Chromium: Lifeline with its IRC bouncer unreachable, 205 open
 * incidents (200 groups of one alert, one group of 5) paged by SMS to the Twilio stand-in, one
 * acknowledged, two probes (one down).
 */
describe('status page in headless Chromium (integration)', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let sink: SmtpSink;
  let twilio: TwilioStandIn;
  let app: App;
  let port: number;
  let browser: Browser;
  const auth = { username: 'oncall', password: 'status-page-secret' };
  const basic = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;

  before(async () => {
    tmp = tempDir('lifeline-status');
    const cert = selfSignedCert(tmp.dir);
    sink = await SmtpSink.start(cert);
    twilio = await TwilioStandIn.start();
    port = await freePort();
    const closed = await freePort();
    const paging = pagingYaml({
      smtpPort: sink.port,
      caFile: cert.certFile,
      twilio,
      grace: '1h',
      extra: '  bundle_window: 1s\n  policies:\n    - { name: now, steps: [{ after: 0s, notify: [sms] }] }\n',
    });
    const probes = `probes:
  interval: 1s
  failures_to_open: 1
  targets:
    - { name: own-health, kind: http, url: "http://127.0.0.1:${port}/healthz", group: lifeline }
    - { name: proxy-tcp, kind: tcp, host: 127.0.0.1, port: ${closed}, group: edge }
`;
    const yaml = testConfigYaml({
      httpPort: port,
      dbPath: join(tmp.dir, 'status.db'),
      // IRC down: the bouncer's port is closed for the whole test.
      irc: { port: closed },
      auth: `  status_auth:\n    username: ${auth.username}\n    password: \${STATUS_PASSWORD}\n`,
      extra: `${paging}${probes}`,
    });
    app = await startInProcess(yaml, { STATUS_PASSWORD: auth.password });
    // 200 alert groups, one alert each: 200 incidents, each paged by SMS at once.
    for (let k = 0; k < 200; k += 1) assert.equal(await postWebhook(port, groupPayload(`Outage${String(k).padStart(3, '0')}`, 1)), 200);
    // One Alertmanager group of 5 near-identical alerts: 5 incidents, one entry on the page.
    assert.equal(await postWebhook(port, groupPayload('HostDown', 5)), 200);
    await waitFor('the probes run', () => app.probes.status().every((p) => p.last !== null && p.status !== 'unknown'), 20_000, 50);
    // The 205 alerts' incidents, and the down probe's.
    await waitFor('206 incidents open', () => app.escalation.incidents.countUnresolved().open === 206, 30_000, 50);
    await waitFor('the SMS pages sent', () => app.escalation.incidents.pageLog(1000).filter((p) => p.state === 'sent').length === 206, 60_000, 100);
    const oldest = app.escalation.incidents.unresolved(1000).find((i) => i.title.includes('Outage000'));
    assert.ok(oldest);
    assert.equal(app.escalation.ack(oldest.ackCode, 'alice').ok, true);
    mkdirSync(OUT, { recursive: true });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await twilio?.stop();
    await sink?.stop();
    tmp?.remove();
  });

  it('asks for the status_auth password: 401 with a Basic challenge without it, on / and /api/v1/status', async () => {
    for (const path of ['/', '/api/v1/status']) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      assert.equal(res.status, 401, path);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="Lifeline status"/);
      assert.match(await res.text(), /http\.status_auth/);
      const wrong = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Basic ${Buffer.from('oncall:nope').toString('base64')}` } });
      assert.equal(wrong.status, 401);
    }
    // Health stays open for the container's HEALTHCHECK and the load balancer.
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  });

  it('renders with IRC down and 206 incidents (one Alertmanager group of 5): the verdict, the path reason, every incident with its pages, the ack, on-call, probes; no secret or address on it', async () => {
    const ctx = await browser.newContext({ httpCredentials: auth, viewport: { width: 1280, height: 900 } });
    try {
      const page = await ctx.newPage();
      const t0 = performance.now();
      const res = await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load' });
      const loadMs = performance.now() - t0;
      await page.screenshot({ path: join(OUT, 'status-page-desktop-top.png') });
      assert.equal(res?.status(), 200);
      assert.match(res?.headers()['content-type'] ?? '', /^text\/html/);
      const verdict = await page.locator('#verdict').innerText();
      assert.match(verdict, /IRC path down/);
      assert.match(verdict, /205 open incidents/);
      assert.match(verdict, /1 probe down/);
      const text = await page.locator('body').innerText();
      assert.match(text, /IRC path\s+down not connected to the bouncer \(/);
      assert.match(text, /Incidents 205 open · 1 acked/);
      // One row per incident, each naming its title and who was paged, and how that went; the
      // Alertmanager group of 5 is one row listing its 5 codes.
      const rows = page.locator('#incidents tbody > tr');
      assert.equal(await rows.count(), 202);
      const group = await rows.filter({ hasText: '5 in one group' }).innerText();
      assert.match(group, /HostDown host-\d and 4 more of its Alertmanager group/);
      assert.ok(new Set(group.match(/\b[2-9A-HJKMNP-Z]{4}\b/g) ?? []).size >= 5, group);
      // Worst first: all are critical; among them the probe that is down is no cause, so newest first.
      // While the bouncer link is down, what only the link can tell is unknown, not green.
      assert.match(await page.locator('#path').innerText(), /bouncer's network: unknown \(no link to the bouncer\)/);
      // History: the IRC path and the down probe with their uptime over 24 h and 7 days.
      const history = await page.locator('#history').innerText();
      assert.match(history, /IRC path\s+99\.\d\d %/, 'down now (its incident waits for the grace): not 100 %');
      assert.match(history, /proxy-tcp\s+\d+\.\d\d %/);
      assert.match(history, /1 probe up throughout the 7 days/);
      assert.equal(await page.locator('#history .bar i.d').count() > 0, true, 'the down probe has red cells');
      assert.match(await rows.filter({ hasText: 'Outage199' }).innerText(), /Outage199[\s\S]*step 1 · sms → alice · .*sent \(accepted by the provider\)/);
      assert.match(text, /acked by alice/);
      assert.match(text, /On call primary: alice/);
      assert.match(text, /proxy-tcp\s+tcp · 127\.0\.0\.1:\d+/);
      // Healthy probes are folded away; a tap on the summary shows them.
      assert.doesNotMatch(text, /own-health/);
      await page.locator('#probes summary').click();
      assert.match(await page.locator('#probes details').innerText(), /1 up, no warnings[\s\S]*own-health[\s\S]*HTTP 200/);
      assert.match(text, /sms delivering/);
      const html = await page.content();
      for (const secret of [auth.password, twilio.authToken, 'smtp-secret', '+4915112345678', 'alice@example.org']) assert.ok(!html.includes(secret), `the page shows ${secret}`);
      await page.screenshot({ path: join(OUT, 'status-page-desktop.png') });
      assert.ok(statSync(join(OUT, 'status-page-desktop.png')).size > 10_000);
      await page.locator('#history').screenshot({ path: join(OUT, 'status-page-history.png') });
      console.log(`    screenshots: ${join(OUT, 'status-page-desktop-top.png')} ${join(OUT, 'status-page-desktop.png')} ${join(OUT, 'status-page-history.png')}`);
      assert.ok(loadMs < 5_000, `the page took ${Math.round(loadMs)} ms`);
    } finally {
      await ctx.close();
    }
  });

  it('is usable on a phone: no sideways scrolling of the page at 390 px, the verdict at the top', async () => {
    const ctx = await browser.newContext({ httpCredentials: auth, viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 2 });
    try {
      const page = await ctx.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      const { scroll, inner } = await page.evaluate("({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })") as { scroll: number; inner: number };
      assert.ok(scroll <= inner, `page is ${scroll} px wide in a ${inner} px viewport`);
      const box = await page.locator('#verdict').boundingBox();
      assert.ok(box && box.y < 200 && box.width <= 390);
      // The first screen (844 px) shows what is broken: the IRC path down, then the incidents;
      // the on-call table and healthy details come after, folded.
      const top = async (sel: string): Promise<number> => (await page.locator(sel).boundingBox())?.y ?? Infinity;
      const [path, incidents, oncall, probes] = [await top('#path'), await top('#incidents'), await top('#oncall'), await top('#probes')];
      assert.ok(path < incidents && incidents < 844, `IRC path at ${path} px, incidents at ${incidents} px`);
      assert.ok(incidents < probes && probes < oncall, `probes at ${probes} px, on call at ${oncall} px`);
      assert.equal(await page.locator('#oncall details').getAttribute('open'), null, 'on call is folded to a line');
      const shot = join(OUT, 'status-page-phone.png');
      await page.screenshot({ path: shot });
      assert.deepEqual([...readFileSync(shot).subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      const full = join(OUT, 'status-page-phone-full.png');
      await page.screenshot({ path: full, fullPage: true });
      console.log(`    screenshots: ${shot} ${full}`);
    } finally {
      await ctx.close();
    }
  });

  it('GET /api/v1/status carries the same data as JSON', async () => {
    const r = (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`, { headers: { authorization: basic } })).json()) as StatusReport;
    assert.equal(r.path?.healthy, false);
    assert.match(r.path?.reason ?? '', /^not connected to the bouncer/);
    assert.equal(r.irc?.link === 'registered', false);
    assert.deepEqual({ open: r.incidents.open, acked: r.incidents.acked, shown: r.incidents.shown.length }, { open: 205, acked: 1, shown: 206 });
    assert.equal(new Set(r.incidents.shown.filter((i) => i.title.startsWith('HostDown')).map((i) => i.groupKey)).size, 1, 'the group of 5 shares its groupKey');
    const acked = r.incidents.shown.find((i) => i.state === 'acked');
    assert.equal(acked?.ackedBy, 'alice');
    assert.ok(r.incidents.shown.every((i) => i.pages.length === 1 && i.pages[0]?.channel === 'sms' && i.pages[0].person === 'alice' && i.pages[0].state === 'sent'));
    assert.deepEqual(r.oncall.map((o) => [o.rotation, o.now.person, o.next?.person]), [['primary', 'alice', 'alice']]);
    assert.deepEqual(r.probes.map((p) => [p.name, p.status]), [['own-health', 'up'], ['proxy-tcp', 'down']]);
    assert.equal(r.pages.length, 25);
    // "Last pages": one row per message sent (pages bundled into one SMS are one row).
    const page = await (await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: basic } })).text();
    const paging = page.slice(page.indexOf('<section id="paging">'), page.indexOf('</section>', page.indexOf('<section id="paging">')));
    const messages = new Set(r.pages.map((p, k) => p.message ?? `waiting ${k}`));
    assert.ok(messages.size < 25, `${messages.size} messages for 25 pages: the bundle window put several pages in one SMS`);
    assert.equal(paging.match(/<li>/g)?.length, messages.size);
    assert.deepEqual(r.channels, [{ channel: 'email', healthy: true, misconfigured: false }, { channel: 'sms', healthy: true, misconfigured: false }]);
  });
});
