/*
 * Module hooks (node:module register) that append every resolved module URL to $IMPORT_LOG: the
 * lazy-import test reads which modules a Lifeline without a cluster section loaded.
 */
import { appendFileSync } from 'node:fs';

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

/** Records the URL each import resolves to. */
export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string }> {
  const r = await next(specifier, context);
  const log = process.env['IMPORT_LOG'];
  if (log) appendFileSync(log, `${r.url}\n`);
  return r;
}
