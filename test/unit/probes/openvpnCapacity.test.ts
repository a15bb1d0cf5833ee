import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../../src/config/load.js';
import type { ProbeConfig } from '../../../src/config/probeSchema.js';
import { openvpnCapacityProbe } from '../../../src/probes/kinds/openvpnCapacity.js';

/**
 * The capacity probe's arithmetic (sums over servers, thresholds, trend and time to full) with the
 * run's time given: a local socket answers load-stats and status 3 in the management interface's
 * wire format (the integration test talks to real openvpn servers).
 */
describe('openvpn_capacity: thresholds, several servers, trend and time to full', () => {
  const servers: net.Server[] = [];
  const counts: number[] = [];
  async function mgmt(i: number): Promise<number> {
    const s = net.createServer((c) => {
      c.write('>INFO:OpenVPN Management Interface Version 5 -- type \'help\' for more info\r\n');
      c.on('data', (d) => {
        for (const cmd of d.toString().split('\n').filter(Boolean)) {
          if (cmd === 'load-stats') c.write(`SUCCESS: nclients=${counts[i]},bytesin=1,bytesout=2\r\n`);
          if (cmd === 'status 3') c.write(`TITLE\tOpenVPN 2.6\r\n${Array.from({ length: counts[i] ?? 0 }, (_, k) => `CLIENT_LIST\tc${k}\r\n`).join('')}END\r\n`);
          if (cmd === 'quit') c.end();
        }
      });
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    return (s.address() as AddressInfo).port;
  }
  after(() => servers.forEach((s) => s.close()));

  it('adds up servers behind one address; warns at 80 %, down at 95 %; the trend gives the time to full', async () => {
    const [a, b] = [await mgmt(0), await mgmt(1)];
    const cfg = parseConfig(`probes:\n  targets:\n    - { name: vpn, kind: openvpn_capacity, servers: [{ host: 127.0.0.1, port: ${a}, max_clients: 10 }, { host: 127.0.0.1, port: ${b}, max_clients: 10 }] }\n`, 't.yaml', {}).probes.targets[0] as Extract<ProbeConfig, { kind: 'openvpn_capacity' }>;
    const probe = openvpnCapacityProbe(cfg);
    const t = Date.UTC(2026, 10, 23, 3, 0);
    const at = (ms: number) => probe.run({ signal: AbortSignal.timeout(2000), timeoutMs: 2000, nowMs: t + ms });
    counts[0] = 5;
    counts[1] = 5;
    let r = await at(0);
    assert.equal(r.up, true);
    assert.match(r.summary, /^10 of 20 clients \(50 % of max-clients\) \[127\.0\.0\.1:\d+ 5\/10, 127\.0\.0\.1:\d+ 5\/10\]; management answered in \d+ ms$/);
    counts[0] = 7;
    await at(60_000);
    counts[1] = 9; // 16 of 20: 80 %; the fit over 10, 12, 16 rises 3 a minute: 4 left, full in ~1.3 min
    r = await at(120_000);
    assert.equal(r.up, true);
    assert.match(r.summary, /^16 of 20 clients \(80 % of max-clients\) \[.*\], rising 30\.0 per 10 min: full in ~1 min$/);
    assert.equal(r.warning, 'OpenVPN at 80 % of max-clients (16 of 20); full in ~1 min');
    counts[1] = 12; // 19 of 20
    r = await at(180_000);
    assert.equal(r.up, false);
    assert.match(r.summary, /^OpenVPN nearly full: 19 of 20 clients \(95 % of max-clients\)/);
    assert.deepEqual(r.values, { clients: 19, max_clients: 20, percent: 95 });
  });

  it('full is "full now", and a trend never contradicts the count just read (issue 21 §3)', async () => {
    const a = await mgmt(2);
    const cfg = parseConfig(`probes:\n  targets:\n    - { name: vpn, kind: openvpn_capacity, servers: [{ host: 127.0.0.1, port: ${a}, max_clients: 10 }] }\n`, 't.yaml', {}).probes.targets[0] as Extract<ProbeConfig, { kind: 'openvpn_capacity' }>;
    const probe = openvpnCapacityProbe(cfg);
    const t = Date.UTC(2026, 10, 23, 3, 0);
    const at = (ms: number) => probe.run({ signal: AbortSignal.timeout(2000), timeoutMs: 2000, nowMs: t + ms });
    for (const [i, n] of [2, 5, 8, 10].entries()) {
      counts[2] = n;
      await at(i * 60_000);
    }
    let r = await at(4 * 60_000);
    assert.match(r.summary, /^OpenVPN nearly full: 10 of 10 clients \(100 % of max-clients\): full now; new clients are refused/);
    assert.doesNotMatch(r.summary, /full in/);
    counts[2] = 0; // drained: the window still holds the ramp, whose line rises
    r = await at(5 * 60_000);
    assert.match(r.summary, /^0 of 10 clients \(0 % of max-clients\), falling; management answered/);
    assert.doesNotMatch(r.summary, /rising|full in/);
  });
});
