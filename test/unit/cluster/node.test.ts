import assert from 'node:assert/strict';
import net from 'node:net';
import { pino } from 'pino';
import { ClusterNode, type ClusterEvent } from '../../../src/cluster/node.js';
import { parseConfig } from '../../../src/config/load.js';
import { openDb } from '../../../src/store/db.js';
import { FakeClock } from '../fakeClock.js';

/** A loopback port nothing listens on (taken and released). */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('ClusterNode without its nats-server (issue 23)', () => {
  it("peers go down with reason local after peer_timeout (→ this region's NATS is down), and paging/readiness wait at most settle_timeout from launch, logged once", async () => {
    const port = await closedPort();
    const config = parseConfig(`cluster:\n  name: b\n  peers: [{ name: a }]\n  nats_url: nats://127.0.0.1:${port}\n  peer_timeout: 3s\n  heartbeat_interval: 500ms\n  settle_timeout: 20s\n`, 't.yaml', {});
    const cluster = config.cluster;
    assert.ok(cluster);
    const clock = new FakeClock();
    const records: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void records.push(JSON.parse(s) as Record<string, unknown>) });
    const node = ClusterNode.launch({ config: cluster, db: openDb(':memory:'), clock, log, apply: () => undefined });
    const events: ClusterEvent[] = [];
    node.on((e) => events.push(e));
    try {
      assert.match(node.unsettledReason() ?? '', /not yet connected to this region's nats-server \(nats:\/\/127\.0\.0\.1:\d+\)/);
      clock.advance(3_000);
      // downReason is asynchronous (it would ask the peer's region): let it run.
      for (let i = 0; i < 20 && events.length === 0; i++) await new Promise((r) => setImmediate(r));
      assert.deepEqual(events.map((e) => (e.kind === 'peerDown' ? `${e.peer}:${e.reason}` : e.kind)), ['a:local']);
      assert.notEqual(node.unsettledReason(), undefined, 'still within settle_timeout');
      clock.advance(17_000);
      assert.equal(node.unsettledReason(), undefined, 'pages without waiting longer than settle_timeout');
      assert.equal(node.unsettledReason(), undefined);
      assert.equal(records.filter((r) => r['event'] === 'cluster_settle_timeout').length, 1, 'logged once');
      assert.equal(node.settled, false, 'not settled: only not waited for');
    } finally {
      await node.stop();
    }
  });
});
