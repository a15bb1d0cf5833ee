/*
 * Bench part `clustermutes` (issue 23): operator actions across two regions of whole Lifelines
 * (test/integration/cluster/lifelines.ts) at the shipped cluster defaults (heartbeat_interval 2s,
 * peer_timeout 15s, settle_timeout 1m, claim_lease 1m); only region a has IRC (ngircd) and a
 * maintenance window in its config, so what b does comes from the cluster. Alice paged by email
 * at once (`bundle_window: 0s`, as in clusterpaging).
 *   - `!unack` on a → b logs the incident reopened (incident_unacked from peer a): 30 events, each
 *     posted to both, paged, acked on a (`!ack`, applied on b), then unacked;
 *   - a restarted (SIGKILL, start) → b logs a's maintenance set applied (peer_maintenance): 3 restarts.
 */
import { episodeOf } from '../src/escalation/episode.js';
import { episodeCode } from '../src/store/incidents.js';
import { IrcPeer } from '../test/integration/harness/ircPeer.js';
import { Ngircd } from '../test/integration/harness/ngircd.js';
import { waitFor } from '../test/integration/harness/procs.js';
import { groupPayload } from '../test/integration/harness/webhook.js';
import { percentile } from '../test/integration/cluster/instances.js';
import { Lifelines, defaultPaging, mailText } from '../test/integration/cluster/lifelines.js';

const at = (l: Record<string, unknown>): number => Date.parse(String(l['time']));

export async function benchClusterMutes(): Promise<Record<string, number>> {
  if (process.getuid?.() !== 0) {
    console.log('clustermutes: needs root (network namespaces); skipped');
    return {};
  }
  const ircd = await Ngircd.start();
  const irc = `irc:\n  host: 127.0.0.1\n  port: ${ircd.port}\n  tls: false\n  nick: lifeline-a\n  bouncer: none\n  channels:\n    - name: "#alerts"\ncommands:\n  allowed: ["nick:alice"]\n  rate_burst: 100\nmaintenance:\n  - { name: nightly, match: { alertname: NeverFires }, cron: "0 3 * * *", duration: 1h, time_zone: UTC }`;
  const ll = await Lifelines.start({ regions: ['a', 'b'], timings: 'shipped', paging: defaultPaging({ notify: 'email', bundleWindow: '0s' }), extra: (r) => (r === 'a' ? irc : '') });
  let alice: IrcPeer | undefined;
  try {
    await ll.waitAllSettled(120_000);
    alice = await IrcPeer.connect(ircd.port, 'alice');
    const b = ll.get('b');
    await waitFor('lifeline-a joined', () => alice?.lines.some((l) => / 353 .*lifeline-a/.test(l) || l.startsWith(':lifeline-a!')), 15_000);
    const unacks: number[] = [];
    for (let i = 0; i < 30; i++) {
      const name = `Unack${i}x`;
      await ll.postAlert(groupPayload(name, 1));
      await waitFor(`page of ${name}`, () => ll.smtp.received.some((m) => mailText(m).includes(name)), 20_000, 5);
      const code = episodeCode(episodeOf({ source: 'alertmanager', fingerprint: `${name}-0`, startsAt: '2026-11-23T00:00:00Z' }) ?? '', 0);
      const fb = b.logs.length;
      alice.send(`PRIVMSG #alerts :!ack ${code}`);
      await b.waitLogged('incident_acked', 10_000, fb, (l) => l['peer'] === 'a' && l['code'] === code);
      const fb2 = b.logs.length;
      const start = Date.now();
      alice.send(`PRIVMSG #alerts :!unack ${code}`);
      const line = await b.waitLogged('incident_unacked', 10_000, fb2, (l) => l['peer'] === 'a');
      unacks.push(at(line) - start);
    }
    console.log(`clustermutes: !unack on a → reopened on b p50 ${percentile(unacks, 50)} ms, p99 ${percentile(unacks, 99)} ms (n=30)`);
    const windows: number[] = [];
    for (let i = 0; i < 3; i++) {
      const fb = b.logs.length;
      await ll.kill('a');
      const start = Date.now();
      await ll.restart('a');
      const line = await b.waitLogged('peer_maintenance', 120_000, fb, (l) => l['peer'] === 'a');
      windows.push(at(line) - start);
      await ll.waitReady('a', 120_000);
    }
    console.log(`clustermutes: a restarted → its maintenance windows applied on b: ${windows.join(', ')} ms`);
    return {
      clustermutes_unack_a_to_b_p50_ms: percentile(unacks, 50),
      clustermutes_unack_a_to_b_p99_ms: percentile(unacks, 99),
      clustermutes_restart_to_windows_on_b_max_ms: Math.max(...windows),
    };
  } finally {
    alice?.close();
    await ll.destroy();
    await ircd.destroy();
  }
}
