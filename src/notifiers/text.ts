/**
 * Text hygiene shared by every notifier.
 *
 * `cleanValue` is for untrusted text (label values, annotations): it removes every control
 * character, including IRC formatting codes, so alert data can neither break a line nor fake
 * Lifeline's own formatting. `cleanLine` is the last gate before the IRC wire: CR, LF and NUL
 * would end or corrupt the IRC command and let a label inject commands (`\r\nQUIT :x`), so they
 * can never pass; other C0 controls pass only if they are the formatting codes we emit ourselves.
 */

// C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const LINE_BREAKS = /[\r\n\u2028\u2029\u0085]+/g;

/** Makes untrusted text safe to embed in one message line. Line breaks become a space. */
export function cleanValue(text: string, maxChars = 400): string {
  const flat = text.replace(LINE_BREAKS, ' ').replace(CONTROL, '').replace(/\s{2,}/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars - 1)}…` : flat;
}

/**
 * For email and SMS lines: IRC formatting gone, line breaks inside a line become a space, every
 * other control character (NUL, BEL, ESC...) is dropped; spacing and length are kept.
 */
export function plainLine(line: string): string {
  return stripFormatting(line).replace(LINE_BREAKS, ' ').replace(CONTROL, '');
}

/** IRC formatting codes Lifeline itself emits: bold, colour, reset. */
const FORMAT_CODES = new Set([0x02, 0x03, 0x0f]);

/** Final gate before the wire: removes CR, LF, NUL and every control character but our formatting codes. */
export function cleanLine(line: string): string {
  let out = '';
  for (const ch of line) {
    const c = ch.codePointAt(0) as number;
    if (c === 0x0d || c === 0x0a || c === 0x00) {
      out += ' ';
      continue;
    }
    if ((c < 0x20 && !FORMAT_CODES.has(c)) || c === 0x7f || c === 0x2028 || c === 0x2029) continue;
    out += ch;
  }
  return out;
}

/** Removes the IRC formatting codes Lifeline adds (for email, SMS and the console). */
export function stripFormatting(line: string): string {
  return line.replace(/\x03\d{0,2}(,\d{1,2})?|[\x02\x0f]/g, '');
}
