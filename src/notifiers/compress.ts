import { naturalCompare } from '../util/naturalCompare.js';

/**
 * Names many instances in little space: names that differ only in one number collapse into
 * ranges ("web{1-3,7}.example:9100"), everything naturally sorted, nothing dropped. Used where an
 * IRC line (about 400 bytes of text) has to name 20 hosts.
 */
export function compressNames(names: readonly string[]): string[] {
  const unique = [...new Set(names)].sort(naturalCompare);
  const tokens = new Map(unique.map((n) => [n, n.split(/(\d+)/)]));
  // Candidate groups: same tokens except one numeric position.
  const groups = new Map<string, { name: string; num: number; raw: string }[]>();
  for (const [name, t] of tokens) {
    for (let i = 1; i < t.length; i += 2) {
      const key = `${i}\u0000${t.map((x, j) => (j === i ? '#' : x)).join('\u0001')}`;
      const list = groups.get(key) ?? [];
      list.push({ name, num: Number(t[i]), raw: t[i] as string });
      groups.set(key, list);
    }
  }
  const used = new Set<string>();
  const out: Array<{ sortKey: string; text: string }> = [];
  const ordered = [...groups.entries()].filter(([, l]) => l.length > 1).sort((a, b) => b[1].length - a[1].length);
  for (const [key, list] of ordered) {
    const free = list.filter((e) => !used.has(e.name) && !/^0\d/.test(e.raw));
    if (free.length < 2) continue;
    for (const e of free) used.add(e.name);
    const pos = Number(key.split('\u0000')[0]);
    const t = tokens.get((free[0] as { name: string }).name) as string[];
    const nums = free.map((e) => e.num).sort((a, b) => a - b);
    out.push({ sortKey: (free[0] as { name: string }).name, text: `${t.slice(0, pos).join('')}{${ranges(nums)}}${t.slice(pos + 1).join('')}` });
  }
  for (const n of unique) if (!used.has(n)) out.push({ sortKey: n, text: n });
  return out.sort((a, b) => naturalCompare(a.sortKey, b.sortKey)).map((o) => o.text);
}

/** "1-3,7,9-10" from sorted distinct numbers. */
function ranges(nums: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < nums.length) {
    let j = i;
    while (j + 1 < nums.length && (nums[j + 1] as number) === (nums[j] as number) + 1) j++;
    parts.push(j > i ? `${nums[i]}-${nums[j]}` : String(nums[i]));
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Joins items with ", " up to `maxBytes` (UTF-8), then "…and N more <noun>". Every item is named
 * when they fit.
 */
export function joinWithin(items: readonly string[], maxBytes: number, noun: string): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const next = out ? `${out}, ${items[i]}` : (items[i] as string);
    const rest = items.length - i;
    const tail = `, …and ${rest} more ${noun}`;
    if (Buffer.byteLength(next) + (i + 1 < items.length ? Buffer.byteLength(tail) : 0) > maxBytes && i > 0) return `${out}${tail}`;
    out = next;
  }
  return out;
}
