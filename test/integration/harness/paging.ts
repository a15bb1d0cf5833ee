import type { TwilioStandIn } from './twilioStandIn.js';

/**
 * alice (with her phone number unless `phone` is null), always on call, and the email section for
 * the SMTP sink (its default credentials) at `smtpPort` on `host` (default 127.0.0.1), trusting
 * `caFile`; `from` names the sender (default "Lifeline <lifeline@example.org>").
 */
export function aliceEmailYaml(o: { smtpPort: number; caFile: string; phone?: string | null; host?: string; from?: string }): string {
  const phone = o.phone === null ? '' : `, phone: "${o.phone ?? '+4915112345678'}"`;
  return `people:
  - { name: alice, email: alice@example.org${phone} }
oncall:
  rotations:
    - { name: primary, people: [alice], start: "2026-01-05" }
email:
  host: ${o.host ?? '127.0.0.1'}
  port: ${o.smtpPort}
  username: lifeline
  password: smtp-secret
  from: "${o.from ?? 'Lifeline <lifeline@example.org>'}"
  ca_file: ${o.caFile}
  timeout: 5s
`;
}

/** Config for paging alice by email and SMS, with a short grace for the monitoring-path rule. */
export function pagingYaml(o: { smtpPort: number; caFile: string; twilio: TwilioStandIn; grace?: string; extra?: string }): string {
  return `${aliceEmailYaml(o)}sms:
  account_sid: ${o.twilio.accountSid}
  auth_token: ${o.twilio.authToken}
  from: "+15005550006"
  api_base_url: ${o.twilio.url}
escalation:
  path_grace: ${o.grace ?? '2s'}
${o.extra ?? ''}`;
}

/** The sms section for the Twilio stand-in (`extra`: more keys of the section, indented). */
export function smsSection(twilio: TwilioStandIn, extra = ''): string {
  return `sms:
  account_sid: ${twilio.accountSid}
  auth_token: ${twilio.authToken}
  from: "+15005550006"
  api_base_url: ${twilio.url}
${extra}`;
}

/**
 * Config for paging alice by SMS only, at once (a policy with SMS at 0 s): people, oncall, sms
 * (plus `smsExtra` keys) and escalation (plus `escalationExtra` keys).
 */
export function smsNowYaml(twilio: TwilioStandIn, o: { smsExtra?: string; escalationExtra?: string } = {}): string {
  return `people:
  - { name: alice, phone: "+4915112345678" }
oncall:
  rotations:
    - { name: primary, people: [alice], start: "2026-01-05" }
${smsSection(twilio, o.smsExtra)}escalation:
${o.escalationExtra ?? ''}  policies:
    - { name: now, steps: [{ after: 0s, notify: [sms] }] }
`;
}

/** alice (on call) and bob with phones, the sms section and a voice section for Lifeline at `port`; `voiceExtra`: more voice keys, indented. */
/** Alice's and Bob's phone numbers in aliceBobVoiceYaml (what the Twilio stand-in sees). */
export const ALICE_PHONE = '+4915112345678';
export const BOB_PHONE = '+4915112345679';

export function aliceBobVoiceYaml(twilio: TwilioStandIn, port: number, voiceExtra = ''): string {
  return `people:
  - { name: alice, phone: "${ALICE_PHONE}" }
  - { name: bob, phone: "${BOB_PHONE}" }
oncall:
  rotations:
    - { name: primary, people: [alice], start: "2026-01-05" }
${smsSection(twilio)}voice:
  from: "+15005550006"
  public_url: http://127.0.0.1:${port}
${voiceExtra}`;
}
