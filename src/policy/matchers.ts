import { labelValue, type LabelSet } from '../alerts/labels.js';
import { compileRegex } from '../util/regex.js';

/**
 * Label matchers, in two spellings:
 *
 * - config (`severity: critical`, `instance: "~vpn-.*"`): a value starting with "~" is a regular
 *   expression that must match the whole label value; any other value must be equal;
 * - `!silence`, as Alertmanager and amtool users type them: `name=value`, `name!=value`,
 *   `name=~regex`, `name!~regex`, each value bare or double-quoted with backslash escapes
 *   (`alertname=~"Host.*"`, `summary="disk \"sda\" full"`), separated by spaces or commas, and
 *   optionally wrapped in braces (`{a="b", c=~"d"}`), as in Alertmanager's own matcher parser.
 *
 * Semantics are Alertmanager's: an absent label is the empty string; a regular expression is
 * anchored at both ends; `!=` and `!~` are the negations of `=` and `=~`. Expressions are RE2
 * (util/regex.ts): linear-time, so no silence can stall the process.
 */
export type Matchers = Readonly<Record<string, string>>;

/** How a matcher compares a label's value. */
export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One matcher: a label name, an operator and a value (a regular expression for =~ and !~). */
export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** Config matchers as a list ("~regex" values become =~). */
export function matcherList(m: Matchers | readonly Matcher[]): readonly Matcher[] {
  if (Array.isArray(m)) return m as readonly Matcher[];
  return Object.entries(m as Matchers).map(([name, v]) => (v.startsWith('~') ? { name, op: '=~', value: v.slice(1) } : { name, op: '=', value: v }));
}

/** Compiles one matcher into a test of a label value. Throws RegexSyntaxError on a bad expression. */
function compileOne(m: Matcher): (value: string) => boolean {
  if (m.op === '=' || m.op === '!=') {
    const eq = m.op === '=';
    return (v) => (v === m.value) === eq;
  }
  const re = compileRegex(m.value);
  const pos = m.op === '=~';
  return (v) => re.matches(v) === pos;
}

/** Compiled matchers: a predicate over a label set (all must hold). Throws RegexSyntaxError on a bad expression. */
export function compileMatchers(m: Matchers | readonly Matcher[]): (labels: LabelSet) => boolean {
  const tests = matcherList(m).map((one) => {
    const t = compileOne(one);
    return (labels: LabelSet) => t(labelValue(labels, one.name) ?? '');
  });
  return (labels) => tests.every((t) => t(labels));
}

const NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const OP = /=~|!~|!=|=/y;

/**
 * Parses matchers as amtool and Alertmanager take them (see the top of this file). Throws an
 * Error whose message says what is wrong and how to write it instead; a bad regular expression
 * throws RegexSyntaxError. Refuses a set whose matchers all match an empty label, as
 * Alertmanager does: `!silence team!=db` would otherwise silence every alert without a team.
 */
export function parseMatchers(text: string): Matcher[] {
  let s = text.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw new Error(`"${s}" opens a brace it does not close; write {label="value", ...}`);
    s = s.slice(1, -1);
  }
  const out: Matcher[] = [];
  let i = 0;
  const skipSeparators = (): void => {
    while (i < s.length && /[\s,]/.test(s[i] as string)) i++;
  };
  skipSeparators();
  while (i < s.length) {
    const start = i;
    NAME.lastIndex = i;
    const name = NAME.exec(s)?.[0];
    if (name === undefined) throw new Error(`"${wordAt(s, start)}" is not a matcher; write label=value, label!=value, label=~regex or label!~regex`);
    i += name.length;
    OP.lastIndex = i;
    const op = OP.exec(s)?.[0] as MatchOp | undefined;
    if (op === undefined) throw new Error(`"${wordAt(s, start)}" is not a matcher; write label=value, label!=value, label=~regex or label!~regex`);
    i += op.length;
    let value: string;
    if (s[i] === '"') {
      const r = quoted(s, i);
      value = r.value;
      i = r.end;
      if (i < s.length && !/[\s,]/.test(s[i] as string)) throw new Error(`after the quoted value of ${name}, put a space or a comma before the next matcher`);
    } else {
      const end = s.slice(i).search(/[\s,]/);
      value = end < 0 ? s.slice(i) : s.slice(i, i + end);
      i += value.length;
      if (value.includes('"')) throw new Error(`the value of ${name} has a stray quote: quote the whole value, e.g. ${name}${op}"${value.replaceAll('"', '')}"`);
    }
    if (op === '=~' || op === '!~') compileRegex(value);
    out.push({ name, op, value });
    skipSeparators();
  }
  if (out.length === 0) throw new Error('give at least one matcher, e.g. alertname=HostDown');
  if (out.every((m) => compileOne(m)(''))) {
    throw new Error(`${matcherText(out)} also matches alerts without these labels, so it would silence everything; add a matcher that needs a value, e.g. alertname=HostDown`);
  }
  return out;
}

/** A double-quoted value starting at `at`, with Go's escapes (\" \\ \n \t); the index after its closing quote. */
function quoted(s: string, at: number): { value: string; end: number } {
  let out = '';
  for (let i = at + 1; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '"') return { value: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i];
    if (n === undefined) break;
    const esc: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };
    if (esc[n] === undefined) throw new Error(`"\\${n}" is not an escape in a quoted value; write \\" for a quote and \\\\ for a backslash`);
    out += esc[n];
  }
  throw new Error(`a quoted value starting ${s.slice(at, at + 20)} has no closing quote`);
}

/** The word at a position, for error messages. */
function wordAt(s: string, at: number): string {
  const rest = s.slice(at);
  const end = rest.search(/[\s,]/);
  return end < 0 ? rest : rest.slice(0, end);
}

/** Matchers as amtool prints them: name="value", quoted with escapes when needed, space-separated. */
export function matcherText(m: Matchers | readonly Matcher[]): string {
  return matcherList(m)
    .map((x) => `${x.name}${x.op}${/^[^\s,"{}\\]+$/.test(x.value) ? x.value : JSON.stringify(x.value)}`)
    .join(' ');
}
