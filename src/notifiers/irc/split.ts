/**
 * IRC line length. RFC 1459/2812 allow 512 bytes per message including the trailing CRLF, and the
 * limit applies to the line *as relayed* to other clients, which the server prefixes with our full
 * hostmask (":nick!user@host "). So the room left for text is
 *   512 - 2 (CRLF) - len(":" nick "!" user "@" host " PRIVMSG " target " :").
 * Servers that allow more announce it in ISUPPORT LINELEN. We do not know our host as the server
 * shows it to others (cloaks, vhosts), so we reserve the longest host a server sends (63 bytes).
 */
export const DEFAULT_LINE_LIMIT = 512;
const HOST_RESERVE = 63;
const USER_RESERVE = 10;

/** Bytes available for the text of a PRIVMSG to `target`. */
export function textBudget(nick: string, target: string, lineLimit = DEFAULT_LINE_LIMIT): number {
  const prefix = 1 + Buffer.byteLength(nick) + 1 + USER_RESERVE + 1 + HOST_RESERVE + 1;
  const command = Buffer.byteLength(`PRIVMSG ${target} :`);
  return Math.max(32, lineLimit - 2 - prefix - command);
}

/**
 * Splits text into pieces of at most `maxBytes` UTF-8 bytes, never inside a code point, preferring
 * to break at a space in the last quarter of a piece.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError('maxBytes must be at least 4');
  const out: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest) > maxBytes) {
    let bytes = 0;
    let cut = 0; // index in UTF-16 units
    for (const ch of rest) {
      const b = Buffer.byteLength(ch);
      if (bytes + b > maxBytes) break;
      bytes += b;
      cut += ch.length;
    }
    const space = rest.lastIndexOf(' ', cut);
    const useSpace = space > 0 && Buffer.byteLength(rest.slice(0, space)) >= maxBytes * 0.75;
    const end = useSpace ? space : cut;
    out.push(rest.slice(0, end));
    rest = useSpace ? rest.slice(end + 1) : rest.slice(end);
  }
  if (rest.length > 0 || out.length === 0) out.push(rest);
  return out;
}
