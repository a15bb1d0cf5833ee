import { createHash } from 'node:crypto';
import type { Matcher } from '../policy/matchers.js';

/**
 * A silence's key on every instance, from what every copy of it holds alike: its creation time,
 * creator and matchers ("1764849600000-3f2a9c1d0b7e4a55"). Row numbers differ between instances
 * (each numbers its own rows). Stored in silences.cluster_key (migration 18); kept apart from
 * the store so the migration that fills that column can use it.
 */
export function silenceKey(s: { readonly createdMs: number; readonly createdBy: string; readonly matchers: readonly Matcher[] }): string {
  const h = createHash('sha256').update(JSON.stringify([s.createdBy, s.matchers.map((m) => [m.name, m.op, m.value])])).digest('hex');
  return `${s.createdMs}-${h.slice(0, 16)}`;
}

