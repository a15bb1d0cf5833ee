import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CORE_SCHEMA, load as loadYaml, YAMLException } from 'js-yaml';
import type { z } from 'zod';
import { ErrorCodes, LifelineError } from '../errors.js';
import { configSchema, type Config } from './schema.js';
import { SECRET_KEYS } from './secret.js';

/** One problem found in a config file: where, what is wrong, and what to do. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Raised when the config cannot be used; `problems` lists every issue at once. */
export class ConfigError extends LifelineError {
  readonly problems: readonly ConfigProblem[];
  constructor(file: string, problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.path}: ${p.message}`);
    super(ErrorCodes.CONFIG, `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the configuration:\n${lines.join('\n')}`);
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Loads, resolves and validates a config file into a deeply frozen object. The environment is
 * injected so tests can pass their own. Relative paths inside the file are resolved against the
 * file's folder.
 */
export function loadConfig(file: string, env: Env = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LifelineError(
      ErrorCodes.CONFIG_READ,
      `cannot read config file ${file} (${code ?? String(err)}); pass an existing file with --config FILE`,
    );
  }
  return parseConfig(text, file, env);
}

/** Like loadConfig, from text already in memory. `file` names the source in messages. */
export function parseConfig(text: string, file: string, env: Env = process.env): Config {
  const raw = parseYaml(text, file);
  const problems: ConfigProblem[] = [];
  const baseDir = dirname(resolve(file));
  const budget = { left: valueBudget(text) };
  const resolved = resolveTree(raw, [], { env, baseDir, problems, root: raw, budget });
  if (budget.left < 0) throw new ConfigError(file, [{ path: '(top level)', message: `the file expands to more than ${valueBudget(text)} values through YAML aliases (*name); use fewer aliases, or none that refer to each other` }]);
  // Validate even when variables or secret files are missing, so every problem shows at once;
  // a key whose value could not be resolved reports only that.
  const result = configSchema.safeParse(resolved, { reportInput: true });
  if (!result.success) {
    const unresolved = new Set(problems.map((p) => p.path));
    problems.push(...result.error.issues.flatMap((i) => describeIssue(i, resolved)).filter((p) => !unresolved.has(p.path)));
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(file, problems);
  const cfg = result.data;
  cfg.store.path = storePath(raw, cfg.store.path, baseDir, env);
  return deepFreeze(cfg);
}

/**
 * The YAML text as plain values. js-yaml with the core schema is YAML 1.2 as the config always was
 * (no timestamps, no merge keys, `yes`/`no` are strings) and refuses duplicate keys. It builds no
 * document model: 100,000 probe targets took 5.9 s and ~700 MB with the `yaml` package's
 * Document, 0.36 s here (docs/benchmarks.md, bench part checkconfig).
 */
function parseYaml(text: string, file: string): unknown {
  try {
    return loadYaml(text, { schema: CORE_SCHEMA, filename: file }) ?? {};
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    const line = (err.mark as { line?: number } | undefined)?.line;
    throw new ConfigError(file, [{ path: `line ${line === undefined ? '?' : line + 1}`, message: `YAML syntax: ${err.reason}` }]);
  }
}

/**
 * Values the parsed file may expand to. An alias (*name) refers to its anchor's value, and the
 * tree is walked as written out, so aliases of aliases grow it exponentially (a "billion laughs"
 * file of a few hundred bytes would never finish). Written-out YAML holds at most one value per
 * two characters; the bound leaves room for aliases used as intended.
 */
function valueBudget(text: string): number {
  return 10 * text.length + 10_000;
}

/** The variable naming the data folder when store.path is unset; the image sets it to its volume. */
export const DATA_DIR_ENV = 'LIFELINE_DATA_DIR';

/**
 * Where the database goes. A store.path the user wrote is resolved against the config file's
 * folder. Unset, it goes into $LIFELINE_DATA_DIR (the image's volume, /var/lib/lifeline: the
 * config folder there is read-only), or else next to the config file (data/lifeline.db).
 */
function storePath(raw: unknown, validated: string, baseDir: string, env: Env): string {
  const store = (raw as { store?: { path?: unknown } } | null)?.store;
  const given = store !== null && typeof store === 'object' && store.path !== undefined && store.path !== null;
  const dataDir = env[DATA_DIR_ENV];
  if (!given && dataDir) return resolve(dataDir, 'lifeline.db');
  return resolve(baseDir, validated);
}

/**
 * Formats a key path as the user writes it: irc.channels[0].name. Given the config's tree, a probe
 * (an item of probes.targets) is named as well, as the user finds it in the file:
 * probes.targets[3] (wiki).url.
 */
function formatPath(path: readonly PropertyKey[], root?: unknown): string {
  let out = '';
  let node: unknown = root;
  for (const p of path) {
    node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[p] : undefined;
    if (typeof p === 'number') {
      out += `[${p}]`;
      const name = path[0] === 'probes' && path[1] === 'targets' && node !== null && typeof node === 'object' ? (node as { name?: unknown }).name : undefined;
      if (typeof name === 'string' && name !== '') out += ` (${name})`;
    } else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(top level)';
}

/** The value at a path of the config's tree, if there is one. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const p of path) node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[p] : undefined;
  return node;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown): ConfigProblem[] {
  const where = formatPath(issue.path, root);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({
        path: formatPath([...issue.path, k], root),
        message: 'unknown key; check its spelling or remove it (config/lifeline.schema.json lists every key)',
      }));
    case 'invalid_type':
      if (issue.input === undefined) return [{ path: where, message: `is required (expected ${issue.expected})` }];
      return [{ path: where, message: `expected ${issue.expected}, got ${typeName(issue.input, isSecretPath(issue.path))}` }];
    case 'invalid_value':
      return [{ path: where, message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` }];
    case 'invalid_union': {
      // A discriminated union (a probe's kind, http.auth.type, irc.sasl.mechanism) names its values.
      const u = issue as { note?: string; discriminator?: string; options?: unknown[] };
      if (u.note !== 'No matching discriminator' || !u.options) return [{ path: where, message: issue.message }];
      const given = valueAt(root, issue.path);
      const valid = u.options.map(String).join(', ');
      const what = u.discriminator ?? 'value';
      return [{ path: where, message: given === undefined ? `is required: the ${what}, one of ${valid}` : `unknown ${what} ${JSON.stringify(given)}; the valid ${what}s are ${valid}` }];
    }
    default:
      return [{ path: where, message: issue.message }];
  }
}

/** Names a value's type for an error; the value itself only when it is not a secret's. */
function typeName(v: unknown, secret: boolean): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return secret ? `a ${typeof v} (value not shown: it is a secret; quote it in YAML)` : `${typeof v} ${JSON.stringify(v)}`;
}

/** Whether a config path ends in a secret key (a password, a token): its value is never echoed. */
function isSecretPath(path: readonly PropertyKey[]): boolean {
  const last = path.at(-1);
  return typeof last === 'string' && SECRET_KEYS.has(last);
}

/** Placeholder for a secret whose file could not be read (already reported). */
const UNRESOLVED = '<unresolved secret>';

/** What resolving the tree needs: the environment, the config's folder, where problems go, the raw tree (to name probes). */
interface ResolveCtx {
  env: Env;
  baseDir: string;
  problems: ConfigProblem[];
  root: unknown;
  /** Values left before the file counts as an alias bomb (valueBudget). */
  budget: { left: number };
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expands ${VAR} and ${VAR:-default} in string values, and replaces `<secret>_file: PATH` with the
 * file's content (trailing newline removed), as Docker secrets are mounted. Expansion runs on
 * parsed values, never on the YAML text, so a variable's content cannot change the structure.
 */
function resolveTree(node: unknown, path: PropertyKey[], ctx: ResolveCtx): unknown {
  const { baseDir, problems, root } = ctx;
  if (--ctx.budget.left < 0) return undefined;
  if (typeof node === 'string') return expandEnv(node, path, ctx);
  if (Array.isArray(node)) return node.map((v, i) => resolveTree(v, [...path, i], ctx));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    const base = key.endsWith('_file') ? key.slice(0, -'_file'.length) : undefined;
    if (base !== undefined && SECRET_KEYS.has(base)) {
      if (Object.hasOwn(node, base)) {
        problems.push({ path: formatPath([...path, key], root), message: `set either ${base} or ${key}, not both` });
        continue;
      }
      const filePath = expandEnv(String(value), [...path, key], ctx);
      try {
        out[base] = readFileSync(resolve(baseDir, filePath), 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        problems.push({ path: formatPath([...path, key], root), message: `cannot read secret file ${filePath} (${code}); mount the secret or fix the path` });
        // Stand-in so validation does not also report the secret itself as missing.
        out[base] = UNRESOLVED;
      }
      continue;
    }
    out[key] = resolveTree(value, [...path, key], ctx);
  }
  return out;
}

function expandEnv(value: string, path: PropertyKey[], ctx: ResolveCtx): string {
  return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
    const v = ctx.env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    ctx.problems.push({ path: formatPath(path, ctx.root), message: `environment variable ${name} is not set; export it or use \${${name}:-default}` });
    return '';
  });
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj) && !(obj instanceof Map)) {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}
