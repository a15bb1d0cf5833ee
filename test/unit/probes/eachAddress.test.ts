import assert from 'node:assert/strict';
import net from 'node:net';
import { parseConfig } from '../../../src/config/load.js';
import type { ProbeConfig } from '../../../src/config/probeSchema.js';
import { eachAddress } from '../../../src/probes/eachAddress.js';
import { tcpProbe } from '../../../src/probes/kinds/socket.js';
import { createProbe } from '../../../src/probes/registry.js';

/** each_address: one name, several loopback addresses (127.0.0.2, 127.0.0.3), one of them dead. */
describe('each_address: every address behind a name', () => {
  const servers: net.Server[] = [];
  let port = 0;
  before(async () => {
    // One port on two addresses: 127.0.0.2 answers; 127.0.0.3 gets no listener (refused).
    const a = net.createServer((s) => s.end());
    await new Promise<void>((r) => a.listen(0, '127.0.0.2', r));
    port = (a.address() as net.AddressInfo).port;
    servers.push(a);
  });
  after(() => servers.forEach((s) => s.close()));

  const cfg = (extra = ''): Extract<ProbeConfig, { kind: 'tcp' }> =>
    parseConfig(`probes:\n  targets:\n    - { name: portal, kind: tcp, host: portal.example.org, port: ${port}, each_address: true${extra} }\n`, 't.yaml', {}).probes.targets[0] as Extract<ProbeConfig, { kind: 'tcp' }>;
  const run = (addresses: string[], quorum = 1) =>
    eachAddress(tcpProbe(cfg()), 'portal.example.org', quorum, async () => addresses).run({ signal: AbortSignal.timeout(2000), timeoutMs: 2000, nowMs: Date.now() });

  it('all addresses up: up, each named', async () => {
    const b = net.createServer((s) => s.end());
    await new Promise<void>((r) => b.listen(port, '127.0.0.3', r));
    try {
      const r = await run(['127.0.0.2', '127.0.0.3']);
      assert.equal(r.up, true);
      assert.match(r.summary, /^portal\.example\.org: 2 addresses, all up; 127\.0\.0\.2 TCP connected in \d+ ms; 127\.0\.0\.3 TCP connected in \d+ ms$/);
      assert.equal(r.warning, undefined);
    } finally {
      b.close();
    }
  });

  it('one of two down: a warning naming the dead address and who still serves; both down: down', async () => {
    const r = await run(['127.0.0.2', '127.0.0.3']);
    assert.equal(r.up, true);
    assert.match(r.warning ?? '', new RegExp(`^portal\\.example\\.org: 2 addresses, 1 down \\(still served by 127\\.0\\.0\\.2\\): 127\\.0\\.0\\.3 TCP connection to portal\\.example\\.org:${port} refused`));
    assert.deepEqual(r.values, { addresses: 2, addresses_up: 1 });
    const q2 = await run(['127.0.0.2', '127.0.0.3'], 2);
    assert.equal(q2.up, false, 'address_quorum 2: one up is down');
    assert.match(q2.summary, /^portal\.example\.org: 2 addresses, 1 up \(quorum 2\); 127\.0\.0\.3 TCP connection/);
    const none = await run(['127.0.0.4', '127.0.0.3']);
    assert.equal(none.up, false);
  });

  it('DNS failures are down in words; the registry wraps a probe with each_address', async () => {
    const r = await eachAddress(tcpProbe(cfg()), 'portal.example.org', 1, async () => {
      throw Object.assign(new Error('queryA ENOTFOUND portal.example.org'), { code: 'ENOTFOUND' });
    }).run({ signal: AbortSignal.timeout(2000), timeoutMs: 2000, nowMs: Date.now() });
    assert.deepEqual([r.up, r.summary], [false, 'DNS: portal.example.org does not exist (NXDOMAIN)']);
    const empty = await run([]);
    assert.equal(empty.summary, 'DNS: portal.example.org has no A or AAAA record');
    const viaRegistry = await createProbe(parseConfig(`probes:\n  targets:\n    - { name: p, kind: tcp, host: 127.0.0.2, port: ${port}, each_address: true }\n`, 't.yaml', {}).probes.targets[0]!, { heartbeats: { last: () => undefined, failure: () => undefined, sinceMs: 0 }, wgTimestamps: { next: () => 0n } as never });
    const v = await viaRegistry.run({ signal: AbortSignal.timeout(2000), timeoutMs: 2000, nowMs: Date.now() });
    assert.match(v.summary, /^127\.0\.0\.2: 1 address, all up; 127\.0\.0\.2 TCP connected/);
  });
});
