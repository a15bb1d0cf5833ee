import { open, seal, type WgSession } from './wireguardNoise.js';

/*
 * WireGuard transport data (message type 4, WireGuard paper section 5.4.6), enough to send one
 * IPv4 packet through the tunnel and read what comes back, in user space: no tun device, no root.
 *
 *   type 4 | 3 zero bytes | receiver index (LE 32) | counter (LE 64) | AEAD(key, counter, packet, empty)
 *
 * The packet is zero-padded to a multiple of 16 bytes before sealing (the receiver trusts the IP
 * header's length). The initiator must speak first: the responder may only use the new keys once
 * a data message from the initiator has arrived. The server then routes the inner packet like any
 * packet from that peer — only if its source is in the peer's allowed-ips — so a ping through the
 * tunnel checks what the handshake cannot: forwarding, firewall and the route back.
 */

export const WG_DATA = 4;

/** A data message carrying `packet` with the session's `counter` (0, 1, ... per session). */
export function dataMessage(session: WgSession, counter: bigint, packet: Buffer): Buffer {
  const padded = Buffer.alloc(Math.ceil(packet.length / 16) * 16);
  packet.copy(padded);
  const head = Buffer.alloc(16);
  head[0] = WG_DATA;
  head.writeUInt32LE(session.receiver, 4);
  head.writeBigUInt64LE(counter, 8);
  return Buffer.concat([head, seal(session.sendKey, counter, padded, Buffer.alloc(0))]);
}

/** The inner packet of a data message for this session; undefined when it is not one (or does not open). */
export function openData(session: WgSession, m: Buffer): Buffer | undefined {
  if (m.length < 32 || m[0] !== WG_DATA || m.readUInt32LE(4) !== session.sender) return undefined;
  return open(session.recvKey, m.readBigUInt64LE(8), m.subarray(16), Buffer.alloc(0));
}

/** The Internet checksum (RFC 1071). */
function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2 === 1) sum += (b[b.length - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4(addr: string): Buffer {
  return Buffer.from(addr.split('.').map(Number));
}

/** An IPv4 ICMP echo request from `src` to `dst`. */
export function icmpEcho(src: string, dst: string, id: number, seq: number, payload: Buffer): Buffer {
  const icmp = Buffer.concat([Buffer.from([8, 0, 0, 0, id >> 8, id & 0xff, seq >> 8, seq & 0xff]), payload]);
  icmp.writeUInt16BE(checksum(icmp), 2);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45; // version 4, 20-byte header
  ip.writeUInt16BE(20 + icmp.length, 2);
  ip.writeUInt16BE(id, 4);
  ip[8] = 64; // TTL
  ip[9] = 1; // ICMP
  ipv4(src).copy(ip, 12);
  ipv4(dst).copy(ip, 16);
  ip.writeUInt16BE(checksum(ip), 10);
  return Buffer.concat([ip, icmp]);
}

/** What an ICMP packet from the tunnel says about our echo request. */
export type IcmpAnswer =
  | { kind: 'reply'; from: string; seq: number }
  | { kind: 'unreachable'; from: string; code: number }
  | { kind: 'time_exceeded'; from: string }
  | { kind: 'other' };

/** Reads an inner IPv4 packet as an answer to echo `id`. */
export function readIcmp(p: Buffer, id: number): IcmpAnswer {
  if (p.length < 28 || (p[0] as number) >> 4 !== 4 || p[9] !== 1) return { kind: 'other' };
  const ihl = ((p[0] as number) & 0x0f) * 4;
  const total = Math.min(p.readUInt16BE(2), p.length);
  if (total < ihl + 8) return { kind: 'other' };
  const from = [...p.subarray(12, 16)].join('.');
  const icmp = p.subarray(ihl, total);
  const type = icmp[0];
  if (type === 0) return icmp.readUInt16BE(4) === id ? { kind: 'reply', from, seq: icmp.readUInt16BE(6) } : { kind: 'other' };
  // Errors quote our packet: its IP header, then the first 8 bytes of our ICMP (with our id).
  if (type === 3 || type === 11) {
    const quoted = icmp.subarray(8);
    const qihl = (((quoted[0] ?? 0x45) as number) & 0x0f) * 4;
    if (quoted.length < qihl + 8 || quoted.readUInt16BE(qihl + 4) !== id) return { kind: 'other' };
    return type === 3 ? { kind: 'unreachable', from, code: icmp[1] as number } : { kind: 'time_exceeded', from };
  }
  return { kind: 'other' };
}

/** ICMP destination unreachable codes, in words. */
export const UNREACHABLE: Record<number, string> = {
  0: 'network unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  9: 'network administratively prohibited',
  10: 'host administratively prohibited',
  13: 'communication administratively prohibited (a firewall)',
};
