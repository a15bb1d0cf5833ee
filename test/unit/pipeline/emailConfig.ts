import { parseConfig } from '../../../src/config/load.js';

/**
 * The config of the shared-mutes tests: alice always on call, paged by email at once and again
 * after 10 minutes; `extra`: more top-level YAML (e.g. a `maintenance` section).
 */
export function emailPagingConfig(extra = ''): ReturnType<typeof parseConfig> {
  return parseConfig(
    `people:
  - { name: alice, email: alice@example.org }
oncall:
  rotations:
    - { name: primary, people: [alice], start: "2026-11-23" }
email: { host: smtp.example.org, from: lifeline@example.org }
escalation:
  policies:
    - { name: now, steps: [{ after: 0s, notify: [email] }, { after: 10m, notify: [email] }] }
${extra}`,
    't.yaml',
    {},
  );
}
