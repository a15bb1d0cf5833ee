/**
 * Text hygiene shared by every notifier.
 *
 * `cleanValue` is for untrusted text (label values, annotations): it removes every control
 * character, including IRC formatting codes, so alert data can neither break a line nor fake
 * Lifeline's own formatting. `cleanLine` is the last gate before the IRC wire: CR, LF and NUL
 * would end or corrupt the IRC command and let a label inject commands (`\r\nQUIT :x`), so they
 * can never pass; other C0 controls pass only if they are the formatting codes we emit ourselves.
 * Both show Unicode format characters (bidi overrides, zero-width spaces) as "[U+202E]", so alert
 * data cannot reorder or disguise what people read; so does the status page (http/statusPage.ts).
 */

// C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const LINE_BREAKS = /[\r\n\u2028\u2029\u0085]+/g;

/**
 * Unicode format characters (general category Cf): they draw nothing themselves but change what
 * is around them. Bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks
 * (U+200E, U+200F) reorder text, so "ProbeDown db1" can read as another host; zero-width spaces
 * and joiners (U+200B–U+200D), the BOM (U+FEFF) and the rest hide inside names so that two
 * different values look the same. Alert data must not do either.
 */
const FORMAT_CHARS = /\p{Cf}/gu;

/** Every invisible format character shown as its code point, e.g. "[U+202E]": seen, and inert. */
export function showInvisible(text: string): string {
  return text.replace(FORMAT_CHARS, (c) => `[U+${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}]`);
}

/**
 * Untrusted text for one line of any medium (a notification, the status page): line breaks become a
 * space, other control characters are dropped, invisible format characters are shown (showInvisible).
 */
export function neutralise(text: string): string {
  return showInvisible(text.replace(LINE_BREAKS, ' ').replace(CONTROL, ''));
}

/** Makes untrusted text safe to embed in one message line. Line breaks become a space. */
export function cleanValue(text: string, maxChars = 400): string {
  const flat = neutralise(text).replace(/\s{2,}/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars - 1)}…` : flat;
}

/**
 * For email and SMS lines: IRC formatting gone, line breaks inside a line become a space, every
 * other control character (NUL, BEL, ESC...) is dropped, invisible format characters are shown;
 * spacing is kept.
 */
export function plainLine(line: string): string {
  return neutralise(stripFormatting(line));
}

/** IRC formatting codes Lifeline itself emits: bold, colour, reset. */
const FORMAT_CODES = new Set([0x02, 0x03, 0x0f]);

/**
 * Final gate before the wire: removes CR, LF, NUL and every control character but our formatting
 * codes, and shows invisible format characters (bidi overrides, zero-width) as their code point.
 */
export function cleanLine(line: string): string {
  let out = '';
  for (const ch of showInvisible(line)) {
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
