/*
 * Bench part `clusterpartition`: what a partition costs. Two regions of whole `lifeline run`
 * processes (test/integration/cluster/lifelines.ts) at the shipped cluster timings (heartbeat 2s,
 * peer_timeout 15s, settle_timeout 1m, claim_lease 1m), paging alice by email at once
 * (bundle_window 0s, as in clusterpaging: the shipped 2m window would fold the pages into one).
 * The leaf region's link is cut for 60 s; 100 events are posted to both instances, spread evenly
 * over the cut; then the link heals. Counted at the SMTP sink once both sides have settled again
 * plus peer_timeout + 5 s: pages per event (lost = events with none, duplicates = pages beyond the
 * first) and the "peer unreachable" pages.
 */
import type { ReceivedMail } from '../test/integration/harness/smtpSink.js';
import { waitFor } from '../test/integration/harness/procs.js';
import { groupPayload } from '../test/integration/harness/webhook.js';
import { Lifelines, defaultPaging } from '../test/integration/cluster/lifelines.js';

const SHIPPED = { heartbeatInterval: '2s', peerTimeout: '15s', settleTimeout: '1m', claimLease: '1m' };
const PEER_TIMEOUT_MS = 15_000;
const CUT_MS = 60_000;
const EVENTS = 100;
const paging = defaultPaging({ notify: 'email', bundleWindow: '0s' });
const textOf = (m: ReceivedMail): string => `${m.mail.subject ?? ''}\n${m.mail.text ?? ''}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the part; returns its figures by name. */
export async function benchClusterPartition(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (process.getuid?.() !== 0) {
    console.log('clusterpartition: needs root (network namespaces); skipped');
    return out;
  }
  const ll = await Lifelines.start({ regions: ['a', 'b'], paging, timings: SHIPPED });
  try {
    await ll.waitAllSettled(120_000);
    const names = Array.from({ length: EVENTS }, (_, i) => `Part${i}x`);
    const cutAt = Date.now();
    ll.cut('b');
    for (let i = 0; i < names.length; i++) {
      await sleep(Math.max(0, cutAt + (i * CUT_MS) / EVENTS - Date.now()));
      await ll.postAlert(groupPayload(names[i] ?? '', 1));
    }
    await sleep(Math.max(0, cutAt + CUT_MS - Date.now()));
    ll.heal('b');

    await ll.waitAllSettled(120_000);
    await sleep(PEER_TIMEOUT_MS + 5_000);
    await waitFor('every event paged at least once', () => names.every((n) => ll.smtp.received.some((m) => textOf(m).includes(n))), 60_000, 200).catch(() => undefined);
    const counts = names.map((n) => ll.smtp.received.filter((m) => textOf(m).includes(n)).length);
    out['clusterpartition_events'] = EVENTS;
    out['clusterpartition_cut_s'] = CUT_MS / 1000;
    out['clusterpartition_pages'] = counts.reduce((a, b) => a + b, 0);
    out['clusterpartition_duplicates'] = counts.reduce((a, c) => a + Math.max(0, c - 1), 0);
    out['clusterpartition_lost'] = counts.filter((c) => c === 0).length;
    out['clusterpartition_peer_unreachable_pages'] = ll.smtp.received.filter((m) => /LifelinePeerUnreachable|unreachable from/.test(textOf(m)) && !/resolved|RESOLVED/.test(m.mail.subject ?? '')).length;
    console.log(`clusterpartition: ${EVENTS} events over a ${CUT_MS / 1000} s cut: ${out['clusterpartition_pages']} pages, ${out['clusterpartition_duplicates']} duplicates, ${out['clusterpartition_lost']} lost; ${out['clusterpartition_peer_unreachable_pages']} "peer unreachable" pages`);
  } finally {
    await ll.destroy();
  }
  return out;
}
