/*
 * Bench part `clustertakeover` (issue 23): the claim takeover at the shipped claim_lease. Two
 * regions of whole `lifeline run` processes (test/integration/cluster/lifelines.ts) at the shipped
 * cluster timings (heartbeat 2s, peer_timeout 15s, settle_timeout 1m, claim_lease 1m); alice paged
 * by email at once (bundle_window 0s, as in clusterpaging: one message per page).
 *   - the SMTP sink answers 451 "try later", 20 events are posted to both instances: a (position
 *     0) claims every page and queues it, but cannot deliver it; a is SIGKILLed, the sink takes mail
 *     again → when b has sent the last of them (the bound: claim_lease + 5 s = 65 s);
 *   - a restarted (same database, its queued copies still in its outbox) → the pages a sends again
 *     (duplicates) and the events with no page (lost), counted after a settled + peer_timeout.
 */
import type { ReceivedMail } from '../test/integration/harness/smtpSink.js';
import { waitFor } from '../test/integration/harness/procs.js';
import { groupPayload } from '../test/integration/harness/webhook.js';
import { Lifelines, defaultPaging, mailSender, mailText } from '../test/integration/cluster/lifelines.js';

const CLAIM_LEASE_MS = 60_000;
const PEER_TIMEOUT_MS = 15_000;
const EVENTS = 20;
const paging = defaultPaging({ notify: 'email', bundleWindow: '0s' });

/** Runs the part; returns its figures by name. */
export async function benchClusterTakeover(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (process.getuid?.() !== 0) {
    console.log('clustertakeover: needs root (network namespaces); skipped');
    return out;
  }
  const ll = await Lifelines.start({ regions: ['a', 'b'], paging, timings: 'shipped' });
  try {
    await ll.waitAllSettled(120_000);
    const a = ll.get('a');
    const pagesOf = (token: string): ReceivedMail[] => ll.smtp.received.filter((m) => mailText(m).includes(token));
    const names = Array.from({ length: EVENTS }, (_, i) => `Take${i}x`);
    const fromA = a.logs.length;
    ll.smtp.failNext = Array.from({ length: 1_000 }, () => ({ code: 451, message: '4.3.0 try again later' }));
    for (const n of names) await ll.postAlert(groupPayload(n, 1));
    await waitFor('a claimed and queued every page', () => a.logged('paged', fromA).reduce((k, l) => k + Number(l['pages']), 0) >= names.length, 30_000, 20);
    await ll.kill('a');
    const killedAt = Date.now();
    ll.smtp.failNext = [];
    const deliveredByA = names.filter((n) => pagesOf(n).length > 0).length;
    await waitFor('b sent every page', () => names.every((n) => pagesOf(n).length > 0), CLAIM_LEASE_MS + 60_000, 100);
    const firsts = names.map((n) => Math.min(...pagesOf(n).map((m) => m.atMs)) - killedAt);
    out['clustertakeover_events'] = EVENTS;
    out['clustertakeover_delivered_by_a_before_kill'] = deliveredByA;
    out['clustertakeover_first_page_after_kill_ms'] = Math.min(...firsts);
    out['clustertakeover_last_page_after_kill_ms'] = Math.max(...firsts);
    out['clustertakeover_sent_by_b'] = names.filter((n) => pagesOf(n).some((m) => mailSender(m) === 'b')).length;
    console.log(`clustertakeover: SIGKILL of a with ${EVENTS} pages claimed and queued → b sent them ${Math.min(...firsts)}–${Math.max(...firsts)} ms after the kill (bound claim_lease + 5 s = ${CLAIM_LEASE_MS + 5_000} ms)`);

    const restartAt = Date.now();
    await ll.restart('a');
    await ll.waitReady('a', 120_000);
    out['clustertakeover_restart_to_ready_ms'] = Date.now() - restartAt;
    await new Promise((r) => setTimeout(r, PEER_TIMEOUT_MS));
    const counts = names.map((n) => pagesOf(n).length);
    out['clustertakeover_after_restart_duplicates'] = counts.reduce((k, c) => k + Math.max(0, c - 1), 0);
    out['clustertakeover_after_restart_lost'] = counts.filter((c) => c === 0).length;
    out['clustertakeover_a_recorded_sent_by_b'] = a.logged('paged_by_peer', fromA).filter((l) => l['peer'] === 'b').length;
    console.log(`clustertakeover: a restarted → ${out['clustertakeover_after_restart_duplicates']} duplicates, ${out['clustertakeover_after_restart_lost']} lost; a recorded ${out['clustertakeover_a_recorded_sent_by_b']} as sent by b`);
  } finally {
    await ll.destroy();
  }
  return out;
}
