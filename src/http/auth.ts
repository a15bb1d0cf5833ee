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

/** A heartbeat ping that passed its check: what follows the credential in the path (`<name>[/start|/fail]`). */
export type HeartbeatAuthCheck = (path: string, header: string | undefined) => string | undefined;

/**
 * The heartbeat endpoint's check. With `http.heartbeat_auth` a ping must carry that token, either
 * as `Authorization: Bearer <token>` or as the first path segment (`<token>/<name>`, for senders
 * that can only call a URL, as healthchecks.io's ping keys); the webhook's credentials do not
 * open it. Without, pings take the webhook's auth (`http.auth`). Returns the path with the token
 * segment removed when the ping is authorised, undefined when not.
 */
export function makeHeartbeatAuth(http: Config['http']): HeartbeatAuthCheck {
  const own = http.heartbeat_auth;
  if (!own) {
    const webhook = makeAuthCheck(http.auth);
    return (path, header) => (webhook(header) ? path : undefined);
  }
  const bearer = makeAuthCheck({ type: 'bearer', token: own.token });
  const want = sha256(own.token.reveal());
  return (path, header) => {
    if (header !== undefined && bearer(header)) return path;
    const slash = path.indexOf('/');
    if (slash <= 0) return undefined;
    return timingSafeEqual(sha256(path.slice(0, slash)), want) ? path.slice(slash + 1) : undefined;
  };
}
