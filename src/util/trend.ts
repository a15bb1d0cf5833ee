/** A value at a time (ms). */
export interface Point {
  t: number;
  v: number;
}

/**
 * Least-squares slope of `points` (value units per ms), or undefined with fewer than 3 points or
 * when they span less than `minSpanMs`: too little to call a trend.
 */
export function slope(points: readonly Point[], minSpanMs = 60_000): number | undefined {
  if (points.length < 3) return undefined;
  const t0 = (points[0] as Point).t;
  if ((points.at(-1) as Point).t - t0 < minSpanMs) return undefined;
  const n = points.length;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    const x = p.t - t0;
    sx += x;
    sy += p.v;
    sxx += x * x;
    sxy += x * p.v;
  }
  const d = n * sxx - sx * sx;
  return d === 0 ? undefined : (n * sxy - sx * sy) / d;
}
