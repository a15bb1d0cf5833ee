/**
 * Label and annotation sets. They come from untrusted input (webhooks, the store), so they are
 * null-prototype maps: a label named `__proto__` is kept like any other, and a lookup of
 * `constructor` or `toString` finds a label of that name or nothing, never Object.prototype.
 */
export type LabelSet = Readonly<Record<string, string>>;

/** A null-prototype label set with the given pairs (later pairs win). */
export function labelSetOf(entries: Iterable<readonly [string, string]>): LabelSet {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** The value of label `name`, or undefined; only own properties count, whatever the set's prototype. */
export function labelValue(labels: LabelSet, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(labels, name) ? labels[name] : undefined;
}
