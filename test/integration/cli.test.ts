import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDb } from '../../src/store/db.js';
import { tempDir } from './harness/procs.js';

const MAIN = join(process.cwd(), 'dist/src/main.js');

function run(args: string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('lifeline CLI', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir('cli');
  });
  after(() => tmp.remove());

  it('--version prints the version and the revision (LIFELINE_REVISION) it was built from', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = run(['--version'], { LIFELINE_REVISION: '0123456789abcdef0123456789abcdef01234567' });
    assert.equal(r.code, 0);
    assert.equal(r.out, `lifeline ${pkg.version} (revision 0123456789abcdef0123456789abcdef01234567)\n`);
    assert.equal(run(['version']).out, `lifeline ${pkg.version} (revision unknown)\n`);
  });

  it('check-config accepts the shipped configs', () => {
    const r = run(['check-config', '--config', 'config/lifeline.yaml']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /configuration is valid/);
    const secret = join(tmp.dir, 'token');
    writeFileSync(secret, 'x');
    // Every secret of the example is a file under /run/secrets (compose.yaml mounts them there).
    const example = readFileSync('config/example-znc.yaml', 'utf8').replace(/\/run\/secrets\/[A-Za-z0-9_.-]+/g, secret);
    writeFileSync(join(tmp.dir, 'example.yaml'), example);
    const e = run(['check-config', '--config', join(tmp.dir, 'example.yaml')], {});
    assert.equal(e.code, 0, e.err);
  });

  it('check-config of an empty file says loudly what is unsafe and that it delivers nowhere (still valid, for the quick start)', () => {
    const file = join(tmp.dir, 'empty.yaml');
    writeFileSync(file, '');
    const r = run(['check-config', '--config', file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /warning \(http\.auth\): UNSAFE: listening on 0\.0\.0\.0:9095 \(not loopback\) with http\.auth type none: anyone who reaches the port can post alerts that page/);
    assert.match(r.err, /warning \(routes\): Lifeline delivers nowhere/);
    // The shipped quick-start config listens on loopback: only the "nowhere" note.
    const shipped = run(['check-config', '--config', 'config/lifeline.yaml']);
    assert.doesNotMatch(shipped.err, /UNSAFE/);
    assert.match(shipped.err, /delivers nowhere/);
  });

  it('check-config lists every problem with its key path, exits 1, and prints no stack trace', () => {
    const file = join(tmp.dir, 'bad.yaml');
    writeFileSync(file, 'http:\n  prot: 9095\nirc:\n  host: znc\n  nick: "9bad nick"\n  channels: []\n  password: ${ZNC_PASSWORD}\n');
    const r = run(['check-config', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.err, /4 problems in the configuration/);
    assert.match(r.err, /- http\.prot: unknown key/);
    assert.match(r.err, /- irc\.nick: expected an IRC nickname/);
    assert.match(r.err, /- irc\.channels: /);
    assert.match(r.err, /- irc\.password: environment variable ZNC_PASSWORD is not set/);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  });

  it('run refuses a bad config the same way', () => {
    const file = join(tmp.dir, 'bad2.yaml');
    writeFileSync(file, 'routes: []\n');
    const r = run(['run', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.err, /routes: /);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });

  it('a read-only state database at start gives the one-line error with the fix, no stack trace (issue 7.11)', () => {
    const dir = join(tmp.dir, 'ro');
    mkdirSync(dir);
    const db = join(dir, 'l.db');
    const file = join(tmp.dir, 'ro.yaml');
    writeFileSync(file, `http:\n  port: 1\nstore:\n  path: ${db}\nroutes:\n  - name: default\n    console: true\n`);
    openDb(db).close(); // a database made earlier, now read-only
    for (const f of readdirSync(dir)) if (f !== 'l.db') rmSync(join(dir, f));
    chmodSync(db, 0o444);
    chmodSync(dir, 0o555);
    chmodSync(tmp.dir, 0o755);
    chmodSync(file, 0o644);
    // root may write anything: run as nobody then, as the image's non-root user would.
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const r = spawnSync(asUser[0] ?? process.execPath, [...asUser.slice(1), ...(asUser.length ? [process.execPath] : []), MAIN, 'run', '--config', file], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' }, timeout: 20_000 });
    chmodSync(dir, 0o755);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^lifeline: cannot use the state database at .*l\.db \(attempt to write a readonly database\); Lifeline must be able to write it and its folder/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('ships Prometheus rules (Watchdog, memory pressure, OOM kills, OpenVPN capacity) and Alertmanager routes that promtool and amtool accept; the rules fire as their tests say', () => {
    const rules = spawnSync('promtool', ['check', 'rules', 'config/examples/prometheus-watchdog.rules.yml'], { encoding: 'utf8' });
    assert.equal(rules.status, 0, rules.stdout + rules.stderr);
    assert.match(rules.stdout, /SUCCESS: 9 rules found/);
    const fire = spawnSync('promtool', ['test', 'rules', 'prometheus-watchdog.rules.test.yml'], { encoding: 'utf8', cwd: 'config/examples' });
    assert.equal(fire.status, 0, fire.stdout + fire.stderr);
    const am = spawnSync('amtool', ['check-config', 'config/examples/alertmanager-lifeline.yml'], { encoding: 'utf8' });
    assert.equal(am.status, 0, am.stdout + am.stderr);
    assert.match(am.stdout, /SUCCESS/);
  });

  it('says what to do about a missing file or a busy port', () => {
    const r = run(['run', '--config', join(tmp.dir, 'missing.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot read config file .*missing\.yaml \(ENOENT\); pass an existing file/);
  });

  it('prints usage for no or unknown commands', () => {
    const r = run([]);
    assert.equal(r.code, 2);
    assert.match(r.out, /lifeline run --config FILE/);
    assert.equal(run(['frobnicate']).code, 2);
  });

  it('ships a JSON Schema identical to the one the validator generates', () => {
    const r = run(['schema']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.out), JSON.parse(readFileSync('config/lifeline.schema.json', 'utf8')), 'run `npm run schema` and commit config/lifeline.schema.json');
  });
});
