import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { SmsMessageStore } from '../store/smsMessages.js';
import type { Clock } from '../util/clock.js';
import type { InboundAnswer, TwilioSignatureCheck } from './twilioSignature.js';

/** What delivery receipts act on. */
export interface ReceiptDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  signature: TwilioSignatureCheck | undefined;
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
 * undelivered/failed moves the SMS's pages to the person's next channel at once. A MessageSid
 * Lifeline never sent gets 404 and changes nothing (Twilio only posts receipts for messages that
 * asked for them, and Lifeline records every one it asks for).
 */
export function makeTwilioReceipts(d: ReceiptDeps): ((form: Record<string, string>, signature: string | undefined) => InboundAnswer) | undefined {
  const url = d.config.sms?.status_url;
  const check = d.signature;
  if (!url || !check) return undefined;
  return (form, signature) => {
    const refused = check('SMS status callback', url, form, signature, 'sms.status_url');
    if (refused) return refused;
    const sid = form['MessageSid'] ?? form['SmsSid'] ?? '';
    const status = form['MessageStatus'] ?? form['SmsStatus'] ?? '';
    const code = form['ErrorCode'] || null;
    const r = d.messages.receipt(sid, status, code, d.clock.now());
    if (!r) return { status: 404, body: 'no SMS with this MessageSid was sent by this Lifeline; nothing changed' };
    d.log.info({ event: 'sms_receipt', sid, person: r.row.person, status, error_code: code }, `SMS ${sid} to ${r.row.person}: ${status}${code ? ` (error ${code})` : ''}`);
    if (r.settles === 'failed') d.undelivered(r.row.outboxId, r.row.person, `Twilio reports it ${status}${code ? ` (error ${code})` : ''}`);
    if (r.settles === 'delivered') d.delivered(r.row.person);
    return { status: 200, body: '' };
  };
}
