import { createRequire } from 'node:module';
import type { Config } from '../config/schema.js';
import { NotifyError } from '../errors.js';
import type { Clock } from '../util/clock.js';

const TWILIO_API = 'https://api.twilio.com';

interface TwilioResponse {
  statusCode: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}
interface TwilioRequestClient {
  request(opts: { uri: string; [k: string]: unknown }): Promise<TwilioResponse>;
  lastResponse?: TwilioResponse;
}

/** The parts of the twilio library's client Lifeline uses. */
export interface TwilioClient {
  messages: { create(p: Record<string, string>): Promise<{ sid: string; status: string }> };
  calls: { create(p: Record<string, string | number>): Promise<{ sid: string; status: string }> };
  /** The Retry-After of the last response, in seconds, if it had one. */
  retryAfterS(): number | undefined;
}
type TwilioFactory = (sid: string, token: string, opts: { httpClient: TwilioRequestClient; autoRetry: boolean; timeout?: number }) => Omit<TwilioClient, 'retryAfterS'>;

// twilio is CommonJS and large: loaded only when SMS or voice is configured.
const require = createRequire(import.meta.url);

/**
 * A twilio library client for the sms section's account. Its HTTP client is wrapped so requests
 * go to `sms.api_base_url` (Twilio-compatible providers; a local stand-in in tests).
 */
export function makeTwilioClient(cfg: NonNullable<Config['sms']>): TwilioClient {
  const twilio = require('twilio') as TwilioFactory & { RequestClient: new (o?: object) => TwilioRequestClient };
  const base = cfg.api_base_url.replace(/\/+$/, '');
  class BaseUrlClient extends twilio.RequestClient {
    override request(opts: { uri: string; [k: string]: unknown }): Promise<TwilioResponse> {
      return super.request({ ...opts, uri: opts.uri.startsWith(TWILIO_API) ? base + opts.uri.slice(TWILIO_API.length) : opts.uri });
    }
  }
  const http = new BaseUrlClient({ timeout: cfg.timeout, keepAlive: false });
  const client = twilio(cfg.account_sid, cfg.auth_token.reveal(), { httpClient: http, autoRetry: false });
  return {
    messages: client.messages,
    calls: client.calls,
    retryAfterS: () => {
      const ra = http.lastResponse?.headers?.['retry-after'];
      const secs = Number(Array.isArray(ra) ? ra[0] : ra);
      return Number.isFinite(secs) && secs > 0 ? secs : undefined;
    },
  };
}

/**
 * A Twilio API failure as a NotifyError. Twilio facts: 429 (too many requests) and 5xx are
 * temporary, with Retry-After honoured; 401/20003 is bad credentials and 400/21211, 21614 are
 * invalid or unreachable numbers — retrying cannot fix those; 21212, 21606, 21659 (and 21210 for
 * calls) mean the From number cannot be used, which is `fromKey` to fix.
 */
export function twilioError(err: unknown, client: Pick<TwilioClient, 'retryAfterS'>, clock: Clock, fromKey: string): NotifyError {
  const e = err as { status?: number; code?: number | string; message?: string };
  const status = typeof e.status === 'number' ? e.status : undefined;
  const msg = `Twilio: ${e.message ?? String(err)}${e.code !== undefined ? ` (code ${e.code})` : ''}`;
  if (status === undefined) return new NotifyError(msg, { retryable: true, cause: err }); // network, timeout
  if (status === 429 || status >= 500) {
    const secs = client.retryAfterS();
    return new NotifyError(msg, { retryable: true, retryAfterMs: secs !== undefined ? clock.now() + secs * 1000 : undefined, cause: err });
  }
  const keys = status === 401 ? 'sms.account_sid and sms.auth_token' : [21210, 21212, 21606, 21659].includes(Number(e.code)) ? fromKey : undefined;
  const hint = status === 401 ? ': check sms.account_sid and sms.auth_token' : '';
  return new NotifyError(`${msg}${hint}`, { retryable: false, ...(keys !== undefined ? { misconfigured: keys } : {}), cause: err });
}
