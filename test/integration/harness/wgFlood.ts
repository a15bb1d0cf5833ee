import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { initiate } from '../../../src/probes/kinds/wireguardNoise.js';

/**
 * Puts a WireGuard server under load, as wireguard-go defines it (device.go IsUnderLoad): its
 * handshake queue at least 1/8 full (128 of 1024). Sends `count` copies of one initiation from a
 * key the server does not know — a valid mac1 (it names the server's public key), so each one is
 * queued and checked — in one burst, then waits `settleMs`: long enough for the queue to drain
 * (so the next initiation is not dropped at a full queue), well inside the second for which the
 * server stays "under load" and answers initiations without a valid mac2 with a cookie reply.
 */
export async function wgFlood(host: string, port: number, serverPublicB64: string, count: number, settleMs = 150): Promise<void> {
  const junk = initiate({ privateKey: randomBytes(32), serverPublic: Buffer.from(serverPublicB64, 'base64'), psk: Buffer.alloc(32) }, BigInt(Date.now()) * 1_000_000n).message;
  const sock = dgram.createSocket('udp4');
  sock.on('error', () => undefined); // ICMP errors from a stopped server: nothing to flood then
  await new Promise<void>((resolve) => sock.connect(port, host, resolve));
  await Promise.all(Array.from({ length: count }, () => new Promise<void>((resolve) => sock.send(junk, () => resolve()))));
  await new Promise((r) => setTimeout(r, settleMs));
  sock.close();
}
