import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration.js';
import { Secret } from './secret.js';
import { compileRegex } from '../util/regex.js';

/** Building blocks shared by the schema files. */
export const duration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), { message: 'expected a duration as Prometheus writes them, such as "250ms", "45s", "5m", "1h30m" or "1w"' })
  .transform((s) => parseDuration(s) as number);

/** A secret string, wrapped so it never prints. */
export const secret = z.string().min(1, { message: 'must not be empty' }).transform((s) => new Secret(s));

/** A TCP port. */
export const port = z.number().int().min(1).max(65535);

/** An IANA time zone such as "Europe/Berlin"; checked against the runtime's zone database. */
export const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone such as "Europe/Berlin" or "UTC"' },
);

/** A wall-clock time "HH:MM". */
export const clockTime = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { message: 'expected a time of day "HH:MM" (24 h)' });

/** Label matchers: `name: value` (equal) or `name: "~regex"` (whole-value regular expression). */
export const matchers = z
  .record(z.string(), z.string())
  .superRefine((m, ctx) => {
    for (const [name, value] of Object.entries(m)) {
      if (!value.startsWith('~')) continue;
      try {
        compileRegex(value.slice(1));
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: [name], message: `${(e as Error).message}; write an RE2 expression as Alertmanager does` });
      }
    }
  })
  .default({});
