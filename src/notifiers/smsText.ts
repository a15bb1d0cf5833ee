/**
 * SMS length. A message in the GSM 03.38 7-bit alphabet fits 160 characters in one segment and
 * 153 per segment when split (the rest carries the concatenation header); characters from the
 * extension table (^{}\[~]|€ and form feed) take two. Anything outside the alphabet switches the
 * whole message to UCS-2: 70 units in one segment, 67 per segment when split.
 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXT = '^{}\\[~]|€\f';
const BASIC = new Set(GSM_BASIC);
const EXT = new Set(GSM_EXT);

/** Common characters outside GSM-7 replaced by close GSM-7 ones, to stay in the cheaper alphabet. */
const TRANSLITERATE: Record<string, string> = { '…': '...', '“': '"', '”': '"', '‘': "'", '’': "'", '–': '-', '—': '-', '✓': 'v', '•': '*', '\t': ' ' };

/** Encoding and segment count of a message. */
export function smsSegments(text: string): { encoding: 'GSM-7' | 'UCS-2'; units: number; segments: number } {
  let gsm = true;
  let units = 0;
  for (const ch of text) {
    if (BASIC.has(ch)) units += 1;
    else if (EXT.has(ch)) units += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: 'GSM-7', units, segments: units <= 160 ? 1 : Math.ceil(units / 153) };
  const ucs = text.length; // UTF-16 code units
  return { encoding: 'UCS-2', units: ucs, segments: ucs <= 70 ? 1 : Math.ceil(ucs / 67) };
}

/** Rewrites text to GSM-7 where a close equivalent exists; collapses whitespace. */
export function toGsmFriendly(text: string): string {
  let out = '';
  for (const ch of text.replace(/\s+/g, ' ').trim()) out += TRANSLITERATE[ch] ?? ch;
  return out;
}

/** Shortens text to fit `maxSegments` segments, ending with "..." when cut. */
export function fitSms(text: string, maxSegments = 2): string {
  const t = toGsmFriendly(text);
  if (smsSegments(t).segments <= maxSegments) return t;
  const chars = [...t];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (smsSegments(`${chars.slice(0, mid).join('')}...`).segments <= maxSegments) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('').trimEnd()}...`;
}
