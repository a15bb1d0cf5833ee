/*
 * Bench part `clusterpaging` (issue 23): one page per event and acks across two regions, with
 * whole `lifeline run` processes (test/integration/cluster/lifelines.ts: regions in network
 * namespaces, a nats-server each, one shared SMTP sink and Twilio stand-in). Cluster timings at the
 * shipped defaults (heartbeat 2s, peer_timeout 15s, settle_timeout 1m, claim_lease 1m); paging:
 * alice by email at once, bundle_window 0s (the shipped 2m would fold every page after the
 * first into one message two minutes later, which measures the window, not the cluster).
 *   - 1,000 events posted to both instances (20 at a time): pages at the sink per event, counted
 *     after the last page + peer_timeout + 5 s (a duplicate from b would come by then);
 *   - page latency: webhook POST → mail accepted at the sink, one event at a time, alternating a
 *     lone Lifeline (no cluster section, same sink) and the cluster (posted to both; a pages at
 *     position 0), 200 each; the difference of the p99s is what the cluster adds;
 *   - ack on a (a signed Twilio inbound "ACK CODE") → b logs the incident acknowledged: 50 events.
 */
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { episodeOf } from '../src/escalation/episode.js';
import { episodeCode } from '../src/store/incidents.js';
import { freePort, waitFor } from '../test/integration/harness/procs.js';
import type { ReceivedMail } from '../test/integration/harness/smtpSink.js';
import { groupPayload, postWebhook } from '../test/integration/harness/webhook.js';
import { percentile } from '../test/integration/cluster/instances.js';
import { ALICE_PHONE, LifelineInstance, Lifelines, defaultPaging } from '../test/integration/cluster/lifelines.js';

const SHIPPED = { heartbeatInterval: '2s', peerTimeout: '15s', settleTimeout: '1m', claimLease: '1m' };
const PEER_TIMEOUT_MS = 15_000;
const paging = defaultPaging({ notify: 'email', bundleWindow: '0s' });
const inboundUrl = (r: string): string => `https://${r}.lifeline.example.org/api/v1/twilio/inbound`;
const textOf = (m: ReceivedMail): string => `${m.mail.subject ?? ''}\n${m.mail.text ?? ''}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function benchClusterPaging(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (process.getuid?.() !== 0) {
    console.log('clusterpaging: needs root (network namespaces); skipped');
    return out;
  }
  const ll = await Lifelines.start({ regions: ['a', 'b'], paging, timings: SHIPPED, smsExtra: (r) => `  inbound_url: ${inboundUrl(r)}` });
  let solo: LifelineInstance | undefined;
  try {
    await ll.waitAllSettled(120_000);
    const mentions = (token: string): ReceivedMail[] => ll.smtp.received.filter((m) => textOf(m).includes(token));

    // 1. 1,000 events over two connected instances.
    const names = Array.from({ length: 1000 }, (_, i) => `Ev${i}x`);
    const t0 = Date.now();
    for (let i = 0; i < names.length; i += 20) await Promise.all(names.slice(i, i + 20).map((n) => ll.postAlert(groupPayload(n, 1))));
    const postedMs = Date.now() - t0;
    await waitFor('1,000 events paged', () => names.every((n) => ll.smtp.received.some((m) => textOf(m).includes(n))), 300_000, 200);
    await sleep(PEER_TIMEOUT_MS + 5_000);
    const per = new Map<string, number>(names.map((n) => [n, 0]));
    for (const m of ll.smtp.received) {
      const t = textOf(m);
      for (const n of names) if (t.includes(n)) per.set(n, (per.get(n) ?? 0) + 1);
    }
    const counts = [...per.values()];
    out['clusterpaging_events'] = names.length;
    out['clusterpaging_pages_delivered'] = counts.reduce((a, b) => a + b, 0);
    out['clusterpaging_duplicates'] = counts.reduce((a, c) => a + Math.max(0, c - 1), 0);
    out['clusterpaging_lost'] = counts.filter((c) => c === 0).length;
    out['clusterpaging_post_1000_to_both_ms'] = postedMs;
    console.log(`clusterpaging: 1,000 events to both: ${out['clusterpaging_pages_delivered']} pages, ${out['clusterpaging_duplicates']} duplicates, ${out['clusterpaging_lost']} lost (posted in ${postedMs} ms)`);

    // 2. Page latency at position 0 vs a lone Lifeline (same sink, same run, alternating).
    const cfgA = readFileSync(ll.get('a').configFile, 'utf8');
    const soloPort = await freePort();
    const soloCfg = ll.get('a').configFile.replace(/a\.yaml$/, 'solo.yaml');
    const soloDb = ll.get('a').dbFile.replace(/a\.db$/, 'solo.db');
    writeFileSync(soloCfg, cfgA.slice(0, cfgA.indexOf('cluster:')).replace(/port: \d+\n/, `port: ${soloPort}\n`).replace(/path: .*a\.db/, `path: ${soloDb}`));
    solo = new LifelineInstance('solo', soloPort, soloCfg, soloDb);
    await solo.start();
    const lat = { solo: [] as number[], cluster: [] as number[] };
    const pageLatency = async (name: string, post: () => Promise<unknown>): Promise<number> => {
      const start = Date.now();
      await post();
      const got = await waitFor(`page of ${name}`, () => mentions(name)[0], 60_000, 2);
      return got.atMs - start;
    };
    for (let i = 0; i < 200; i++) {
      lat.solo.push(await pageLatency(`LatS${i}x`, () => postWebhook(soloPort, groupPayload(`LatS${i}x`, 1))));
      lat.cluster.push(await pageLatency(`LatC${i}x`, () => ll.postAlert(groupPayload(`LatC${i}x`, 1))));
    }
    for (const [k, xs] of Object.entries(lat)) {
      out[`clusterpaging_latency_${k}_p50_ms`] = percentile(xs, 50);
      out[`clusterpaging_latency_${k}_p99_ms`] = percentile(xs, 99);
    }
    out['clusterpaging_latency_added_p99_ms'] = percentile(lat.cluster, 99) - percentile(lat.solo, 99);
    console.log(`clusterpaging: page latency lone p50 ${percentile(lat.solo, 50)} p99 ${percentile(lat.solo, 99)} ms; cluster (position 0) p50 ${percentile(lat.cluster, 50)} p99 ${percentile(lat.cluster, 99)} ms`);
    await solo.stop();

    // 3. Ack on a → honoured on b.
    const acks: number[] = [];
    for (let i = 0; i < 50; i++) {
      const name = `AckB${i}x`;
      await ll.postAlert(groupPayload(name, 1));
      await waitFor(`page of ${name}`, () => mentions(name)[0], 20_000, 5);
      const code = episodeCode(episodeOf({ source: 'alertmanager', fingerprint: `${name}-0`, startsAt: '2026-11-23T00:00:00Z' }) ?? '', 0);
      const from = ll.get('b').logs.length;
      const params: Record<string, string> = { From: ALICE_PHONE, To: '+15005550006', Body: `ACK ${code}`, MessageSid: `SM${String(i).padStart(32, '0')}`, AccountSid: ll.twilio.accountSid };
      const sig = createHmac('sha1', ll.twilio.authToken).update(inboundUrl('a') + Object.keys(params).sort().map((k) => k + params[k]).join('')).digest('base64');
      const start = Date.now();
      const res = await fetch(`http://127.0.0.1:${ll.get('a').httpPort}/api/v1/twilio/inbound`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig }, body: new URLSearchParams(params).toString() });
      await res.text();
      const line = await ll.get('b').waitLogged('incident_acked', 10_000, from, (l) => l['peer'] === 'a');
      acks.push(Date.parse(String(line['time'])) - start);
    }
    out['clusterpaging_ack_a_to_b_p50_ms'] = percentile(acks, 50);
    out['clusterpaging_ack_a_to_b_p99_ms'] = percentile(acks, 99);
    console.log(`clusterpaging: ack on a honoured on b p50 ${percentile(acks, 50)} ms, p99 ${percentile(acks, 99)} ms (n=50)`);
  } finally {
    await solo?.kill().catch(() => undefined);
    await ll.destroy();
  }
  return out;
}
