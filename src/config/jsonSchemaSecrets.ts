import { SECRET_KEYS } from './secret.js';

/**
 * The identifier of config/lifeline.schema.json. Lifeline has no web site to serve the schema
 * from, so the `$id` is a URN: a stable name for this schema that claims no download address
 * (editors find the file through the `# yaml-language-server: $schema=` line of each example).
 */
export const CONFIG_SCHEMA_ID = 'urn:lifeline:schema:config';

type Node = Record<string, unknown>;

/**
 * Adds `<key>_file` beside every secret key (SECRET_KEYS) of every object in a JSON Schema, in
 * place, as the loader accepts it (src/config/load.ts, Docker secrets): a string path, described.
 * A required secret becomes "the key or its file, exactly one"; an optional one "not both".
 * Run after the descriptions are in, so the file key can cite its secret's description.
 */
export function addSecretFileKeys(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const x of node) addSecretFileKeys(x);
    return;
  }
  const n = node as Node;
  const props = n['properties'] as Record<string, Node> | undefined;
  if (props) {
    for (const key of Object.keys(props)) {
      if (!SECRET_KEYS.has(key) || Object.hasOwn(props, `${key}_file`)) continue;
      const file = `${key}_file`;
      const about = typeof props[key]?.['description'] === 'string' ? ` (${key}: ${String(props[key]['description'])})` : '';
      props[file] = {
        type: 'string',
        minLength: 1,
        description: `File holding ${key}, e.g. a Docker/Podman secret under /run/secrets; its whole content is the value (one trailing newline removed). Set ${key} or ${file}, not both${about}.`,
      };
      const required = n['required'] as string[] | undefined;
      const rule = required?.includes(key)
        ? { oneOf: [{ required: [key] }, { required: [file] }] }
        : { not: { required: [key, file] } };
      if (required?.includes(key)) n['required'] = required.filter((r) => r !== key);
      n['allOf'] = [...((n['allOf'] as unknown[] | undefined) ?? []), rule];
    }
  }
  for (const [k, v] of Object.entries(n)) {
    if (k === 'allOf' || k === 'required' || k === 'enum' || k === 'const' || k === 'default') continue;
    if (k === 'properties') for (const p of Object.values(v as Record<string, unknown>)) addSecretFileKeys(p);
    else addSecretFileKeys(v);
  }
  for (const x of (n['allOf'] as unknown[] | undefined) ?? []) addSecretFileKeys(x);
}
