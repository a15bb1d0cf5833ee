/**
 * Durations as Prometheus and Alertmanager write them: units from the largest down, each at most
 * once, "1h30m", "1w", "90s", "250ms", "1d12h", or "0". y is 365 days, w 7 days.
 */
const UNITS: ReadonlyArray<[string, number]> = [
  ['y', 365 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

const DURATION_RE = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;

/** Pattern for a duration string, shared by the schema and its JSON Schema export. */
export const DURATION_PATTERN = `^(0|(?=[0-9])${DURATION_RE.source.slice(1, -1)})$`;

/** Parses "90s" or "1h30m" into milliseconds. Returns undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  const m = DURATION_RE.exec(t);
  if (!m || t === '') return undefined;
  let total = 0;
  UNITS.forEach(([, ms], i) => {
    const v = m[i + 1];
    if (v !== undefined) total += Number(v) * ms;
  });
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Formats milliseconds for humans: 750ms, 42s, 12 min, 3 h 5 min. */
export function formatDuration(ms: number): string {
  // Spaced like every other duration Lifeline prints ("3 ms", "1.2 s", "12 min", "2 h").
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  if (h < 48) return rest ? `${h} h ${rest} min` : `${h} h`;
  return `${Math.round(h / 24)} d`;
}
