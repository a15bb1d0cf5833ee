/** Days left on a certificate; a warning text when fewer than `warnDays` remain. Records `cert_days_left`. */
export function certificateWarning(validTo: string, warnDays: number, nowMs: number, values: Record<string, string | number>): string | undefined {
  const until = Date.parse(validTo);
  if (!Number.isFinite(until)) return undefined;
  const days = Math.floor((until - nowMs) / 86_400_000);
  values['cert_days_left'] = days;
  if (warnDays === 0 || days >= warnDays) return undefined;
  const when = new Date(until).toISOString().slice(0, 10);
  return days < 0 ? `certificate expired ${-days} day(s) ago (${when})` : `certificate expires in ${days} day(s) (${when})`;
}
