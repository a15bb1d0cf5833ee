import { createRequire } from 'node:module';
import type { Config } from '../config/schema.js';
import { NotifyError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { AlwaysReadyNotifier } from './alwaysReady.js';
import type { Delivery } from './notifier.js';
import { fitSms } from './smsText.js';
import { plainLine } from './text.js';

/** SMS section of the config. */
export type SmsConfig = NonNullable<Config['sms']>;

const PREFIX = 'sms:';
const TWILIO_API = 'https://api.twilio.com';

/** Outbox destination for a phone number. */
export function smsDestination(phone: string): string {
  return `${PREFIX}${phone}`;
}

interface TwilioResponse {
  statusCode: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}
interface TwilioRequestClient {
  request(opts: { uri: string; [k: string]: unknown }): Promise<TwilioResponse>;
  lastResponse?: TwilioResponse;
}
interface TwilioClient {
  messages: { create(p: Record<string, string>): Promise<{ sid: string; status: string }> };
}
type TwilioFactory = (sid: string, token: string, opts: { httpClient: TwilioRequestClient; autoRetry: boolean; timeout?: number }) => TwilioClient;

// twilio is CommonJS and large: loaded only when SMS is configured.
const require = createRequire(import.meta.url);

/**
 * Pages by SMS through Twilio's Messages API with the twilio library. The library's HTTP client
 * is wrapped so requests go to `sms.api_base_url` (Twilio-compatible providers; a local stand-in
 * in tests). Messages are kept within two segments (GSM-7 aware).
 *
 * Twilio facts: 429 (too many requests) and 5xx are temporary, with Retry-After honoured;
 * 401/20003 is bad credentials and 400/21211, 21614 are invalid or unreachable numbers — retrying
 * cannot fix those.
 */
export class SmsNotifier extends AlwaysReadyNotifier {
  readonly digestsBacklog = false;
  readonly kind = 'sms';
  sentMeans(): string {
    return 'accepted by the Twilio API (not yet proof it reached the phone)';
  }
  private readonly client: TwilioClient;
  private readonly http: TwilioRequestClient;

  constructor(
    private readonly cfg: SmsConfig,
    private readonly clock: Clock,
  ) {
    super(PREFIX);
    const twilio = require('twilio') as TwilioFactory & { RequestClient: new (o?: object) => TwilioRequestClient };
    const base = cfg.api_base_url.replace(/\/+$/, '');
    class BaseUrlClient extends twilio.RequestClient {
      override request(opts: { uri: string; [k: string]: unknown }): Promise<TwilioResponse> {
        return super.request({ ...opts, uri: opts.uri.startsWith(TWILIO_API) ? base + opts.uri.slice(TWILIO_API.length) : opts.uri });
      }
    }
    this.http = new BaseUrlClient({ timeout: cfg.timeout, keepAlive: false });
    this.client = twilio(cfg.account_sid, cfg.auth_token.reveal(), { httpClient: this.http, autoRetry: false });
  }

  override prepare(_destination: string, lines: readonly string[]): string[] {
    return [fitSms(lines.map(plainLine).join(' | '))];
  }

  override async send(d: Delivery, _signal?: AbortSignal): Promise<void> {
    const to = d.destination.slice(PREFIX.length);
    const params: Record<string, string> = { to, body: d.lines.join(' ') };
    if (this.cfg.from.startsWith('MG')) params['messagingServiceSid'] = this.cfg.from;
    else params['from'] = this.cfg.from;
    try {
      await this.client.messages.create(params);
    } catch (err) {
      throw this.classify(err);
    }
    d.onProgress(d.lines.length);
  }

  private classify(err: unknown): NotifyError {
    const e = err as { status?: number; code?: number | string; message?: string };
    const status = typeof e.status === 'number' ? e.status : undefined;
    const msg = `Twilio: ${e.message ?? String(err)}${e.code !== undefined ? ` (code ${e.code})` : ''}`;
    if (status === undefined) return new NotifyError(msg, { retryable: true, cause: err }); // network, timeout
    if (status === 429 || status >= 500) {
      const ra = this.http.lastResponse?.headers?.['retry-after'];
      const secs = Number(Array.isArray(ra) ? ra[0] : ra);
      return new NotifyError(msg, { retryable: true, retryAfterMs: Number.isFinite(secs) ? this.clock.now() + secs * 1000 : undefined, cause: err });
    }
    // Twilio: 401/20003 bad credentials; 21212, 21606, 21659: the From number cannot send.
    const keys = status === 401 ? 'sms.account_sid and sms.auth_token' : [21212, 21606, 21659].includes(Number(e.code)) ? 'sms.from' : undefined;
    const hint = status === 401 ? ': check sms.account_sid and sms.auth_token' : '';
    return new NotifyError(`${msg}${hint}`, { retryable: false, ...(keys !== undefined ? { misconfigured: keys } : {}), cause: err });
  }

}
