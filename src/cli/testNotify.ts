import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';
import { EmailNotifier, emailDestination } from '../notifiers/email.js';
import type { Notifier } from '../notifiers/notifier.js';
import { SmsNotifier, smsDestination } from '../notifiers/sms.js';
import type { Clock } from '../util/clock.js';
import { testIrc } from './testNotifyIrc.js';
import { testVoice } from './testNotifyVoice.js';

/** Channels `lifeline test-notify` can test. */
export const TEST_CHANNELS = ['irc', 'email', 'sms', 'voice'] as const;
export type TestChannel = (typeof TEST_CHANNELS)[number];

/** The outcome, in words for the operator: what was sent where, or what failed and how to fix it. */
export interface TestNotifyResult {
  ok: boolean;
  lines: string[];
}

/**
 * `lifeline test-notify --channel irc|email|sms|voice [--to PERSON]`: sends one real test message (voice: places a call)
 * through the configured notifier, exactly as a page would go, to one person (default: everyone in
 * `people` with that contact), or for IRC to every channel a route names, and says what failed
 * and what to change.
 */
export async function testNotify(config: Config, channel: TestChannel, to: string | undefined, clock: Clock): Promise<TestNotifyResult> {
  if (channel === 'irc') {
    if (to !== undefined) return { ok: false, lines: ['--to is for email, sms and voice; IRC test messages go to the channels the routes name'] };
    return testIrc(config, clock);
  }
  const people = to === undefined ? config.people : config.people.filter((p) => p.name === to);
  if (to !== undefined && people.length === 0) return { ok: false, lines: [`no person named "${to}" in people; names: ${config.people.map((p) => p.name).join(', ') || '(none)'}`] };
  if (channel === 'voice') return testVoice(config, people, clock);
  let notifier: (Notifier & { close?(): void }) | undefined;
  let targets: Array<{ person: string; destination: string }>;
  if (channel === 'email') {
    if (!config.email) return { ok: false, lines: ['email is not configured: add an email section (host, port, from, username, password)'] };
    notifier = new EmailNotifier(config.email);
    targets = people.flatMap((p) => (p.email ? [{ person: p.name, destination: emailDestination(p.email) }] : []));
  } else {
    if (!config.sms) return { ok: false, lines: ['sms is not configured: add an sms section (account_sid, auth_token, from)'] };
    notifier = new SmsNotifier(config.sms, clock);
    targets = people.flatMap((p) => (p.phone ? [{ person: p.name, destination: smsDestination(p.phone) }] : []));
  }
  if (targets.length === 0) {
    notifier.close?.();
    return { ok: false, lines: [`${to === undefined ? 'nobody in people has' : `${to} has no`} ${channel === 'email' ? 'email address (people[].email)' : 'phone number (people[].phone, E.164 like +4915112345678)'}`] };
  }
  const lines: string[] = [];
  let ok = true;
  const text = ['Lifeline test message', `Sent by "lifeline test-notify" on ${hostname()} at ${new Date(clock.now()).toISOString()}. No action needed.`];
  for (const t of targets) {
    try {
      await notifier.send({ destination: t.destination, lines: notifier.prepare(t.destination, text), startAt: 0, onProgress: () => undefined }, AbortSignal.timeout(60_000));
      lines.push(`${channel} to ${t.person} (${t.destination.slice(t.destination.indexOf(':') + 1)}): ${notifier.sentMeans(t.destination)}`);
    } catch (err) {
      ok = false;
      lines.push(`${channel} to ${t.person}: FAILED: ${describeError(err)}${hint(channel, err)}`);
    }
  }
  notifier.close?.();
  return { ok, lines };
}

/** What to change, for the failures people make when setting a channel up. */
function hint(channel: 'email' | 'sms', err: unknown): string {
  const msg = describeError(err);
  if (channel === 'email') {
    if (/certificate|self[- ]signed|unable to verify|CERT_/i.test(msg)) return '; the SMTP server\'s certificate is not trusted: set email.ca_file to its CA (or, only for a test server, email.tls_verify: false)';
    if (/STARTTLS/i.test(msg)) return '; the server offers no STARTTLS: use email.security: tls (usually port 465), or none only on a trusted network';
    if (/wrong version number|ssl3_get_record|EPROTO/i.test(msg)) return '; TLS and plain text mixed up: port 465 wants email.security: tls, ports 587/25 want starttls';
    if (/ECONNREFUSED/.test(msg)) return '; nothing listens at email.host:email.port';
    if (/ETIMEDOUT|timeout/i.test(msg)) return '; no answer: check email.host, email.port and the firewall between Lifeline and the SMTP server';
    if (/ENOTFOUND|EAI_AGAIN/.test(msg)) return '; email.host does not resolve';
    return '';
  }
  if (/code 21211|code 21614/.test(msg)) return '; the recipient number is not valid or cannot take SMS: people[].phone must be E.164 (+ country code, no spaces) and a mobile number';
  if (/code 21212|code 21606|code 21659/.test(msg)) return '; sms.from is not a number (or Messaging Service) of this account that can send SMS';
  if (/code 20003/.test(msg)) return '';
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|timeout/i.test(msg)) return '; the Twilio API cannot be reached: check sms.api_base_url and outbound HTTPS';
  return '';
}
