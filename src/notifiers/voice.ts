import type { Config } from '../config/schema.js';
import { NotifyError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { AlwaysReadyNotifier } from './alwaysReady.js';
import type { Delivery } from './notifier.js';
import { makeTwilioClient, twilioError, type TwilioClient } from './twilioClient.js';

/** Voice section of the config. */
export type VoiceConfig = NonNullable<Config['voice']>;

const PREFIX = 'voice:';

/** Outbox destination for a phone to call. */
export function voiceDestination(phone: string): string {
  return `${PREFIX}${phone}`;
}

/** Where Twilio fetches the spoken message of call `id`, posts its key press and its outcome. */
export const VOICE_PATHS = { twiml: '/api/v1/twilio/voice/twiml', gather: '/api/v1/twilio/voice/gather', status: '/api/v1/twilio/voice/status' } as const;

/** The public URL of one of VOICE_PATHS for call `id` (an outbox entry id). */
export function voiceUrl(publicUrl: string, path: (typeof VOICE_PATHS)[keyof typeof VOICE_PATHS], id: number): string {
  return `${publicUrl.replace(/\/+$/, '')}${path}?call=${id}`;
}

/** Records a call Lifeline placed (store/calls.ts), so the webhooks can find it. */
export interface CallLog {
  placed(outboxId: number, callSid: string, person: string, nowMs: number): void;
}

/**
 * Pages by phone call through Twilio's Calls API (the twilio library, the sms section's account).
 * Lifeline only asks Twilio to call; Twilio then fetches the TwiML (what to say, the key prompt)
 * from voice.public_url and posts the key press and the call's outcome back (sources/twilioVoice.ts).
 * "Sent" means Twilio accepted the call request: whether anyone answered comes later, by webhook.
 *
 * Twilio facts: Timeout is the ring time in seconds (5–600); StatusCallback with the default event
 * gets one POST when the call ends, CallStatus completed, busy, no-answer, failed or canceled.
 */
export class VoiceNotifier extends AlwaysReadyNotifier {
  readonly digestsBacklog = false;
  readonly kind = 'voice';
  sentMeans(): string {
    return 'call requested from the Twilio API (not yet answered)';
  }
  private readonly client: TwilioClient;

  constructor(
    private readonly cfg: VoiceConfig,
    sms: NonNullable<Config['sms']>,
    private readonly clock: Clock,
    private readonly calls: CallLog,
    private readonly personOf: (phone: string) => string,
  ) {
    super(PREFIX);
    this.client = makeTwilioClient(sms);
  }

  override prepare(_destination: string, lines: readonly string[]): string[] {
    return [...lines];
  }

  override async send(d: Delivery, _signal?: AbortSignal): Promise<void> {
    const id = d.entryId;
    if (id === undefined) throw new NotifyError('a call needs its outbox entry id', { retryable: false });
    const to = d.destination.slice(PREFIX.length);
    const base = this.cfg.public_url;
    let sid: string;
    try {
      const call = await this.client.calls.create({
        to,
        from: this.cfg.from,
        url: voiceUrl(base, VOICE_PATHS.twiml, id),
        method: 'POST',
        statusCallback: voiceUrl(base, VOICE_PATHS.status, id),
        statusCallbackMethod: 'POST',
        timeout: Math.round(this.cfg.ring_timeout / 1000),
      });
      sid = call.sid;
    } catch (err) {
      throw twilioError(err, this.client, this.clock, 'voice.from');
    }
    this.calls.placed(id, sid, this.personOf(to), this.clock.now());
    d.onProgress(d.lines.length);
  }
}
