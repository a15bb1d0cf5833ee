import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (this file runs from dist/test/unit). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Runs `npm run lint:deps`'s check with the repository's config on a tree of `files`; its exit code and output. */
function lintDeps(files: Record<string, string>): { code: number; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-depcruise-'));
  try {
    copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src/**/*.ts'] }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    try {
      const out = execFileSync(process.execPath, [join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'), 'src', '--output-type', 'err'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      return { code: 0, out };
    } catch (err) {
      const e = err as { status: number | null; stdout: string; stderr: string };
      return { code: e.status ?? -1, out: `${e.stdout}${e.stderr}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('import graph rules (.dependency-cruiser.cjs)', function () {
  this.timeout(120_000);

  it('passes imports that run downward, type-only ones included', () => {
    const r = lintDeps({
      'src/util/clock.ts': 'export const now = (): number => 0;\n',
      'src/store/db.ts': "import { now } from '../util/clock.js';\nexport const opened = now();\n",
      'src/escalation/engine.ts': "import type { opened } from '../store/db.js';\nexport type Opened = typeof opened;\n",
    });
    assert.equal(r.code, 0, r.out);
  });

  it('fails on a circle', () => {
    const r = lintDeps({
      'src/util/a.ts': "import { b } from './b.js';\nexport const a = (): number => b();\n",
      'src/util/b.ts': "import { a } from './a.js';\nexport const b = (): number => a();\n",
    });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /no-circular: src\/util\/a\.ts/);
  });

  it('fails on a folder importing a higher one, even for a type', () => {
    const r = lintDeps({
      'src/escalation/channels.ts': "export type PagingChannel = 'email' | 'sms';\n",
      'src/store/pages.ts': "import type { PagingChannel } from '../escalation/channels.js';\nexport const first: PagingChannel = 'email';\n",
    });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /no-upward-store: src\/store\/pages\.ts → src\/escalation\/channels\.ts/);
  });
});
