import type { Config } from '../config/schema.js';
import type { OnCallSchedule, Person } from '../people/oncall.js';
import type { InboundAnswer, TwilioSignatureCheck } from './twilioSignature.js';

import { smsReplyTwiml as twiml } from './twiml.js';

export type { InboundAnswer } from './twilioSignature.js';

/**
 * Twilio's inbound SMS webhook: checks who is writing, then hands the text to the commands
 * (commands/sms.ts: "ACK 7KQ2", or a bare "ACK" for the latest page to that number). The request
 * must be signed for sms.inbound_url (sources/twilioSignature.ts); otherwise 403, nothing changes.
 */
export function makeTwilioInbound(d: { config: Config; schedule: OnCallSchedule; signature: TwilioSignatureCheck | undefined; command(person: Person, body: string): string }): ((form: Record<string, string>, signature: string | undefined) => InboundAnswer) | undefined {
  const url = d.config.sms?.inbound_url;
  const check = d.signature;
  if (!url || !check) return undefined;
  return (form, signature) => {
    const refused = check('inbound SMS', url, form, signature, 'sms.inbound_url');
    if (refused) return refused;
    const from = form['From'] ?? '';
    const person = d.schedule.everyone().find((p) => p.phone === from);
    if (!person) return { status: 200, body: twiml('Lifeline: this number is not in the team; nothing changed.') };
    return { status: 200, body: twiml(d.command(person, form['Body'] ?? '')) };
  };
}
