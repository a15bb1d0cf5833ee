import { createRequire } from 'node:module';
import type { Secret } from '../config/secret.js';
import type { Logger } from '../observability/logger.js';
import { RateLimitedWarn } from '../observability/rateLimitedLog.js';
import type { Clock } from '../util/clock.js';

type Validate = (authToken: string, signature: string, url: string, params: Record<string, string>) => boolean;
const require = createRequire(import.meta.url);

/** What the HTTP layer answers to Twilio. */
export interface InboundAnswer {
  status: number;
  /** TwiML (text/xml) for 200, a reason otherwise. */
  body: string;
}

/** Checks X-Twilio-Signature; answers 403 (and logs, rate-limited) when it is missing or wrong. */
export type TwilioSignatureCheck = (what: string, url: string, form: Record<string, string>, signature: string | undefined, urlKey: string) => InboundAnswer | undefined;

/**
 * Twilio signs each webhook request: X-Twilio-Signature is base64(HMAC-SHA1(auth token, the exact
 * public URL it called + every POST parameter name and value, sorted by name)); the twilio
 * library's validateRequest checks it. The signature carries no timestamp or nonce, so it proves
 * who wrote a request, never that it is new: each handler must make a replay change nothing.
 * One check (and one rate-limited warning, `twilio_bad_signature`) for every Twilio endpoint.
 */
export function twilioSignatureCheck(d: { authToken: Secret; log: Logger; clock: Clock }): TwilioSignatureCheck {
  const validate = (require('twilio') as { validateRequest: Validate }).validateRequest;
  const warn = new RateLimitedWarn(d.log, d.clock);
  return (what, url, form, signature, urlKey) => {
    if (signature && validate(d.authToken.reveal(), signature, url, form)) return undefined;
    warn.warn({ event: 'twilio_bad_signature', endpoint: what }, `${what} with a missing or wrong X-Twilio-Signature refused`);
    return { status: 403, body: `invalid X-Twilio-Signature: the request was not signed with this account's auth token for ${urlKey}` };
  };
}
