import { createRequire } from 'node:module';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { SmsMessageStore } from '../store/smsMessages.js';
import type { Clock } from '../util/clock.js';
import type { InboundAnswer } from './twilioInbound.js';

type Validate = (authToken: string, signature: string, url: string, params: Record<string, string>) => boolean;
const require = createRequire(import.meta.url);

/** What delivery receipts act on. */
export interface ReceiptDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  messages: SmsMessageStore;
  /** The SMS did not reach the phone: its pages go another way now. */
  undelivered(outboxId: number, person: string, why: string): void;
  /** An SMS reached `person`. */
  delivered(person: string): void;
}

/**
 * Twilio's SMS status callback (POST sms.status_url, sent as StatusCallback with every SMS):
 * MessageSid, MessageStatus (queued, sending, sent, delivered, undelivered, failed) and, for the
 * last two, ErrorCode (30003 unreachable handset, 30005 unknown number, 30006 landline, 30007
 * carrier filter, 30008 unknown error...). Each is checked against X-Twilio-Signature for the
 * exact status_url (403 otherwise, nothing changes) and recorded in the delivery log;
 * undelivered/failed moves the SMS's pages to the person's next channel at once.
 */
export function makeTwilioReceipts(d: ReceiptDeps): ((form: Record<string, string>, signature: string | undefined) => InboundAnswer) | undefined {
  const sms = d.config.sms;
  if (!sms?.status_url) return undefined;
  const validate = (require('twilio') as { validateRequest: Validate }).validateRequest;
  const url = sms.status_url;
  return (form, signature) => {
    if (!signature || !validate(sms.auth_token.reveal(), signature, url, form)) {
      d.log.warn({ event: 'twilio_bad_signature', path: 'sms status' }, 'SMS status callback with a missing or wrong signature refused');
      return { status: 403, body: "invalid X-Twilio-Signature: the request was not signed with this account's auth token for sms.status_url" };
    }
    const sid = form['MessageSid'] ?? form['SmsSid'] ?? '';
    const status = form['MessageStatus'] ?? form['SmsStatus'] ?? '';
    const code = form['ErrorCode'] || null;
    const r = d.messages.receipt(sid, status, code, d.clock.now());
    d.log.info({ event: 'sms_receipt', sid, status, error_code: code, known: r !== undefined }, `SMS ${sid}: ${status}${code ? ` (error ${code})` : ''}`);
    if (r?.settles === 'failed') d.undelivered(r.row.outboxId, r.row.person, `Twilio reports it ${status}${code ? ` (error ${code})` : ''}`);
    if (r?.settles === 'delivered') d.delivered(r.row.person);
    // Twilio wants a 2xx; an unknown MessageSid (another sender on the account) is not an error.
    return { status: 200, body: '' };
  };
}
