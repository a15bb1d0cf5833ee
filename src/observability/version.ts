import { readFileSync } from 'node:fs';

/** What this Lifeline is: its version and the source revision it was built from. */
export interface BuildInfo {
  /** package.json's version. */
  version: string;
  /** The git commit it was built from (LIFELINE_REVISION, set by the image build), or "unknown". */
  revision: string;
}

/**
 * Reads the build info once: the version from the package.json beside dist/ (the image copies it),
 * the revision from the environment (`docker build --build-arg LIFELINE_REVISION=$(git rev-parse
 * HEAD)`), so a page, a log or /metrics can say which Lifeline sent it.
 */
export function buildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  let version = 'unknown';
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string') version = pkg.version;
  } catch {
    // A tree without its package.json (never in the image): the version is unknown, not an error.
  }
  const revision = /^[0-9a-f]{7,40}$/.test(env['LIFELINE_REVISION'] ?? '') ? (env['LIFELINE_REVISION'] as string) : 'unknown';
  return { version, revision };
}
