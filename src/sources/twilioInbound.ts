import { createRequire } from 'node:module';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { OnCallSchedule, Person } from '../people/oncall.js';

/** What the HTTP layer answers to Twilio. */
export interface InboundAnswer {
  status: number;
  /** TwiML (text/xml) for 200, a reason otherwise. */
  body: string;
}

type Validate = (authToken: string, signature: string, url: string, params: Record<string, string>) => boolean;

const require = createRequire(import.meta.url);

function twiml(text: string): string {
  const esc = text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${esc}</Message></Response>`;
}

/**
 * Twilio's inbound SMS webhook: checks who is writing, then hands the text to the commands
 * (commands/sms.ts: "ACK 7KQ2", or a bare "ACK" for the latest page to that number). Twilio signs each request: X-Twilio-Signature is base64(HMAC-SHA1(auth token, the
 * exact public URL it called + every POST parameter name and value, sorted by name)); twilio's
 * validateRequest checks it. An unsigned or wrongly signed request gets 403 and changes nothing.
 */
export function makeTwilioInbound(d: { config: Config; schedule: OnCallSchedule; log: Logger; command(person: Person, body: string): string }): ((form: Record<string, string>, signature: string | undefined) => InboundAnswer) | undefined {
  const sms = d.config.sms;
  if (!sms?.inbound_url) return undefined;
  const validate = (require('twilio') as { validateRequest: Validate }).validateRequest;
  const url = sms.inbound_url;
  const token = sms.auth_token;
  return (form, signature) => {
    if (!signature || !validate(token.reveal(), signature, url, form)) {
      d.log.warn({ event: 'twilio_bad_signature', from: form['From'] }, 'inbound SMS with a missing or wrong signature refused');
      return { status: 403, body: 'invalid X-Twilio-Signature: the request was not signed with this account\'s auth token for sms.inbound_url' };
    }
    const from = form['From'] ?? '';
    const person = d.schedule.everyone().find((p) => p.phone === from);
    if (!person) return { status: 200, body: twiml('Lifeline: this number is not in the team; nothing changed.') };
    return { status: 200, body: twiml(d.command(person, form['Body'] ?? '')) };
  };
}
