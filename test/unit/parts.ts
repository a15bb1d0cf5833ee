/**
 * Consumes a body written in parts: how many, the longest to produce (what holds the event loop),
 * the largest, and the whole text.
 */
export function measureParts(parts: Iterable<string>): { parts: number; longestMs: number; largest: number; text: string } {
  let n = 0;
  let longestMs = 0;
  let largest = 0;
  let text = '';
  let mark = performance.now();
  for (const part of parts) {
    longestMs = Math.max(longestMs, performance.now() - mark);
    n++;
    largest = Math.max(largest, part.length);
    text += part;
    mark = performance.now();
  }
  return { parts: n, longestMs, largest, text };
}
