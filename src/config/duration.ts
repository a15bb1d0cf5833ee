/** Units accepted in durations such as "90s", "5m", "4h", "250ms", "1d". */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Pattern for a duration string, shared by the schema and its JSON Schema export. */
export const DURATION_PATTERN = '^[0-9]+(ms|s|m|h|d)$';

/** Parses "90s" into 90000. Returns undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

/** Formats milliseconds for humans: 750ms, 42s, 12 min, 3 h 5 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  if (h < 48) return rest ? `${h} h ${rest} min` : `${h} h`;
  return `${Math.round(h / 24)} d`;
}
