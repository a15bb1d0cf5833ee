import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/schema.js';

/**
 * Checks an Authorization header against the configured webhook auth, in constant time: both sides
 * are hashed first so neither the content nor the length of the secret leaks through timing.
 * Alertmanager sends `Authorization: Bearer <token>` (http_config.authorization) or Basic
 * (http_config.basic_auth).
 */
export function makeAuthCheck(auth: Config['http']['auth']): (header: string | undefined) => boolean {
  if (auth.type === 'none') return () => true;
  const expected = auth.type === 'bearer' ? `Bearer ${auth.token.reveal()}` : `Basic ${Buffer.from(`${auth.username}:${auth.password.reveal()}`).toString('base64')}`;
  const want = sha256(expected);
  return (header) => {
    if (header === undefined) return false;
    // The scheme is case-insensitive (RFC 9110); normalise it, keep the credentials as sent.
    const m = /^(\S+)\s+(.*)$/.exec(header.trim());
    if (!m) return false;
    const scheme = (m[1] as string).toLowerCase() === 'bearer' ? 'Bearer' : (m[1] as string).toLowerCase() === 'basic' ? 'Basic' : (m[1] as string);
    return timingSafeEqual(sha256(`${scheme} ${m[2] as string}`), want);
  };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
