import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * OpenVPN's control-channel reset, as a client sends it (OpenVPN 2.x, ssl_pkt.c, tls_crypt.c):
 *
 *   byte 0          opcode << 3 | key_id    P_CONTROL_HARD_RESET_CLIENT_V2 = 7, _SERVER_V2 = 8
 *   8 bytes         session id (random)
 *   [tls-auth]      HMAC (20 bytes for SHA1, 32 for SHA256), packet id (4), net time (4)
 *   1 byte          ack count; per ack a 4-byte packet id, then (if any) the peer's session id
 *   4 bytes         message packet id (0 for the reset)
 *   payload         (empty for a client reset)
 *
 * tls-auth: the HMAC covers packet id, net time, then opcode, session id and the rest (the wire
 * order with the HMAC and replay fields moved to the front). tls-crypt: op | sid | packet id | net
 * time | tag (HMAC-SHA256 over all of that and the plaintext) | AES-256-CTR(rest, IV = tag[0:16]).
 * Over TCP every packet has a 2-byte big-endian length before it.
 *
 * Static key files ("OpenVPN Static key V1", 256 bytes) hold two key sets of 64 cipher + 64 HMAC
 * bytes. key-direction 1 (a client's usual) sends with set 1 and receives with set 0; 0 the
 * reverse; none uses set 0 both ways. tls-crypt clients always send with set 1.
 */

export const OP_RESET_CLIENT_V2 = 7;
export const OP_RESET_SERVER_V2 = 8;
/** A control packet carrying TLS records, and a bare acknowledgement. */
export const OP_CONTROL_V1 = 4;
export const OP_ACK_V1 = 5;

/** How the control channel is wrapped. */
export type OvpnWrap =
  | { kind: 'plain' }
  | { kind: 'tls-auth'; key: Buffer; direction: 0 | 1 | undefined; digest: 'sha1' | 'sha256' | 'sha512' }
  | { kind: 'tls-crypt'; key: Buffer };

/** Reads an "OpenVPN Static key V1" file's 256 bytes; throws with a reason when it is not one. */
export function parseStaticKey(text: string): Buffer {
  const m = /-----BEGIN OpenVPN Static key V1-----([\s\S]*?)-----END OpenVPN Static key V1-----/.exec(text);
  if (!m) throw new Error('not an OpenVPN static key file (no "BEGIN OpenVPN Static key V1" block)');
  const hex = (m[1] as string).replace(/\s+/g, '');
  if (!/^[0-9a-fA-F]{512}$/.test(hex)) throw new Error(`an OpenVPN static key holds 256 bytes (512 hex digits), this one ${hex.length / 2}`);
  return Buffer.from(hex, 'hex');
}

const DIGEST_LEN = { sha1: 20, sha256: 32, sha512: 64 } as const;

/** Cipher and HMAC keys of set 0 or 1. */
function keySet(key: Buffer, set: 0 | 1): { cipher: Buffer; hmac: Buffer } {
  return { cipher: key.subarray(set * 128, set * 128 + 64), hmac: key.subarray(set * 128 + 64, set * 128 + 128) };
}

/** A control packet from the server, unwrapped and verified. */
export interface ControlPacket {
  op: number;
  /** The sender's session id. */
  sessionId: Buffer;
  /** Packet ids it acknowledges. */
  acks: number[];
  /** The session id those acks belong to (ours), when it acknowledges anything. */
  ackedSession?: Buffer;
  /** Its own message packet id (absent on P_ACK_V1). */
  messageId?: number;
  /** The payload after the message packet id (TLS records on P_CONTROL_V1). */
  payload: Buffer;
}

/**
 * One client session's control channel: our session id, the replay counter tls-auth and
 * tls-crypt need (1 for the reset, then one more per packet), and the wrapping both ways.
 */
export interface ControlChannel {
  readonly sessionId: Buffer;
  /** Our packet: opcode (key id 0), acks of the server's ids, our message id and payload. */
  packet(op: number, acks: { ids: number[]; session: Buffer } | undefined, messageId: number | undefined, payload?: Buffer): Buffer;
  /** A server packet, verified and parsed; or why it is not one we can trust. */
  read(m: Buffer): ControlPacket | string;
}

/** A control channel for a new session at wall time `nowMs` (the replay field's net time). */
export function controlChannel(wrap: OvpnWrap, nowMs: number): ControlChannel {
  const sid = randomBytes(8);
  let replayId = 0;
  const netTime = Math.floor(nowMs / 1000);

  /** The plaintext after the wrapping: acks, peer session id, message packet id, payload. */
  const unwrap = (m: Buffer): Buffer | string => {
    if (wrap.kind === 'plain') return m.subarray(9);
    if (wrap.kind === 'tls-auth') {
      const len = DIGEST_LEN[wrap.digest];
      if (m.length < 9 + len + 8) return 'too short for tls-auth';
      const inKey = keySet(wrap.key, wrap.direction === 1 ? 0 : wrap.direction === 0 ? 1 : 0).hmac.subarray(0, len);
      const mac = m.subarray(9, 9 + len);
      const want = createHmac(wrap.digest, inKey).update(Buffer.concat([m.subarray(9 + len, 9 + len + 8), m.subarray(0, 9), m.subarray(9 + len + 8)])).digest();
      if (!timingSafeEqual(mac, want)) return 'its HMAC does not verify with this tls-auth key and direction';
      return m.subarray(9 + len + 8);
    }
    if (m.length < 9 + 8 + 32) return 'too short for tls-crypt';
    const k = keySet(wrap.key, 0);
    const tag = m.subarray(17, 49);
    const d = createDecipheriv('aes-256-ctr', k.cipher.subarray(0, 32), tag.subarray(0, 16));
    const plain = Buffer.concat([d.update(m.subarray(49)), d.final()]);
    const want = createHmac('sha256', k.hmac.subarray(0, 32)).update(Buffer.concat([m.subarray(0, 17), plain])).digest();
    if (!timingSafeEqual(tag, want)) return 'its tls-crypt tag does not verify with this key';
    return plain;
  };

  return {
    sessionId: sid,
    packet(opcode, acks, messageId, payload) {
      const op = Buffer.from([opcode << 3]);
      const ackPart = acks && acks.ids.length > 0 ? Buffer.concat([Buffer.from([acks.ids.length]), ...acks.ids.map(u32), acks.session]) : Buffer.from([0]);
      const rest = Buffer.concat([ackPart, ...(messageId === undefined ? [] : [u32(messageId)]), payload ?? Buffer.alloc(0)]);
      const replay = Buffer.concat([u32(++replayId), u32(netTime)]);
      if (wrap.kind === 'plain') return Buffer.concat([op, sid, rest]);
      if (wrap.kind === 'tls-auth') {
        const out = keySet(wrap.key, wrap.direction === 1 ? 1 : 0).hmac.subarray(0, DIGEST_LEN[wrap.digest]);
        const mac = createHmac(wrap.digest, out).update(Buffer.concat([replay, op, sid, rest])).digest();
        return Buffer.concat([op, sid, mac, replay, rest]);
      }
      const k = keySet(wrap.key, 1);
      const tag = createHmac('sha256', k.hmac.subarray(0, 32)).update(Buffer.concat([op, sid, replay, rest])).digest();
      const c = createCipheriv('aes-256-ctr', k.cipher.subarray(0, 32), tag.subarray(0, 16));
      return Buffer.concat([op, sid, replay, tag, c.update(rest), c.final()]);
    },
    read(m) {
      if (m.length < 10) return `${m.length} bytes`;
      const op = (m[0] as number) >> 3;
      const body = unwrap(m);
      if (typeof body === 'string') return body;
      const n = body[0] ?? 0;
      const withSession = n > 0 ? 8 : 0;
      const needsId = op !== OP_ACK_V1;
      if (body.length < 1 + n * 4 + withSession + (needsId ? 4 : 0)) return `opcode ${op}: truncated after the wrapping`;
      const acks = Array.from({ length: n }, (_, i) => body.readUInt32BE(1 + i * 4));
      let at = 1 + n * 4;
      const ackedSession = n > 0 ? body.subarray(at, at + 8) : undefined;
      at += withSession;
      const messageId = needsId ? body.readUInt32BE(at) : undefined;
      if (needsId) at += 4;
      return { op, sessionId: m.subarray(1, 9), acks, ackedSession, messageId, payload: body.subarray(at) };
    },
  };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** The reset packet for a channel and what is needed to check the answer. */
export interface ResetProbe {
  packet: Buffer;
  channel: ControlChannel;
  /** Verifies an answer; says why it is not the server's reset for us when it is not. */
  read(msg: Buffer): { ok: true; serverSession: Buffer } | { ok: false; why: string };
}

/** Builds a P_CONTROL_HARD_RESET_CLIENT_V2 (message id 0, no acks) at wall time `nowMs`. */
export function clientReset(wrap: OvpnWrap, nowMs: number): ResetProbe {
  const channel = controlChannel(wrap, nowMs);
  return {
    packet: channel.packet(OP_RESET_CLIENT_V2, undefined, 0),
    channel,
    read(m) {
      if (m.length < 10) return { ok: false, why: `${m.length} bytes` };
      const opcode = (m[0] as number) >> 3;
      if (opcode !== OP_RESET_SERVER_V2) return { ok: false, why: `opcode ${opcode}, not the server's reset (8)` };
      const p = channel.read(m);
      if (typeof p === 'string') return { ok: false, why: p };
      if (p.acks.length === 0) return { ok: false, why: 'it acknowledges nothing' };
      if (!p.acks.includes(0) || !p.ackedSession?.equals(channel.sessionId)) return { ok: false, why: 'it answers another session' };
      return { ok: true, serverSession: Buffer.from(p.sessionId) };
    },
  };
}

/** A TCP packet: 2-byte big-endian length, then the packet. */
export function tcpFrame(p: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(p.length, 0);
  return Buffer.concat([len, p]);
}
