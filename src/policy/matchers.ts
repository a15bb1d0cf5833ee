import { labelValue, type LabelSet } from '../alerts/labels.js';
import { compileRegex } from '../util/regex.js';


/**
 * Label matchers, as in config (`severity: critical`, `instance: "~vpn-.*"`) and in `!silence`:
 * a value starting with "~" is a regular expression that must match the whole label value; any
 * other value must be equal. An absent label is the empty string, as in Alertmanager.
 *
 * Expressions are RE2 (util/regex.ts): linear-time, so no silence can stall the process.
 */
export type Matchers = Readonly<Record<string, string>>;

/** Compiled matchers: a predicate over a label set. Throws RegexSyntaxError on a bad expression. */
export function compileMatchers(m: Matchers): (labels: LabelSet) => boolean {
  const tests = Object.entries(m).map(([name, want]) => {
    if (want.startsWith('~')) {
      const re = compileRegex(want.slice(1));
      return (labels: LabelSet) => re.matches(labelValue(labels, name) ?? '');
    }
    return (labels: LabelSet) => (labelValue(labels, name) ?? '') === want;
  });
  return (labels) => tests.every((t) => t(labels));
}

/** Parses `name=value name=~regex` (the !silence syntax). Throws with a reason when malformed. */
export function parseMatcherText(text: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const part of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|=)(.+)$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a matcher; write label=value or label=~regex`);
    const value = m[2] === '=~' ? `~${m[3] as string}` : (m[3] as string).replace(/^"(.*)"$/, '$1');
    if (value.startsWith('~')) compileRegex(value.slice(1));
    out[m[1] as string] = value;
  }
  if (Object.keys(out).length === 0) throw new Error('give at least one matcher, e.g. alertname=HostDown');
  return out;
}
