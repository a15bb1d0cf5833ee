import { smsDestination } from '../../notifiers/sms.js';
import { briefBundle } from '../pageText.js';
import { overLimits, type PagingChannel } from './channel.js';

/**
 * SMS through Twilio (the "sms" section): two segments at most, so a bundle lists each page's
 * subject; budgets per person (sms.max_per_hour, max_per_day), past which pages go by email.
 * With sms.status_url, Twilio's receipts say whether a message reached the phone: one that did
 * not is sent again by email, else by a call.
 */
export const SMS: PagingChannel = {
  kind: 'sms',
  configured: (c) => c.sms !== undefined,
  destination: (p) => (p.phone ? smsDestination(p.phone) : undefined),
  // notifiers/sms.ts names destinations "sms:<E.164 number>".
  owns: (d) => d.startsWith('sms:'),
  fallback: 'email',
  written: true,
  noticesVia: 'sms',
  receipts: true,
  undeliveredGoesBy: ['email', 'voice'],
  defaultStep: { afterMs: 10 * 60_000, repeat: { every: 30 * 60_000, max: 6 } },
  overBudget: (p, now, sent, c) => overLimits(SMS.destination(p), now, sent, c.sms),
  pastBudget: {
    goesBy: 'email',
    notice: (c) => `Lifeline: SMS budget reached (${c.sms?.max_per_hour}/h, ${c.sms?.max_per_day}/day); further pages come by email.`,
  },
  bundle: (texts) => briefBundle(texts),
};
