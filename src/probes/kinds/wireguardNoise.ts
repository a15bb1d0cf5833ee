import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { blake2s } from '@noble/hashes/blake2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';

/*
 * The initiator's half of WireGuard's handshake (Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s), enough to
 * send a handshake initiation (message type 1) and verify the responder's answer (type 2) or
 * cookie reply (type 3). From the WireGuard paper, section 5.4, and wireguard-go's noise-protocol.go:
 *
 *   C = HASH(CONSTRUCTION); H = HASH(C || IDENTIFIER); H = HASH(H || S_r_pub)
 *   E_i = new X25519 pair; C = KDF1(C, E_i_pub); H = HASH(H || E_i_pub)
 *   C, k = KDF2(C, DH(E_i, S_r_pub)); static = AEAD(k, 0, S_i_pub, H); H = HASH(H || static)
 *   C, k = KDF2(C, DH(S_i, S_r_pub)); timestamp = AEAD(k, 0, TAI64N, H); H = HASH(H || timestamp)
 *   mac1 = MAC(HASH("mac1----" || S_r_pub), msg[0:116]); mac2 = MAC(cookie, msg[0:132]) or zeros
 *
 * The response: C = KDF1(C, E_r_pub); H = HASH(H || E_r_pub); C = KDF1(C, DH(E_i, E_r_pub));
 * C = KDF1(C, DH(S_i, E_r_pub)); C, t, k = KDF3(C, PSK); H = HASH(H || t);
 * empty = AEAD-open(k, 0, msg.empty, H) — fails exactly when the preshared keys differ.
 *
 * HASH is BLAKE2s-256, MAC keyed BLAKE2s-128 (node:crypto cannot make a 16-byte BLAKE2s: hence
 * @noble/hashes), HMAC is HMAC-BLAKE2s, AEAD ChaCha20-Poly1305 with a 96-bit nonce of 4 zero bytes
 * and a 64-bit little-endian counter (node:crypto), the cookie is sealed with XChaCha20-Poly1305
 * (@noble/ciphers).
 */

const CONSTRUCTION = Buffer.from('Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s');
const IDENTIFIER = Buffer.from('WireGuard v1 zx2c4 Jason@zx2c4.com');
const LABEL_MAC1 = Buffer.from('mac1----');
const LABEL_COOKIE = Buffer.from('cookie--');

/** Message types and sizes (bytes). */
export const WG = { INITIATION: 1, RESPONSE: 2, COOKIE: 3, INITIATION_SIZE: 148, RESPONSE_SIZE: 92, COOKIE_SIZE: 64 } as const;

// DER wrappers for raw X25519 keys (RFC 8410), so node:crypto takes WireGuard's 32-byte keys.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

const hash = (...parts: Uint8Array[]): Buffer => Buffer.from(blake2s(Buffer.concat(parts)));
const mac = (key: Uint8Array, data: Uint8Array): Buffer => Buffer.from(blake2s(data, { key, dkLen: 16 }));
const hmacB = (key: Uint8Array, data: Uint8Array): Buffer => Buffer.from(hmac(blake2s, key, data));

/** HKDF with HMAC-BLAKE2s: n outputs of 32 bytes. */
function kdf(n: 1 | 2 | 3, key: Uint8Array, input: Uint8Array): Buffer[] {
  const t0 = hmacB(key, input);
  const out: Buffer[] = [];
  let prev: Buffer = Buffer.alloc(0);
  for (let i = 1; i <= n; i++) {
    prev = hmacB(t0, Buffer.concat([prev, Buffer.from([i])]));
    out.push(prev);
  }
  return out;
}

function nonce(counter: number | bigint): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64LE(BigInt(counter), 4);
  return n;
}

/** ChaCha20-Poly1305 with WireGuard's nonce (4 zero bytes, 64-bit little-endian counter). */
export function seal(key: Uint8Array, counter: number | bigint, plain: Uint8Array, aad: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce(counter), { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: plain.length });
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

/** Opens an AEAD box; undefined when the tag does not verify. */
export function open(key: Uint8Array, counter: number | bigint, boxed: Uint8Array, aad: Uint8Array): Buffer | undefined {
  try {
    const d = createDecipheriv('chacha20-poly1305', key, nonce(counter), { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: boxed.length - 16 });
    d.setAuthTag(boxed.subarray(boxed.length - 16));
    return Buffer.concat([d.update(boxed.subarray(0, boxed.length - 16)), d.final()]);
  } catch {
    return undefined;
  }
}

function privateKey(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' });
}
function publicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
}
function rawPublic(k: KeyObject): Buffer {
  return (createPublicKey(k).export({ format: 'der', type: 'spki' }) as Buffer).subarray(SPKI_X25519.length);
}
function dh(priv: KeyObject, pubRaw: Uint8Array): Buffer {
  return diffieHellman({ privateKey: priv, publicKey: publicKey(pubRaw) });
}

/** A WireGuard public key (base64 of 32 bytes) for a private one. */
export function wgPublicKey(privateB64: string): string {
  return rawPublic(privateKey(Buffer.from(privateB64, 'base64'))).toString('base64');
}

/** TAI64N of a time in ns since the epoch: 2^62 + 10 + seconds (big-endian), then nanoseconds. */
export function tai64n(ns: bigint): Buffer {
  const b = Buffer.alloc(12);
  b.writeBigUInt64BE(0x400000000000000an + ns / 1_000_000_000n, 0);
  b.writeUInt32BE(Number(ns % 1_000_000_000n), 8);
  return b;
}

/** The keys of one prober and its server. */
export interface WgKeys {
  /** The probe's private key (32 bytes). */
  privateKey: Uint8Array;
  /** The server's public key (32 bytes). */
  serverPublic: Uint8Array;
  /** The preshared key, or 32 zero bytes. */
  psk: Uint8Array;
}

/** An initiation in flight: the message and what is needed to read its answer. */
export interface Initiation {
  message: Buffer;
  sender: number;
  /** Verifies and opens an answer; says what it was. */
  read(msg: Buffer): WgAnswer;
  /** The same initiation again, with mac2 from a cookie reply (which must answer this initiation). */
  withCookie(reply: Buffer): Buffer | undefined;
}

/** The transport keys of a finished handshake (initiator's side) and both session indices. */
export interface WgSession {
  /** Our index: data for us carries it as the receiver. */
  sender: number;
  /** The server's index: our data messages carry it as the receiver. */
  receiver: number;
  /** T_send and T_recv: KDF2(C, empty) after the response. */
  sendKey: Buffer;
  recvKey: Buffer;
}

/** What came back. */
export type WgAnswer =
  | { kind: 'response'; session: WgSession }
  | { kind: 'psk_mismatch' }
  | { kind: 'cookie' }
  | { kind: 'bad_mac1' }
  | { kind: 'not_ours'; why: string };

/**
 * Builds a handshake initiation from `keys` at wall time `ns` (nanoseconds; the caller keeps it
 * rising per key: the server drops an initiation whose timestamp is not newer than the last).
 */
export function initiate(keys: WgKeys, ns: bigint): Initiation {
  const staticPriv = privateKey(keys.privateKey);
  const staticPub = rawPublic(staticPriv);
  const eph = generateKeyPairSync('x25519').privateKey;
  const ephPub = rawPublic(eph);
  const sender = randomBytes(4).readUInt32LE(0);

  let c = hash(CONSTRUCTION);
  let h = hash(c, IDENTIFIER);
  h = hash(h, keys.serverPublic);
  [c] = kdf(1, c, ephPub) as [Buffer];
  h = hash(h, ephPub);
  let k: Buffer;
  [c, k] = kdf(2, c, dh(eph, keys.serverPublic)) as [Buffer, Buffer];
  const encStatic = seal(k, 0, staticPub, h);
  h = hash(h, encStatic);
  [c, k] = kdf(2, c, dh(staticPriv, keys.serverPublic)) as [Buffer, Buffer];
  const encTime = seal(k, 0, tai64n(ns), h);
  h = hash(h, encTime);

  const msg = Buffer.alloc(WG.INITIATION_SIZE);
  msg[0] = WG.INITIATION;
  msg.writeUInt32LE(sender, 4);
  ephPub.copy(msg, 8);
  encStatic.copy(msg, 40);
  encTime.copy(msg, 88);
  const mac1 = mac(hash(LABEL_MAC1, keys.serverPublic), msg.subarray(0, 116));
  mac1.copy(msg, 116);

  const chain = c;
  const transcript = h;
  return {
    message: msg,
    sender,
    read(m) {
      if (m.length === WG.COOKIE_SIZE && m[0] === WG.COOKIE) return m.readUInt32LE(4) === sender ? { kind: 'cookie' } : { kind: 'not_ours', why: 'a cookie reply for another handshake' };
      if (m.length !== WG.RESPONSE_SIZE || m[0] !== WG.RESPONSE) return { kind: 'not_ours', why: `${m.length} bytes of type ${m[0] ?? '?'}` };
      if (m.readUInt32LE(8) !== sender) return { kind: 'not_ours', why: 'a response to another handshake' };
      // mac1 over the response, keyed with our own public key: proves it was made for us.
      if (!mac(hash(LABEL_MAC1, staticPub), m.subarray(0, 60)).equals(m.subarray(60, 76))) return { kind: 'bad_mac1' };
      const ephR = m.subarray(12, 44);
      let cr = kdf(1, chain, ephR)[0] as Buffer;
      let hr = hash(transcript, ephR);
      cr = kdf(1, cr, dh(eph, ephR))[0] as Buffer;
      cr = kdf(1, cr, dh(staticPriv, ephR))[0] as Buffer;
      const [cFinal, tau, key] = kdf(3, cr, keys.psk) as [Buffer, Buffer, Buffer];
      hr = hash(hr, tau);
      if (open(key, 0, m.subarray(44, 60), hr) === undefined) return { kind: 'psk_mismatch' };
      const [sendKey, recvKey] = kdf(2, cFinal, Buffer.alloc(0)) as [Buffer, Buffer];
      return { kind: 'response', session: { sender, receiver: m.readUInt32LE(4), sendKey, recvKey } };
    },
    withCookie(reply) {
      // cookie = XChaCha20-Poly1305-open(HASH("cookie--" || S_r_pub), nonce, sealed, aad = our mac1)
      try {
        const cookie = xchacha20poly1305(hash(LABEL_COOKIE, keys.serverPublic), reply.subarray(8, 32), mac1).decrypt(reply.subarray(32, 64));
        const again = Buffer.from(msg);
        mac(cookie, again.subarray(0, 132)).copy(again, 132);
        return again;
      } catch {
        return undefined;
      }
    },
  };
}
