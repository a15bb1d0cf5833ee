import { X509Certificate } from 'node:crypto';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { describeError } from '../../errors.js';
import { OP_ACK_V1, OP_CONTROL_V1, OP_RESET_SERVER_V2, type ControlChannel } from './openvpnPacket.js';
import type { PacketSocket } from './packetSocket.js';

/*
 * OpenVPN carries its TLS session in P_CONTROL_V1 packets over a small reliability layer
 * (reliable.c): every P_CONTROL_V1 has a message packet id (ours count up from 1, our reset having
 * been 0) and is acknowledged by id, either in the ack array at the front of a later packet or in
 * a bare P_ACK_V1. Payloads must be fed to TLS in message id order; a packet not acknowledged is
 * sent again (OpenVPN's first retransmit is after 2 s).
 *
 * A 2.6 UDP server keeps no state for a reset. Our first P_CONTROL_V1 must acknowledge the
 * server's reset (id 0, with its session id, which is an HMAC cookie) and carry message id 1: only
 * then does the server create a client instance (mudp.c, ssl_pkt.c check_session_hmac_and_pkt_id)
 * — and that is where max-clients is enforced: a full server drops it silently. So the TLS
 * ClientHello is the first thing a full server does not answer.
 *
 * We present no client certificate. With TLS 1.3 the client has finished its side (and has the
 * server's certificate) before the server checks ours; the server then fails the handshake, logs
 * a TLS error and frees the instance: the probe holds a client slot for milliseconds. A server
 * that does not ask for client certificates (verify-client-cert none) keeps the slot until its
 * hand-window (60 s by default) ends.
 */

/** Bytes of TLS per P_CONTROL_V1: below 2.6's default tls-mtu (1250) with room for the wrapping. */
const CHUNK = 1000;
/** OpenVPN's initial retransmit interval for control packets. */
const RETRANSMIT_MS = 2000;
/** How long TLS may take to hand over its last bytes (Finished, close_notify) at the end. */
const FLUSH_MS = 200;
/**
 * Once the server's certificate has been seen, how long to wait for the handshake's end. With
 * TLS 1.2 a server that wants a client certificate aborts after showing its own, and its alert
 * may never be sent (the instance is torn down first), so the certificate seen is the answer.
 */
const GRACE_MS = 500;
/** Server message ids accepted ahead of the next one to read. */
const WINDOW = 64;
/** Acks per packet (OpenVPN reads up to 8; SoftEther only 4). */
const MAX_ACKS = 4;

/** The server's certificate as the TLS handshake showed it. */
export interface OvpnServerCertificate {
  subject: string;
  issuer: string;
  validTo: string;
  fingerprint256: string;
  /** The negotiated protocol ("TLSv1.3"). */
  protocol: string;
  /** Set when a CA was given: whether the certificate verifies against it, and why not. */
  verified?: { ok: boolean; error?: string };
}

/** How the TLS part of a deep probe ended. */
export type OvpnTlsOutcome =
  | { ok: true; cert: OvpnServerCertificate }
  /** `serverSpoke`: the server sent at least one TLS packet (it has room; TLS itself failed). */
  | { ok: false; why: string; serverSpoke: boolean };

function names(n: tls.Certificate | undefined): string {
  if (!n) return '?';
  const cn = n.CN;
  if (cn) return `CN=${Array.isArray(cn) ? cn.join('+') : cn}`;
  return Object.entries(n).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ') || '?';
}

/**
 * Verifies the chain the server showed against the CAs in `ca` (PEM), for when TLS ended before
 * Node verified it (TLS 1.2, see GRACE_MS): each certificate within its dates and signed by the
 * next, until one is signed by a CA from the file.
 */
function verifyShown(peer: tls.DetailedPeerCertificate, ca: string, nowMs: number): { ok: boolean; error?: string } {
  const cas = (ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
  let shown = peer;
  let cur = new X509Certificate(peer.raw);
  for (let depth = 0; depth < 10; depth++) {
    if (Date.parse(cur.validTo) < nowMs || Date.parse(cur.validFrom) > nowMs) return { ok: false, error: `${cur.subject.replace(/\n/g, ', ')} is outside its validity dates` };
    if (cas.some((a) => cur.checkIssued(a) && cur.verify(a.publicKey))) return { ok: true };
    const next = shown.issuerCertificate;
    if (!next || next === shown || next.raw.equals(shown.raw)) break;
    const up = new X509Certificate(next.raw);
    if (!cur.checkIssued(up) || !cur.verify(up.publicKey)) break;
    shown = next;
    cur = up;
  }
  return { ok: false, error: 'no chain from the certificate to a CA in ca_file' };
}

/**
 * Continues a session whose reset the server answered (`serverSession`): a TLS handshake over
 * P_CONTROL_V1 up to the server's certificate. Ends when the certificate is in, TLS fails, the
 * socket fails or `signal` aborts (the probe's deadline). Never throws.
 */
export function tlsOverControl(t: PacketSocket, channel: ControlChannel, serverSession: Buffer, signal: AbortSignal, ca: string | undefined, nowMs: number): Promise<OvpnTlsOutcome> {
  return new Promise<OvpnTlsOutcome>((resolve) => {
    const acksDue: number[] = [0]; // the server's reset, acknowledged with our first packet
    const unacked = new Map<number, Buffer>();
    const early = new Map<number, Buffer>();
    let nextId = 1;
    let expected = 1;
    let serverSpoke = false;
    let finished = false;
    const ackPart = (): { ids: number[]; session: Buffer } | undefined => (acksDue.length > 0 ? { ids: acksDue.splice(0, MAX_ACKS), session: serverSession } : undefined);
    const sendData = (id: number, piece: Buffer): void => t.send(channel.packet(OP_CONTROL_V1, ackPart(), id, piece));

    const wire = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        for (let i = 0; i < chunk.length; i += CHUNK) {
          const id = nextId++;
          const piece = chunk.subarray(i, i + CHUNK);
          unacked.set(id, piece);
          sendData(id, piece); // also after the outcome: our Finished and close_notify free the server's slot
        }
        cb();
      },
    });
    // OpenVPN checks the certificate's key usage and name by its own rules (remote-cert-tls,
    // verify-x509-name), never against a host name: only the chain is verified here.
    const s = tls.connect({ socket: wire, rejectUnauthorized: false, ...(ca ? { ca } : {}), checkServerIdentity: () => undefined, minVersion: 'TLSv1.2' });

    let grace: NodeJS.Timeout | undefined;
    const finish = (o: OvpnTlsOutcome): void => {
      if (finished) return;
      finished = true;
      clearTimeout(grace);
      // close_notify, so a server that has already accepted the TLS session frees its slot; the
      // outcome is given once TLS has handed its last bytes to the control channel.
      const flushed = setTimeout(done, FLUSH_MS);
      wire.once('finish', done);
      s.end();
      function done(): void {
        clearTimeout(flushed);
        s.destroy();
        wire.destroy();
        resolve(o);
      }
    };
    /** The server's certificate; `complete`: TLS finished its handshake (and its verification). */
    const certificate = (complete = false): OvpnServerCertificate | undefined => {
      const c = s.getPeerCertificate(true);
      if (!c || !c.valid_to) return undefined;
      return {
        subject: names(c.subject),
        issuer: names(c.issuer),
        validTo: c.valid_to,
        fingerprint256: c.fingerprint256,
        protocol: s.getProtocol() ?? '?',
        ...(ca ? { verified: !complete ? verifyShown(c, ca, nowMs) : s.authorized ? { ok: true } : { ok: false, error: String(s.authorizationError ?? 'not verified') } } : {}),
      };
    };
    s.once('secureConnect', () => {
      const cert = certificate(true);
      finish(cert ? { ok: true, cert } : { ok: false, why: 'the TLS handshake completed without a server certificate', serverSpoke });
    });
    s.on('error', (err) => {
      // TLS 1.2: the server refuses our (absent) client certificate after it has shown its own.
      const cert = certificate();
      finish(cert ? { ok: true, cert } : { ok: false, why: `TLS handshake failed: ${describeError(err)}`, serverSpoke });
    });

    void (async () => {
      for (let round = 0; !finished && round < 10_000; round++) {
        const m = await t.next(AbortSignal.any([signal, AbortSignal.timeout(RETRANSMIT_MS)]));
        if (finished) return;
        if (m === undefined) {
          if (signal.aborted || t.error || t.closed) {
            const why = t.error ? describeError(t.error) : t.closed ? 'the server closed the TCP connection' : 'timeout';
            finish({ ok: false, why, serverSpoke });
            return;
          }
          for (const [id, piece] of unacked) sendData(id, piece);
          continue;
        }
        const p = channel.read(m);
        if (typeof p === 'string' || !p.sessionId.equals(serverSession)) continue; // not ours: never trusted
        for (const a of p.acks) unacked.delete(a);
        if (p.op === OP_RESET_SERVER_V2) {
          if (!acksDue.includes(0)) acksDue.push(0); // our ack of its reset was lost: again
        }
        else if (p.op === OP_CONTROL_V1 && p.messageId !== undefined) {
          // Ids far ahead of what we have read are not kept (a real server never runs that far
          // ahead, its send window is a few packets): what we hold stays bounded.
          if (p.messageId >= expected + WINDOW) continue;
          serverSpoke = true;
          if (!acksDue.includes(p.messageId)) acksDue.push(p.messageId);
          if (p.messageId >= expected && !early.has(p.messageId)) early.set(p.messageId, Buffer.from(p.payload));
          for (let next = early.get(expected); next !== undefined; next = early.get(expected)) {
            early.delete(expected++);
            wire.push(next);
          }
          if (!grace)
            setImmediate(() => {
              const cert = !finished && !grace ? certificate() : undefined;
              if (cert) grace = setTimeout(() => finish({ ok: true, cert }), GRACE_MS);
            });
        } else if (p.op !== OP_ACK_V1) continue;
        // Acks ride on our next P_CONTROL_V1 when TLS answers at once; otherwise a bare P_ACK_V1.
        setImmediate(() => {
          if (!finished && acksDue.length > 0) t.send(channel.packet(OP_ACK_V1, ackPart(), undefined));
        });
      }
    })();
  });
}
