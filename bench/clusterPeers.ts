/*
 * Bench part `clusterpeers` (issue 23): whole Lifelines in two regions (test/integration/cluster/
 * lifelines.ts) at the shipped cluster defaults (heartbeat_interval 2s, peer_timeout 15s,
 * settle_timeout 1m): only region a has IRC (ngircd), so what b does comes from the cluster.
 *   - silence set on A (IRC `!silence`) → in force on B (both log silence_created): 20 silences,
 *     one every 600 ms (commands.rate_burst 100 so none is refused), after one warm-up;
 *   - SIGKILL of A → B's "LifelinePeerDown a" email at the SMTP sink (the bound:
 *     peer_timeout + 5 s), and A restarted → its /readyz 200 (not ready until settled).
 */
import { IrcPeer } from '../test/integration/harness/ircPeer.js';
import { Ngircd } from '../test/integration/harness/ngircd.js';
import { waitFor } from '../test/integration/harness/procs.js';
import { percentile } from '../test/integration/cluster/instances.js';
import { Lifelines } from '../test/integration/cluster/lifelines.js';

const at = (l: Record<string, unknown>): number => Date.parse(String(l['time']));

export async function benchClusterPeers(): Promise<Record<string, number>> {
  const ircd = await Ngircd.start();
  const irc = `irc:\n  host: 127.0.0.1\n  port: ${ircd.port}\n  tls: false\n  nick: lifeline-a\n  bouncer: none\n  channels:\n    - name: "#alerts"\ncommands:\n  allowed: ["nick:alice"]\n  rate_burst: 100`;
  const ll = await Lifelines.start({ regions: ['a', 'b'], timings: 'shipped', extra: (r) => (r === 'a' ? irc : '') });
  let alice: IrcPeer | undefined;
  try {
    await ll.waitAllSettled(90_000);
    alice = await IrcPeer.connect(ircd.port, 'alice');
    const a = ll.get('a');
    const b = ll.get('b');
    await waitFor('lifeline-a joined', () => alice?.lines.some((l) => / 353 .*lifeline-a/.test(l) || l.startsWith(':lifeline-a!')), 15_000);
    const lat: number[] = [];
    for (let i = 0; i <= 20; i++) {
      const [fa, fb] = [a.logs.length, b.logs.length];
      alice.send(`PRIVMSG #alerts :!silence alertname=Bench${i} 1h`);
      const onA = await a.waitLogged('silence_created', 10_000, fa);
      const onB = await b.waitLogged('silence_created', 10_000, fb, (l) => l['from'] === 'a');
      if (i > 0) lat.push(at(onB) - at(onA));
      await new Promise((r) => setTimeout(r, 600));
    }
    const killedAt = Date.now();
    await ll.kill('a');
    const [mail] = await ll.waitMails(/LifelinePeerDown a/, 1, 30_000);
    const down = (mail?.atMs ?? NaN) - killedAt;
    const restartAt = Date.now();
    await ll.restart('a');
    await ll.waitReady('a', 90_000);
    const ready = Date.now() - restartAt;
    return {
      clusterpeers_silence_a_to_b_p50_ms: percentile(lat, 50),
      clusterpeers_silence_a_to_b_p99_ms: percentile(lat, 99),
      clusterpeers_sigkill_to_peer_down_email_ms: down,
      clusterpeers_restart_to_ready_ms: ready,
    };
  } finally {
    alice?.close();
    await ll.destroy();
    await ircd.destroy();
  }
}
