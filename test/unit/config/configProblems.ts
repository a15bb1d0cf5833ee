import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../../src/config/load.js';

/** The problems check-config would print for a config text, one "path: message" each. */
export function problems(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(yaml, 'bad.yaml', env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('config was accepted');
}
