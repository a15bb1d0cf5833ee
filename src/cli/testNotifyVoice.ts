import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { makeTwilioClient, twilioError } from '../notifiers/twilioClient.js';
import { voiceTwiml } from '../sources/twiml.js';
import type { Clock } from '../util/clock.js';

/** The outcome for `lifeline test-notify --channel voice`. */
export interface VoiceTestResult {
  ok: boolean;
  lines: string[];
}

/**
 * `lifeline test-notify --channel voice`: places one real call per person through the Twilio
 * Calls API with the sms section's account and voice.from, as a page would, ringing
 * voice.ring_timeout. A page's call fetches its message from voice.public_url (the running
 * Lifeline, which knows the incident); this command may run while Lifeline is stopped, so the
 * test call carries its words inline (Twilio's `Twiml` parameter, instead of `Url`) and asks for
 * no key. It proves the account, the number and the phone; whether Twilio reaches
 * voice.public_url shows in the first real page (or `curl -X POST` it from outside).
 */
export async function testVoice(config: Config, people: ReadonlyArray<{ name: string; phone?: string | undefined }>, clock: Clock): Promise<VoiceTestResult> {
  const voice = config.voice;
  const sms = config.sms;
  if (!voice || !sms) return { ok: false, lines: [`voice is not configured: add ${sms ? '' : 'an sms section (account_sid, auth_token: the Twilio account) and '}a voice section (from, public_url)`] };
  const targets = people.filter((p) => p.phone);
  if (targets.length === 0) return { ok: false, lines: ['nobody to call: people[].phone (E.164 like +4915112345678) is missing'] };
  const client = makeTwilioClient(sms);
  const words = `This is a Lifeline test call from ${hostname()}, sent by lifeline test-notify. No action needed. Goodbye.`;
  const twiml = voiceTwiml([{ verb: 'say', text: words }, { verb: 'pause', seconds: 1 }, { verb: 'say', text: words }]);
  const lines: string[] = [];
  let ok = true;
  for (const p of targets) {
    const phone = p.phone as string;
    try {
      const call = await client.calls.create({ to: phone, from: voice.from, twiml, timeout: Math.round(voice.ring_timeout / 1000) });
      lines.push(`voice to ${p.name} (${phone}): call requested from the Twilio API (${call.sid}); the phone should ring within a minute and say "This is a Lifeline test call"`);
    } catch (err) {
      ok = false;
      const e = twilioError(err, client, clock, 'voice.from');
      lines.push(`voice to ${p.name}: FAILED: ${e.message}${voiceHint(e.message)}`);
    }
  }
  return { ok, lines };
}

/** What to change, for the ways a call request fails (Twilio error codes). */
function voiceHint(msg: string): string {
  if (/code 21210|code 21212|code 21606/.test(msg)) return '; voice.from must be a voice-capable number of this Twilio account (or a verified caller ID)';
  if (/code 21211|code 21215|code 21216/.test(msg)) return '; the number cannot be called: people[].phone must be E.164 (+ country code, no spaces), and the account allowed to call that country (Twilio: Geo Permissions)';
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|timeout/i.test(msg)) return '; the Twilio API cannot be reached: check sms.api_base_url and outbound HTTPS';
  return '';
}
