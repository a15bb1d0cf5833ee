/**
 * Bounds on a JSON answer, checked byte by byte as it arrives, before JSON.parse sees it.
 *
 * Why: JSON.parse runs on the event loop in one piece, and its time follows the number of values
 * and the nesting, not the bytes. Measured with Node 20 on this project's 2-core machine: an
 * answer nested 3 million deep took 1.1–1.6 s (Prometheus' target list in issue 19: /healthz held
 * 1,334–1,581 ms), 8 MiB of `[{},{},…]` 0.7 s, an object of 700,000 keys 0.5 s; a real target
 * list of 17,000 targets (7.5 MiB) 30 ms. The answers the probes read (Prometheus' targets and
 * queries, Alertmanager's status, a health endpoint) are a few levels deep with small objects, so
 * the bounds below refuse only what no such server sends, at once and with the reason.
 */
export interface JsonBounds {
  /** Deepest nesting of arrays and objects. */
  depth: number;
  /** Arrays and objects in all. */
  containers: number;
  /** Values in all (array elements and object members). */
  values: number;
  /** Members of one object. */
  members: number;
}

/** The bounds the probes use (docs/benchmarks.md, `probeparse`, has what the worst answer within them costs). */
export const JSON_BOUNDS: JsonBounds = { depth: 64, containers: 100_000, values: 1_000_000, members: 10_000 };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

/**
 * An incremental checker: `scan(chunk)` for each piece of the body in order, the reason the JSON
 * is out of bounds (in words, naming the bound), or undefined. Strings are skipped (a quote or
 * bracket inside one counts for nothing); UTF-8 never puts `"` or `\` inside a multi-byte
 * character, so scanning bytes is exact. Not a validator: JSON.parse still says whether it is JSON.
 */
export class JsonShape {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private containers = 0;
  private values = 0;
  /** Per open level: members (objects) or elements (arrays) seen so far, and whether it is an object. */
  private readonly counts: number[] = [];
  private readonly isObject: boolean[] = [];

  constructor(private readonly what: string, private readonly bounds: JsonBounds = JSON_BOUNDS) {}

  scan(chunk: Buffer): string | undefined {
    const b = this.bounds;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (this.depth >= b.depth) return `${this.what} is nested deeper than ${b.depth} levels; not parsed (no real answer is)`;
        if (++this.containers > b.containers) return `${this.what} holds more than ${b.containers.toLocaleString('en')} objects and arrays; not parsed (too large to read without stalling Lifeline)`;
        this.counts[this.depth] = 1;
        this.isObject[this.depth] = c === OPEN_OBJECT;
        this.depth++;
        if (++this.values > b.values) return this.tooMany();
      } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
        if (this.depth > 0) this.depth--;
      } else if (c === COMMA && this.depth > 0) {
        const level = this.depth - 1;
        const n = (this.counts[level] as number) + 1;
        this.counts[level] = n;
        if (this.isObject[level] === true && n > b.members) return `${this.what} has an object of more than ${b.members.toLocaleString('en')} members; not parsed (too large to read without stalling Lifeline)`;
        if (++this.values > b.values) return this.tooMany();
      }
    }
    return undefined;
  }

  private tooMany(): string {
    return `${this.what} holds more than ${this.bounds.values.toLocaleString('en')} values; not parsed (too large to read without stalling Lifeline)`;
  }
}
