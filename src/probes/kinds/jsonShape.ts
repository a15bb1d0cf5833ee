/** Deepest nesting of arrays and objects read: the answers the probes read are a few levels deep. */
export const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * The nesting of a JSON answer, checked byte by byte as it arrives, before anything parses it:
 * `scan(chunk)` for each piece of the body in order returns the reason when it goes deeper than
 * `maxDepth`, in words. JSON.parse took 1.1–1.6 s for Prometheus' target list nested 3 million deep
 * (issue 19: /healthz held 1,334–1,581 ms) and 426 ms for Alertmanager's status 1 million deep;
 * refused here after the first chunk, nothing is parsed and the rest is not downloaded. The
 * answers the probes read (Prometheus' targets and queries, Alertmanager's status, a health
 * endpoint) are 3 to 6 levels deep. Strings are skipped (a bracket inside one counts for
 * nothing); UTF-8 never puts `"` or `\` inside a multi-byte character, so scanning bytes is exact.
 * Not a validator: JSON.parse still says whether it is JSON. A JS loop over bytes costs ~3 ms per
 * MiB once optimised, spread over the chunks.
 */
export class JsonShape {
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly what: string, private readonly maxDepth = MAX_DEPTH) {}

  scan(chunk: Buffer): string | undefined {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
      } else if (c === QUOTE) this.inString = true;
      else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (++this.depth > this.maxDepth) return `${this.what} is nested deeper than ${this.maxDepth} levels; not parsed (no real answer is)`;
      } else if ((c === CLOSE_ARRAY || c === CLOSE_OBJECT) && this.depth > 0) this.depth--;
    }
    return undefined;
  }
}
