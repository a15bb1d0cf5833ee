import type { Config } from '../config/schema.js';
import type { Clock } from '../util/clock.js';
import { AlwaysReadyNotifier } from './alwaysReady.js';
import type { Delivery } from './notifier.js';
import { fitSms } from './smsText.js';
import { plainLine } from './text.js';
import { makeTwilioClient, twilioError, type TwilioClient } from './twilioClient.js';

/** SMS section of the config. */
export type SmsConfig = NonNullable<Config['sms']>;

const PREFIX = 'sms:';

/** Outbox destination for a phone number. */
export function smsDestination(phone: string): string {
  return `${PREFIX}${phone}`;
}

/** Records SMS sent with a delivery-receipt callback (store/smsMessages.ts), by outbox entry. */
export interface SmsLog {
  sent(outboxId: number, messageSid: string, person: string, nowMs: number): void;
}

/**
 * Pages by SMS through Twilio's Messages API with the twilio library (notifiers/twilioClient.ts
 * points it at sms.api_base_url and sorts its errors). Messages are kept within two segments
 * (GSM-7 aware). With sms.status_url each message asks Twilio for delivery receipts
 * (StatusCallback) and is recorded by its MessageSid, so a receipt can be traced to its pages.
 */
export class SmsNotifier extends AlwaysReadyNotifier {
  readonly digestsBacklog = false;
  readonly kind = 'sms';
  sentMeans(): string {
    return 'accepted by the Twilio API (not yet proof it reached the phone)';
  }
  private readonly client: TwilioClient;

  constructor(
    private readonly cfg: SmsConfig,
    private readonly clock: Clock,
    private readonly receipts?: { log: SmsLog; personOf(phone: string): string },
  ) {
    super(PREFIX);
    this.client = makeTwilioClient(cfg);
  }

  override prepare(_destination: string, lines: readonly string[]): string[] {
    return [fitSms(lines.map(plainLine).join(' | '))];
  }

  override async send(d: Delivery, _signal?: AbortSignal): Promise<void> {
    const to = d.destination.slice(PREFIX.length);
    const params: Record<string, string> = { to, body: d.lines.join(' ') };
    if (this.cfg.from.startsWith('MG')) params['messagingServiceSid'] = this.cfg.from;
    else params['from'] = this.cfg.from;
    const track = this.cfg.status_url !== undefined && this.receipts !== undefined && d.entryId !== undefined;
    if (track) params['statusCallback'] = this.cfg.status_url as string;
    let sid: string;
    try {
      sid = (await this.client.messages.create(params)).sid;
    } catch (err) {
      throw twilioError(err, this.client, this.clock, 'sms.from');
    }
    if (track) this.receipts?.log.sent(d.entryId as number, sid, this.receipts.personOf(to), this.clock.now());
    d.onProgress(d.lines.length);
  }
}
