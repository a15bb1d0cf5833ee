import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** A fenced block of a README section, with the name of the `<!-- walkthrough: NAME -->` marker before it. */
export interface MarkedBlock {
  name: string;
  lang: string;
  body: string;
}

/**
 * The fenced blocks of the README section headed `heading` (up to the next `## `), each preceded by
 * `<!-- walkthrough: NAME -->`. Fails when a fenced block of the section is not marked, so a command
 * added without a marker cannot escape the test.
 */
export function markedBlocks(readmePath: string, heading: string): MarkedBlock[] {
  const text = readFileSync(readmePath, 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has no section "${heading}"`);
  const end = text.indexOf('\n## ', start + heading.length + 2);
  const section = text.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/<!-- walkthrough: ([\w.-]+) -->\n```(\w*)\n([\s\S]*?)\n```\n/g)].map((m) => ({ name: m[1]!, lang: m[2]!, body: `${m[3]!}\n` }));
  const fences = section.match(/^```/gm)?.length ?? 0;
  assert.equal(fences, blocks.length * 2, `every fenced block of "${heading}" needs a <!-- walkthrough: NAME --> marker`);
  return blocks;
}

/** The one block named `name` (fails when there is none or more than one). */
export function theBlock(blocks: MarkedBlock[], name: string): string {
  const found = blocks.filter((b) => b.name === name);
  assert.equal(found.length, 1, `one block marked "${name}" expected, found ${found.length}`);
  return found[0]!.body;
}

/** Replaces each `from` with its `to`; every `from` must occur, so the README and the test cannot drift apart silently. */
export function substitute(text: string, pairs: ReadonlyArray<readonly [string, string]>, what: string): string {
  let out = text;
  for (const [from, to] of pairs) {
    assert.ok(out.includes(from), `${what}: the test substitutes "${from}", which the README block no longer contains`);
    out = out.split(from).join(to);
  }
  return out;
}

/** A shell command of a block and the output lines the README shows after it (`# ...` comments). */
export interface ShownCommand {
  command: string;
  expected: string[];
}

/** Splits a shell block into commands (joining `\` continuations) with the `# ` output lines after each. */
export function shownCommands(block: string): ShownCommand[] {
  const out: ShownCommand[] = [];
  const lines = block.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      assert.ok(out.length > 0, `output line before any command: ${line}`);
      out.at(-1)!.expected.push(line.replace(/^# ?/, ''));
      continue;
    }
    let command = line;
    while (command.endsWith('\\') && i + 1 < lines.length) command = `${command.slice(0, -1)}${lines[++i]!.trimStart()}`;
    out.push({ command, expected: [] });
  }
  return out;
}

/**
 * A README output line as a pattern: `…` stands for anything, a number before " ms" for any
 * number (timings differ per run), the rest is literal.
 */
export function shownLinePattern(line: string): RegExp {
  const parts = line.split('…').map((p) => literal(p).replace(/\d+ ms/g, '\\d+ ms'));
  return new RegExp(`^${parts.join('.*')}$`);
}

/** `text` as a regular expression source that matches exactly it. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
