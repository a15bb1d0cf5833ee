import assert from 'node:assert/strict';
import net from 'node:net';
import { MAX_QUEUED, openPacketSocket } from '../../../src/probes/kinds/packetSocket.js';
import { tcpFrame } from '../../../src/probes/kinds/openvpnPacket.js';

/** A TCP server on loopback that writes `chunks` to each connection, one write each, then waits. */
async function server(chunks: Buffer[]): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: net.Socket[] = [];
  const s = net.createServer((c) => {
    sockets.push(c.on('error', () => undefined));
    for (const b of chunks) c.write(b);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    port: (s.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => {
      for (const c of sockets) c.destroy();
      s.close(() => r());
    }),
  };
}

describe('packet socket over TCP: OpenVPN frames cut out of the stream, the queue bounded', () => {
  it('frames in one read, split across reads, and read one by one as the probe asks', async () => {
    const [a, b, c] = [Buffer.from('first'), Buffer.from('second'), Buffer.from('third packet')];
    const fc = tcpFrame(c);
    const srv = await server([Buffer.concat([tcpFrame(a), tcpFrame(b), fc.subarray(0, 5)]), fc.subarray(5)]);
    try {
      const sock = await openPacketSocket('tcp', '127.0.0.1', srv.port, AbortSignal.timeout(2_000), 2_000);
      const got: string[] = [];
      for (let i = 0; i < 3; i++) got.push(String(await sock.next(AbortSignal.timeout(2_000))));
      sock.close();
      assert.deepEqual(got, ['first', 'second', 'third packet']);
    } finally {
      await srv.close();
    }
  });

  it(`a flood of ${MAX_QUEUED * 50} frames in one write: every one the probe asks for comes, in order, none lost to the bound`, async () => {
    const frames = Array.from({ length: MAX_QUEUED * 50 }, (_, i) => tcpFrame(Buffer.from([i & 255])));
    const srv = await server([Buffer.concat(frames)]);
    try {
      const sock = await openPacketSocket('tcp', '127.0.0.1', srv.port, AbortSignal.timeout(5_000), 5_000);
      for (let i = 0; i < frames.length; i++) {
        const p = await sock.next(AbortSignal.timeout(2_000));
        assert.equal(p?.[0], i & 255, `packet ${i}`);
      }
      sock.close();
    } finally {
      await srv.close();
    }
  });
});
