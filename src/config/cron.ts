import { cronParser } from '../util/lazy.js';

/** Checks a cron expression, for config validation. Returns an error text or undefined. */
export function cronProblem(expr: string): string | undefined {
  try {
    cronParser().parseExpression(expr);
    return undefined;
  } catch (err) {
    return `not a valid cron expression (${(err as Error).message})`;
  }
}
