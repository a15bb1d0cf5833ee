import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';

interface ComposeFile {
  services: Record<string, { environment?: Record<string, string>; volumes?: string[]; secrets?: string[] }>;
  secrets?: Record<string, { file: string }>;
}

/** Every `/run/secrets/NAME` a config file reads. */
function secretFiles(yamlText: string): string[] {
  return [...yamlText.matchAll(/^\s*(?:-\s*)?[a-z_]+_file:\s*\/run\/secrets\/([A-Za-z0-9_.-]+)\s*$/gm)].map((m) => m[1] as string).sort();
}

describe('compose.yaml and the config it mounts agree (issue 22 §2)', () => {
  const compose = parse(readFileSync('compose.yaml', 'utf8')) as ComposeFile;
  const svc = compose.services['lifeline'];

  it('mounts config/example-znc.yaml as $LIFELINE_CONFIG and the data volume at the image’s /var/lib/lifeline', () => {
    assert.ok(svc);
    const cfg = svc.environment?.['LIFELINE_CONFIG'];
    assert.ok(svc.volumes?.includes(`./config/example-znc.yaml:${cfg}:ro`), JSON.stringify(svc.volumes));
    assert.ok(svc.volumes?.some((v) => /^[a-z-]+:\/var\/lib\/lifeline$/.test(v)));
    assert.match(readFileSync('Dockerfile', 'utf8'), /VOLUME \["\/var\/lib\/lifeline"\]/);
  });

  it('every secret the config reads is a compose secret of the service, and none is unused; nothing secret in the environment', () => {
    const text = readFileSync('config/example-znc.yaml', 'utf8');
    assert.deepEqual(secretFiles(text), [...(svc?.secrets ?? [])].sort());
    assert.deepEqual(Object.keys(compose.secrets ?? {}).sort(), [...(svc?.secrets ?? [])].sort());
    assert.doesNotMatch(text, /\$\{/, 'no secret from environment variables');
    for (const key of ['password', 'token', 'auth_token', 'key']) assert.doesNotMatch(text, new RegExp(`^\\s*(- )?${key}:`, 'm'), `${key} inline`);
  });

  it('its store.path is on the volume', () => {
    const c = parse(readFileSync('config/example-znc.yaml', 'utf8')) as { store: { path: string } };
    assert.match(c.store.path, /^\/var\/lib\/lifeline\//);
  });
});

describe('store.path unset (issue 22 §2)', () => {
  it('goes into $LIFELINE_DATA_DIR (the image’s volume), not next to a read-only config', () => {
    const c = parseConfig('log: { level: info }\n', '/etc/lifeline/lifeline.yaml', { LIFELINE_DATA_DIR: '/var/lib/lifeline' });
    assert.equal(c.store.path, '/var/lib/lifeline/lifeline.db');
  });
  it('without LIFELINE_DATA_DIR: data/lifeline.db next to the config file, as before', () => {
    const c = parseConfig('', '/srv/lifeline/lifeline.yaml', {});
    assert.equal(c.store.path, '/srv/lifeline/data/lifeline.db');
  });
  it('a store.path the user wrote wins over LIFELINE_DATA_DIR, relative to the config file', () => {
    const c = parseConfig('store: { path: state/l.db }\n', '/srv/l/lifeline.yaml', { LIFELINE_DATA_DIR: '/var/lib/lifeline' });
    assert.equal(c.store.path, '/srv/l/state/l.db');
  });
});
