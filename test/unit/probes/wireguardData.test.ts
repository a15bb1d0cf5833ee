import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dataMessage, icmpEcho, openData, readIcmp } from '../../../src/probes/kinds/wireguardData.js';
import type { WgSession } from '../../../src/probes/kinds/wireguardNoise.js';

/** RFC 1071: the sum over a block that carries its own checksum is 0xffff. */
function sums(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2 === 1) sum += (b[b.length - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Our session and the server's view of it (keys swapped). */
function sessions(): { ours: WgSession; theirs: WgSession } {
  const a = randomBytes(32);
  const b = randomBytes(32);
  return { ours: { sender: 7, receiver: 9, sendKey: a, recvKey: b }, theirs: { sender: 9, receiver: 7, sendKey: b, recvKey: a } };
}

describe('WireGuard data messages and the ICMP of the forwarding check', () => {
  it('an echo request has valid IPv4 and ICMP checksums, source, destination and id', () => {
    const p = icmpEcho('10.77.0.250', '10.88.0.2', 0x1234, 2, Buffer.from('x'));
    assert.equal(p.length, 20 + 8 + 1);
    assert.equal(sums(p.subarray(0, 20)), 0xffff);
    assert.equal(sums(p.subarray(20)), 0xffff);
    assert.deepEqual([...p.subarray(12, 16)], [10, 77, 0, 250]);
    assert.deepEqual([...p.subarray(16, 20)], [10, 88, 0, 2]);
    assert.equal(p.readUInt16BE(24), 0x1234);
  });

  it('a data message opens with the other side\'s keys, padded to 16 bytes; another receiver, a flipped bit or a short packet does not', () => {
    const { ours, theirs } = sessions();
    const inner = icmpEcho('10.77.0.250', '10.88.0.2', 1, 1, Buffer.from('hello'));
    const m = dataMessage(ours, 3n, inner);
    assert.equal(m[0], 4);
    assert.equal(m.readUInt32LE(4), 9);
    assert.equal(m.readBigUInt64LE(8), 3n);
    const opened = openData(theirs, m);
    assert.equal(opened?.length, 48);
    assert.deepEqual(opened?.subarray(0, inner.length), inner);
    assert.equal(openData(ours, m), undefined, 'addressed to the server, not to us');
    const flipped = Buffer.from(m);
    flipped[20] = (flipped[20] as number) ^ 1;
    assert.equal(openData(theirs, flipped), undefined);
    assert.equal(openData(theirs, m.subarray(0, 20)), undefined);
  });

  it('reads a reply to our id, an unreachable that quotes our id, and nothing else', () => {
    const req = icmpEcho('10.77.0.250', '10.88.0.2', 77, 1, Buffer.alloc(8));
    const reply = Buffer.from(req);
    reply.set([10, 88, 0, 2], 12);
    reply[20] = 0; // echo reply
    assert.deepEqual(readIcmp(reply, 77), { kind: 'reply', from: '10.88.0.2', seq: 1 });
    assert.deepEqual(readIcmp(reply, 78), { kind: 'other' }, 'another id');
    const unreachable = Buffer.concat([Buffer.alloc(20), Buffer.from([3, 1, 0, 0, 0, 0, 0, 0]), req.subarray(0, 28)]);
    unreachable[0] = 0x45;
    unreachable[9] = 1;
    unreachable.writeUInt16BE(unreachable.length, 2);
    unreachable.set([10, 77, 0, 1], 12);
    assert.deepEqual(readIcmp(unreachable, 77), { kind: 'unreachable', from: '10.77.0.1', code: 1 });
    assert.deepEqual(readIcmp(unreachable.subarray(0, 40), 77), { kind: 'other' }, 'the quote cut short');
  });

  it('random and truncated packets are never an answer and never throw', () => {
    for (let i = 0; i < 2000; i++) {
      const b = randomBytes(i % 80);
      if (b.length > 0) b[0] = i % 2 === 0 ? 0x45 : (b[0] as number);
      if (b.length > 9) b[9] = 1;
      const a = readIcmp(b, 1);
      assert.ok(a.kind === 'other' || a.kind === 'unreachable' || a.kind === 'time_exceeded' || (a.kind === 'reply' && b.length >= 28));
    }
  });
});
