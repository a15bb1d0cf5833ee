import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { describeError } from '../../errors.js';
import { ms } from '../probe.js';
import { tcpFrame } from './openvpnPacket.js';

/**
 * Packets queued unread, at most. A probe reads a handful (OpenVPN: 10 answers to its reset, then
 * its TLS flights); a hostile server can send far more. Past this a TCP socket stops reading (the
 * server's kernel then holds the rest: TCP flow control) and UDP datagrams are dropped. Without a
 * bound a server streaming empty 2-byte frames took Lifeline from 79 to 240 MB RSS and held
 * /healthz ~150 ms (issue 19): 32,000 packets cut out of every 64 KiB read.
 */
export const MAX_QUEUED = 64;

/**
 * A VPN probe's socket: a connected UDP socket (WireGuard, OpenVPN), or a TCP connection whose
 * stream is cut into packets by OpenVPN's 2-byte big-endian length prefix. Packets are queued as
 * they come (MAX_QUEUED at most), so nothing is lost between two reads; after close() nothing
 * more is read.
 */
export interface PacketSocket {
  /** Sends one control packet (framed for TCP). */
  send(packet: Buffer): void;
  /**
   * The next packet, or undefined when `signal` aborts first, the socket failed (see `error`) or
   * the server closed the TCP connection (see `closed`).
   */
  next(signal: AbortSignal): Promise<Buffer | undefined>;
  /** The socket's error (ICMP port unreachable comes as ECONNREFUSED on a connected UDP socket). */
  readonly error: Error | undefined;
  /** The server closed the TCP connection. */
  readonly closed: boolean;
  close(): void;
}

/**
 * Opens the socket: for UDP only a local bind and connect (nothing is sent); for TCP the
 * connection, which fails with the deadline (`signal`) as "no TCP connection within ...".
 */
export async function openPacketSocket(proto: 'udp' | 'tcp', address: string, port: number, signal: AbortSignal, timeoutMs: number): Promise<PacketSocket> {
  const packets: Buffer[] = [];
  let wake: (() => void) | undefined;
  let error: Error | undefined;
  let closed = false;
  const push = (p: Buffer): void => {
    packets.push(p);
    wake?.();
  };
  /** After a packet is taken: TCP cuts more out of what it holds and reads on (set below). */
  let taken = (): void => undefined;
  const fail = (e: Error): void => {
    error = e;
    wake?.();
  };
  let send: (p: Buffer) => void;
  let close: () => void;
  if (proto === 'udp') {
    const sock = dgram.createSocket(net.isIP(address) === 6 ? 'udp6' : 'udp4');
    // Datagrams still queued when the socket closes are dropped: close after the last one left.
    let inFlight = 0;
    let closeRequested = false;
    let sockClosed = false;
    const maybeClose = (): void => {
      if (!closeRequested || inFlight > 0 || sockClosed) return;
      sockClosed = true;
      sock.close();
    };
    close = () => {
      closeRequested = true;
      maybeClose();
    };
    sock.on('message', (p: Buffer) => {
      if (!closeRequested && packets.length < MAX_QUEUED) push(p);
    });
    sock.on('error', fail);
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(port, address, () => {
        sock.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      sockClosed = true;
      sock.close();
      throw err;
    });
    send = (p) => {
      if (closeRequested) return;
      inFlight++;
      sock.send(p, () => {
        inFlight--;
        maybeClose();
      });
    };
  } else {
    const sock = net.connect({ host: address, port });
    let buf: Buffer = Buffer.alloc(0);
    let closing = false;
    // end() sends what is queued, then FIN; destroy() if the server does not close in a second.
    // Nothing is read meanwhile: what the server still sends waits in its kernel, not in Lifeline.
    close = () => {
      closing = true;
      sock.pause();
      packets.length = 0;
      buf = Buffer.alloc(0);
      sock.end();
      setTimeout(() => sock.destroy(), 1000).unref();
    };
    /** Cuts whole frames out of `buf` while the queue has room; reads on only then. */
    const cut = (): void => {
      while (packets.length < MAX_QUEUED && buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const packet = buf.subarray(2, 2 + len);
        // buf first: push() may wake a reader that takes the packet and calls cut() again at once.
        buf = buf.subarray(2 + len);
        push(packet);
      }
      if (closing || packets.length >= MAX_QUEUED) sock.pause();
      else if (sock.isPaused()) sock.resume();
    };
    taken = cut;
    sock.on('data', (d: Buffer) => {
      if (closing) return;
      buf = buf.length > 0 ? Buffer.concat([buf, d]) : d;
      cut();
    });
    sock.on('error', fail);
    sock.on('close', () => {
      closed = true;
      wake?.();
    });
    await new Promise<void>((resolve, reject) => {
      const abort = (): void => reject(new Error(`no TCP connection within ${ms(timeoutMs)}`));
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      sock.once('connect', () => {
        signal.removeEventListener('abort', abort);
        resolve();
      });
      sock.once('error', (e) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      });
    }).catch((err: unknown) => {
      sock.destroy();
      throw err;
    });
    send = (p) => {
      if (!sock.destroyed) sock.write(tcpFrame(p));
    };
  }
  return {
    send,
    close,
    get error() {
      return error;
    },
    get closed() {
      return closed;
    },
    next(sig) {
      return new Promise<Buffer | undefined>((resolve) => {
        const done = (): void => {
          wake = undefined;
          sig.removeEventListener('abort', done);
          const p = packets.shift();
          if (p) taken();
          resolve(p);
        };
        if (packets.length > 0 || error || closed || sig.aborted) return done();
        wake = done;
        sig.addEventListener('abort', done, { once: true });
      });
    },
  };
}

/**
 * The address to send to: `host` itself when it is an IP address, else its first DNS answer (with
 * the lookup's seconds since `t0`, a performance.now() time); a sentence when DNS fails.
 */
export async function resolveHost(host: string, t0: number): Promise<{ address: string; dnsSeconds?: number } | string> {
  if (net.isIP(host) !== 0) return { address: host };
  try {
    const { address } = await lookup(host);
    return { address, dnsSeconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    return `DNS lookup of ${host} failed: ${describeError(err)}`;
  }
}

/**
 * A socket error in words: ECONNREFUSED is ICMP port unreachable on a connected UDP socket and a
 * refused connection over TCP: nothing listens there.
 */
export function socketFailure(proto: 'udp' | 'tcp', hostPort: string, err: Error): string {
  if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return proto === 'udp' ? `UDP ${hostPort}: ICMP port unreachable: nothing listens on that port` : `TCP ${hostPort}: connection refused: nothing listens there`;
  return `${proto.toUpperCase()} ${hostPort}: ${describeError(err)}`;
}
