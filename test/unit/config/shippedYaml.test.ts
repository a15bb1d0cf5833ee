import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { configJsonSchema } from '../../../src/config/schema.js';
import { CONFIG_SCHEMA_ID } from '../../../src/config/jsonSchemaSecrets.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

const SCHEMA_FILE = 'config/lifeline.schema.json';

/** A standard JSON Schema validator (Ajv, the draft the schema declares: 2020-12), formats checked. */
function validator(): (doc: unknown) => string[] {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
  assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`));
}

/** Top-level keys of the files under config/examples that are not Lifeline configs (Alertmanager, Prometheus, promtool tests). */
const FOREIGN_TOP_KEYS = new Set(['groups', 'route', 'receivers', 'rule_files', 'tests', 'evaluation_interval', 'inhibit_rules', 'global', 'services', 'secrets', 'volumes']);

/** The ```yaml blocks of the README, unindented (some sit in list items). */
function readmeYamlBlocks(): Array<{ line: number; text: string }> {
  const lines = readFileSync('README.md', 'utf8').split('\n');
  const out: Array<{ line: number; text: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```yaml\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j] ?? ''); j++) body.push((lines[j] ?? '').slice(indent));
    out.push({ line: i + 1, text: body.join('\n') });
    i = j;
  }
  return out;
}

const isLifeline = (doc: unknown): boolean =>
  doc !== null && typeof doc === 'object' && Object.keys(doc).every((k) => k in ((configJsonSchema() as { properties: object }).properties));

describe('every shipped YAML validates against config/lifeline.schema.json with a standard validator (issue 22 §3)', () => {
  const check = validator();

  it('the committed schema is what `lifeline schema` prints now (npm run schema), with a real $id', () => {
    assert.deepEqual(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')), JSON.parse(JSON.stringify(configJsonSchema())), 'run npm run schema');
    assert.equal((configJsonSchema() as { $id: string }).$id, CONFIG_SCHEMA_ID);
    assert.doesNotMatch(CONFIG_SCHEMA_ID, /\.invalid\b/);
  });

  it('config/*.yaml: every one is a Lifeline config, valid for the schema (as an editor sees it) and for the loader', () => {
    const files = readdirSync('config').filter((f) => /\.ya?ml$/.test(f));
    assert.ok(files.length >= 2, files.join(', '));
    for (const f of files) {
      const text = readFileSync(join('config', f), 'utf8');
      assert.match(text.split('\n')[0] ?? '', /yaml-language-server: \$schema=\.\/lifeline\.schema\.json/, `${f}: first line points editors at the schema`);
      assert.deepEqual(check(parse(text)), [], `config/${f}`);
    }
  });

  it('config/examples: each file is a Lifeline config (validated) or an Alertmanager/Prometheus file (by its top-level keys)', () => {
    // YAML files only: the NATS configs (*.conf) are run by nats-server in twoRegionsExamples.test.ts.
    const files = readdirSync('config/examples').filter((f) => /\.ya?ml$/.test(f));
    assert.ok(files.length > 0);
    let foreign = 0;
    for (const f of files) {
      for (const d of parseAllDocuments(readFileSync(join('config/examples', f), 'utf8'))) {
        const doc: unknown = d.toJS();
        if (isLifeline(doc)) assert.deepEqual(check(doc), [], `config/examples/${f}`);
        else {
          const keys = Object.keys(doc as object);
          assert.ok(keys.every((k) => FOREIGN_TOP_KEYS.has(k)), `config/examples/${f}: top-level keys ${keys.join(', ')} are neither Lifeline's nor a known tool's`);
          foreign++;
        }
      }
    }
    assert.ok(foreign > 0);
  });

  it('config/examples/cluster-region-{a,b}.yaml: config/example-znc.yaml plus the cluster section in the file\'s header loads with exactly the secrets the file mounts', () => {
    // Found by reading them as an operator would: they mounted four of the five secrets example-znc.yaml reads.
    const znc = readFileSync('config/example-znc.yaml', 'utf8');
    for (const region of ['a', 'b']) {
      const file = `config/examples/cluster-region-${region}.yaml`;
      const text = readFileSync(file, 'utf8');
      const compose = parse(text) as { services: { lifeline: { secrets: string[] } }; secrets: Record<string, { file: string }> };
      const mounted = compose.services.lifeline.secrets;
      for (const s of mounted) assert.equal(compose.secrets[s]?.file, `./secrets/${s}`, `${file}: secret ${s}`);
      const clusterLine = /^#\s+(cluster: \{.*\})\s*$/m.exec(text)?.[1];
      assert.ok(clusterLine !== undefined, `${file}: its header shows the cluster section`);
      const dir = mkdtempSync(join(tmpdir(), 'lifeline-region-secrets-'));
      try {
        for (const s of mounted) writeFileSync(join(dir, s), `value of ${s}\n`);
        const cfg = parseConfig(`${znc.split('/run/secrets/').join(`${dir}/`)}\n${clusterLine}\n`, file, {});
        assert.equal(cfg.cluster?.name, region);
        assert.deepEqual(cfg.cluster?.peers.map((x) => x.name), [region === 'a' ? 'b' : 'a']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it("the README's Lifeline config blocks validate; its other blocks are Alertmanager or Compose files", () => {
    const blocks = readmeYamlBlocks();
    let lifeline = 0;
    for (const b of blocks) {
      const doc: unknown = parse(b.text);
      if (isLifeline(doc)) {
        assert.deepEqual(check(doc), [], `README.md line ${b.line}`);
        lifeline++;
      } else {
        const keys = Object.keys(doc as object);
        assert.ok(keys.every((k) => FOREIGN_TOP_KEYS.has(k)), `README.md line ${b.line}: top-level keys ${keys.join(', ')}`);
      }
    }
    assert.ok(lifeline >= 3, `${lifeline} Lifeline blocks in the README`);
  });

  it('the schema accepts every *_file secret the loader accepts, and refuses a secret given both ways', () => {
    // Found by the old schema (no *_file keys): an editor flagged these as unknown keys.
    const doc = {
      http: { auth: { type: 'bearer', token_file: '/run/secrets/t' } },
      irc: { host: 'znc', nick: 'l', password_file: '/run/secrets/p', channels: [{ name: '#a', key_file: '/run/secrets/k' }] },
      sms: { account_sid: `AC${'0'.repeat(32)}`, auth_token_file: '/run/secrets/s', from: '+15005550006' },
    };
    assert.deepEqual(check(doc), []);
    const both = { http: { auth: { type: 'bearer', token: 'x', token_file: '/run/secrets/t' } } };
    assert.notDeepEqual(check(both), []);
    const neither = { http: { auth: { type: 'bearer' } } };
    assert.notDeepEqual(check(neither), []);
    const file = configJsonSchema() as { properties: { irc: { properties: Record<string, { description?: string }> } } };
    assert.match(file.properties.irc.properties['password_file']?.description ?? '', /File holding password.*user\/network:password/);
  });

  it('the loader agrees with the schema on the shipped container example (secrets read from files)', () => {
    const text = readFileSync('config/example-znc.yaml', 'utf8');
    // Not loadable here without /run/secrets; every problem must be an unreadable secret file, nothing else.
    try {
      parseConfig(text, 'config/example-znc.yaml', {});
    } catch (err) {
      const problems = (err as { problems?: Array<{ message: string }> }).problems ?? [];
      assert.ok(problems.length > 0, String(err));
      for (const p of problems) assert.match(p.message, /cannot read secret file \/run\/secrets\//);
    }
  });
});
