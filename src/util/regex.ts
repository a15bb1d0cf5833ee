import type { RE2JS } from 're2js';
import { re2js } from './lazy.js';

/*
 * Every user-supplied regular expression (silences, routes, policies, maintenance windows, allow
 * masks) is RE2, as in Alertmanager and Prometheus, run by re2js: matching is linear in the input,
 * so no pattern (`(a+)+$` and friends) can stall the process. Perl-only syntax (lookaround,
 * backreferences) is refused when the pattern is compiled, with RE2's reason.
 */

/** A regular expression RE2 cannot compile; the message says why, in RE2's words. */
export class RegexSyntaxError extends Error {}

/** Compiles a whole-value RE2 expression; throws RegexSyntaxError naming the pattern and the reason. */
export function compileRegex(pattern: string, flags = 0): RE2JS {
  try {
    return re2js().RE2JS.compile(`^(?:${pattern})$`, flags);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).replace(/^error parsing regexp: /, '');
    throw new RegexSyntaxError(`"${pattern}" is not an RE2 regular expression (${why}); lookaround and backreferences are not supported`);
  }
}
