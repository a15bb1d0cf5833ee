import { voiceDestination } from '../../notifiers/voice.js';
import { callText } from '../pageText.js';
import { overLimits, type PagingChannel } from './channel.js';

/**
 * Calls through Twilio (the "voice" section, with the sms section's account): one call reads a
 * person's pending pages out, the worst first. Not written: the path-down page, out-of-band pages
 * and fault reports go by text, and nobody is called to be told all is well (notices go by SMS).
 * A call that cannot be placed (or keeps failing), or is over the call budget, becomes an SMS.
 */
export const VOICE: PagingChannel = {
  kind: 'voice',
  configured: (c) => c.voice !== undefined,
  destination: (p) => (p.phone ? voiceDestination(p.phone) : undefined),
  // notifiers/voice.ts names destinations "voice:<E.164 number>".
  owns: (d) => d.startsWith('voice:'),
  fallback: 'sms',
  written: false,
  noticesVia: 'sms',
  receipts: false,
  undeliveredGoesBy: [],
  overBudget: (p, now, sent, c) => overLimits(VOICE.destination(p), now, sent, c.voice),
  pastBudget: { goesBy: 'sms' },
  bundle: (_texts, ctx) => callText(ctx.incidents, ctx.nowMs),
};
