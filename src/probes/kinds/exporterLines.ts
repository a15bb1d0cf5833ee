import { StringDecoder } from 'node:string_decoder';

/** Longest line kept while waiting for its end (node_exporter's longest are HELP texts of a few hundred bytes). */
const MAX_LINE = 64 * 1024;

/** A sample line of the Prometheus text format: name, optional {labels}, value, optional timestamp. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?[ \t]+(\S+)(?:[ \t]+-?[0-9]+)?[ \t]*$/;

/**
 * Reads the Prometheus text format as it arrives, chunk by chunk, and keeps the values of the few
 * samples asked for (`wanted`), nothing else: every other line is skipped by its first bytes,
 * unparsed. A node_exporter with many collectors prints hundreds of thousands of series (issue 19:
 * 7.5 MiB, 205,000 series); parsing all of it in one piece held the event loop 783–920 ms, while
 * this costs a few milliseconds a chunk and keeps only the last partial line.
 *
 * What it refuses, in words (`scan` returns the reason): a wanted sample that does not parse, one
 * whose value is not a non-negative number, one that appears twice (a duplicated family: which one
 * is true?), a line longer than 64 KiB.
 */
export class ExporterLines {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';
  private lineNo = 0;
  /** The first characters of the answer (to tell HTML from metrics). */
  private head = '';
  /** The wanted samples read: name -> value. */
  readonly values = new Map<string, number>();

  constructor(private readonly wanted: ReadonlySet<string>) {}

  /** One chunk of the answer; the reason it is not usable, or undefined. */
  scan(chunk: Buffer): string | undefined {
    const text = this.rest + this.decoder.write(chunk);
    if (this.head.length < 64) this.head += text.slice(0, 64 - this.head.length);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const why = this.line(text, start, nl);
      if (why !== undefined) return why;
      start = nl + 1;
    }
    this.rest = text.slice(start);
    return this.rest.length > MAX_LINE ? `line ${this.lineNo + 1} is longer than ${MAX_LINE / 1024} KiB (not the Prometheus text format)` : undefined;
  }

  /** The end of the answer: the last line, if it had no newline; the reason it is not usable, or undefined. */
  end(): string | undefined {
    const text = this.rest + this.decoder.end();
    this.rest = '';
    return text.length > 0 ? this.line(text, 0, text.length) : undefined;
  }

  /** Whether the answer looked like HTML (a login page, a proxy's error page). */
  looksLikeHtml(): boolean {
    return /^\s*</.test(this.head);
  }

  private line(text: string, start: number, end: number): string | undefined {
    this.lineNo++;
    // Comments (#), blank lines and every family not asked for are skipped by their first bytes.
    if (text.charCodeAt(start) !== 0x6e /* n */) return undefined;
    let nameEnd = start;
    while (nameEnd < end) {
      const c = text.charCodeAt(nameEnd);
      if (c === 0x7b /* { */ || c === 0x20 || c === 0x09) break;
      nameEnd++;
    }
    const name = text.slice(start, nameEnd);
    if (!this.wanted.has(name)) return undefined;
    const line = text.slice(start, end).replace(/\r$/, '');
    const m = SAMPLE.exec(line);
    if (!m) return `not the Prometheus text format (line ${this.lineNo}: ${JSON.stringify(line.slice(0, 80))})`;
    const raw = m[3] as string;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) return `${name} has the value ${JSON.stringify(raw)}, not a number`;
    if (this.values.has(name)) return `${name} appears twice (a duplicated metric family; which value is true cannot be told)`;
    this.values.set(name, n);
    return undefined;
  }
}
