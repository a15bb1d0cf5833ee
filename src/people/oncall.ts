import type { DateTime } from 'luxon';
import type { Config } from '../config/schema.js';
import { luxon } from '../util/lazy.js';

/** A person who can be paged. */
export type Person = Config['people'][number];

/**
 * The name of whoever has `phone` in `people`, or "unknown": calls and SMS receipts are recorded and
 * logged by name, and a number of nobody in `people` is never kept in its place.
 */
export function personOfPhone(people: readonly Person[], phone: string): string {
  return people.find((p) => p.phone === phone)?.name ?? 'unknown';
}

/** Who is on call in one rotation, and until when. */
export interface Shift {
  rotation: string;
  person: Person;
  /** When this shift ends (next hand-over, or the end of an override), ms since the epoch. */
  untilMs: number;
  override: boolean;
}

const DAY_MS = 86_400_000;

/**
 * The on-call schedule: weekly (or any length) rotations with a hand-over time in a time zone,
 * and overrides for a date range. Shifts of whole days are counted in calendar days in the
 * rotation's zone, so the hand-over stays at 09:00 local time across DST changes (a shift is then
 * 167 or 169 hours long, as people expect).
 */
export class OnCallSchedule {
  private readonly people: Map<string, Person>;
  private readonly overrides: Array<{ rotation: string; person: string; fromMs: number; toMs: number }>;

  constructor(private readonly cfg: Pick<Config, 'people' | 'oncall'>) {
    this.people = new Map(cfg.people.map((p) => [p.name, p]));
    const first = cfg.oncall.rotations[0]?.name ?? '';
    this.overrides = cfg.oncall.overrides.map((o) => {
      const { DateTime } = luxon();
      return {
        rotation: o.rotation ?? first,
        person: o.person,
        fromMs: DateTime.fromISO(o.from, { zone: o.time_zone }).toMillis(),
        toMs: DateTime.fromISO(o.to, { zone: o.time_zone }).toMillis(),
      };
    });
  }

  /** A person by name. */
  person(name: string): Person | undefined {
    return this.people.get(name);
  }

  /** All people. */
  everyone(): Person[] {
    return [...this.people.values()];
  }

  /** Who is on call at `nowMs` in every rotation (the first rotation is the primary). */
  shifts(nowMs: number): Shift[] {
    const out: Shift[] = [];
    if (this.cfg.oncall.rotations.length === 0) return out;
    const { DateTime } = luxon();
    for (const r of this.cfg.oncall.rotations) {
      const ov = this.overrides.find((o) => o.rotation === r.name && o.fromMs <= nowMs && nowMs < o.toMs);
      if (ov) {
        const p = this.people.get(ov.person);
        if (p) out.push({ rotation: r.name, person: p, untilMs: ov.toMs, override: true });
        continue;
      }
      const start = DateTime.fromISO(`${r.start}T${r.handover_time}`, { zone: r.time_zone });
      const now = DateTime.fromMillis(nowMs, { zone: r.time_zone });
      let index: number;
      let shiftStart: DateTime;
      let next: DateTime;
      if (r.shift % DAY_MS === 0) {
        const days = r.shift / DAY_MS;
        index = Math.floor(Math.floor(now.diff(start, 'days').days) / days);
        shiftStart = start.plus({ days: index * days });
        if (shiftStart > now) {
          index -= 1;
          shiftStart = start.plus({ days: index * days });
        }
        next = shiftStart.plus({ days });
      } else {
        index = Math.floor((nowMs - start.toMillis()) / r.shift);
        next = DateTime.fromMillis(start.toMillis() + (index + 1) * r.shift, { zone: r.time_zone });
      }
      const n = r.people.length;
      const name = r.people[((index % n) + n) % n] as string;
      const p = this.people.get(name);
      if (p) out.push({ rotation: r.name, person: p, untilMs: next.toMillis(), override: false });
    }
    return out;
  }

  /** The primary on-call person (first rotation) at `nowMs`. */
  primary(nowMs: number): Person | undefined {
    return this.shifts(nowMs)[0]?.person;
  }
}

/** Whether `nowMs` falls in a person's quiet hours (in their time zone). */
export function inQuietHours(p: Person, nowMs: number): boolean {
  if (!p.quiet_hours) return false;
  const t = luxon().DateTime.fromMillis(nowMs, { zone: p.time_zone });
  const minutes = t.hour * 60 + t.minute;
  const parse = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  const from = parse(p.quiet_hours.from);
  const to = parse(p.quiet_hours.to);
  return from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
}

/** When a person's current quiet hours end (ms), or `nowMs` when not in quiet hours. */
export function quietHoursEnd(p: Person, nowMs: number): number {
  if (!p.quiet_hours || !inQuietHours(p, nowMs)) return nowMs;
  const t = luxon().DateTime.fromMillis(nowMs, { zone: p.time_zone });
  const [h, m] = p.quiet_hours.to.split(':').map(Number) as [number, number];
  let end = t.set({ hour: h, minute: m, second: 0, millisecond: 0 });
  if (end <= t) end = end.plus({ days: 1 });
  return end.toMillis();
}
