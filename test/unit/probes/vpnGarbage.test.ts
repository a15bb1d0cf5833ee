import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../../src/config/load.js';
import type { ProbeConfig } from '../../../src/config/probeSchema.js';
import { openvpnProbe } from '../../../src/probes/kinds/openvpn.js';
import { wireguardProbe } from '../../../src/probes/kinds/wireguard.js';

/** A UDP peer on loopback that answers every packet with what `reply` makes of it. */
async function udpPeer(reply: (m: Buffer) => Buffer[]): Promise<{ port: number; close: () => void }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => {
    for (const out of reply(m)) s.send(out, r.port, r.address);
  });
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', res));
  return { port: (s.address() as AddressInfo).port, close: () => s.close() };
}

function cfg<K extends ProbeConfig['kind']>(yaml: string): Extract<ProbeConfig, { kind: K }> {
  return parseConfig(`probes:\n  targets:\n    - ${yaml}\n`, 't.yaml', {}).probes.targets[0] as Extract<ProbeConfig, { kind: K }>;
}

const KEY = 'WIoV63zay2p8ZeVY3FvCQfD/lEbGrLeWO0UP55AdGmE=';
const SERVER = 'Oh318UQch+W6KhzSpZ+b8hUyct6ZYvPpWRX9SAATYGY=';
const run = (p: { run: (c: { signal: AbortSignal; timeoutMs: number; nowMs: number }) => Promise<{ up: boolean; summary: string }> }) =>
  p.run({ signal: AbortSignal.timeout(600), timeoutMs: 600, nowMs: Date.now() });

describe('VPN probes and garbage: truncated, random and foreign replies are reported, never trusted, never a crash', () => {
  it('wireguard: 3 bytes, a response for another sender index, random bytes', async () => {
    const peer = await udpPeer((m) => {
      const foreign = Buffer.alloc(92);
      foreign[0] = 2;
      foreign.writeUInt32LE((m.readUInt32LE(4) + 1) >>> 0, 8);
      return [randomBytes(3), foreign, randomBytes(200)];
    });
    try {
      const r = await run(wireguardProbe(cfg<'wireguard'>(`{ name: wg, kind: wireguard, host: 127.0.0.1, port: ${0}, server_public_key: "${SERVER}", private_key: "${KEY}" }`.replace('port: 0', `port: ${peer.port}`)), { timestamps: { next: (_k, ns) => ns } }));
      assert.equal(r.up, false);
      assert.match(r.summary, /^no handshake response from 127\.0\.0\.1:\d+ within 600 ms \(ignored 3 packets that did not answer this handshake: 3 bytes of type \d+; a response to another handshake; 200 bytes of type \d+\): WireGuard stays silent/);
    } finally {
      peer.close();
    }
  });

  it('openvpn: a truncated packet, and a server reset for another session', async () => {
    const peer = await udpPeer(() => {
      const other = Buffer.alloc(9 + 1 + 4 + 8 + 4);
      other[0] = 8 << 3;
      other[9] = 1; // one ack: packet id 0, then a session id that is not ours
      randomBytes(8).copy(other, 14);
      return [randomBytes(3), other];
    });
    try {
      const r = await run(openvpnProbe(cfg<'openvpn'>(`{ name: ov, kind: openvpn, host: 127.0.0.1, port: ${peer.port} }`)));
      assert.equal(r.up, false);
      assert.equal(r.summary, 'an answer that is not the server\'s reset for this session: 3 bytes; it answers another session');
    } finally {
      peer.close();
    }
  });

  it('openvpn: a key file or ca_file it cannot use fails every run, naming the key, and sends nothing', async () => {
    let packets = 0;
    const peer = await udpPeer(() => {
      packets++;
      return [];
    });
    try {
      const missing = await run(openvpnProbe(cfg<'openvpn'>(`{ name: ov, kind: openvpn, host: 127.0.0.1, port: ${peer.port}, tls_auth_file: /nonexistent/ta.key, key_direction: 1 }`)));
      assert.match(missing.summary, /^cannot use tls_auth_file: ENOENT/);
      const notCa = await run(openvpnProbe(cfg<'openvpn'>(`{ name: ov, kind: openvpn, host: 127.0.0.1, port: ${peer.port}, deep: true, ca_file: ${new URL(import.meta.url).pathname} }`)));
      assert.match(notCa.summary, /^cannot use ca_file .*: no PEM certificate in it$/);
      assert.equal(packets, 0);
    } finally {
      peer.close();
    }
  });
});
