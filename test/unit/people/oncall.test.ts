import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { parseConfig } from '../../../src/config/load.js';
import { OnCallSchedule, inQuietHours, quietHoursEnd } from '../../../src/people/oncall.js';

const YAML = `
people:
  - { name: alice, email: alice@example.org, time_zone: Europe/Berlin, quiet_hours: { from: "22:00", to: "07:00" } }
  - { name: bob, email: bob@example.org }
  - { name: carol, email: carol@example.org }
oncall:
  rotations:
    - name: primary
      people: [alice, bob]
      start: "2026-10-19"
      handover_time: "09:00"
      time_zone: Europe/Berlin
    - name: secondary
      people: [carol]
      start: "2026-01-01"
  overrides:
    - { person: carol, from: "2026-12-24T00:00", to: "2026-12-27T00:00", time_zone: Europe/Berlin }
`;
const schedule = new OnCallSchedule(parseConfig(YAML, 't.yaml', {}));
const berlin = (iso: string): number => DateTime.fromISO(iso, { zone: 'Europe/Berlin' }).toMillis();

describe('OnCallSchedule', () => {
  it('hands over weekly at the local hand-over time', () => {
    assert.equal(schedule.primary(berlin('2026-10-19T09:00'))?.name, 'alice');
    assert.equal(schedule.primary(berlin('2026-10-26T08:59'))?.name, 'alice');
    assert.equal(schedule.primary(berlin('2026-10-26T09:00'))?.name, 'bob');
    assert.equal(schedule.primary(berlin('2026-11-02T09:00'))?.name, 'alice');
  });

  it('keeps 09:00 local across the end of summer time (a 169-hour shift)', () => {
    // Summer time ended on 2026-10-25 at 03:00 local: alice's week spans it.
    const shift = schedule.shifts(berlin('2026-10-25T12:00'))[0];
    assert.equal(shift?.person.name, 'alice');
    assert.equal(shift?.untilMs, berlin('2026-10-26T09:00'));
    assert.equal((berlin('2026-10-26T09:00') - berlin('2026-10-19T09:00')) / 3_600_000, 169);
  });

  it('keeps 09:00 local across the start of summer time (a 167-hour shift)', () => {
    // 2027-03-28 02:00 local is the switch; shifts begin on Mondays from 2026-10-19.
    const monday = berlin('2027-03-29T09:00');
    const before = schedule.primary(monday - 60_000)?.name;
    const after = schedule.primary(monday)?.name;
    assert.notEqual(before, after);
    assert.equal(schedule.shifts(monday - 60_000)[0]?.untilMs, monday);
  });

  it('works before the rotation start too (rotation extends backwards)', () => {
    assert.equal(schedule.primary(berlin('2026-10-12T09:00'))?.name, 'bob');
  });

  it('applies overrides for a date range in their time zone', () => {
    assert.equal(schedule.primary(berlin('2026-12-23T23:59'))?.name, 'bob');
    const s = schedule.shifts(berlin('2026-12-24T00:00'))[0];
    assert.equal(s?.person.name, 'carol');
    assert.equal(s?.override, true);
    assert.equal(s?.untilMs, berlin('2026-12-27T00:00'));
    assert.equal(schedule.primary(berlin('2026-12-27T00:00'))?.name, 'bob');
  });

  it('answers every rotation, primary first', () => {
    assert.deepEqual(schedule.shifts(berlin('2026-11-23T12:00')).map((s) => `${s.rotation}:${s.person.name}`), ['primary:bob', 'secondary:carol']);
  });
});

describe('quiet hours', () => {
  const alice = schedule.person('alice')!;
  it('wrap around midnight in the person’s zone', () => {
    assert.equal(inQuietHours(alice, berlin('2026-11-23T21:59')), false);
    assert.equal(inQuietHours(alice, berlin('2026-11-23T22:00')), true);
    assert.equal(inQuietHours(alice, berlin('2026-11-24T06:59')), true);
    assert.equal(inQuietHours(alice, berlin('2026-11-24T07:00')), false);
  });
  it('end at the next "to" time, also across a DST change', () => {
    assert.equal(quietHoursEnd(alice, berlin('2026-11-23T23:30')), berlin('2026-11-24T07:00'));
    assert.equal(quietHoursEnd(alice, berlin('2026-10-24T23:30')), berlin('2026-10-25T07:00'));
    assert.equal(quietHoursEnd(alice, berlin('2026-11-23T12:00')), berlin('2026-11-23T12:00'));
  });
  it('do not apply to people without them', () => {
    assert.equal(inQuietHours(schedule.person('bob')!, berlin('2026-11-24T03:00')), false);
  });
});
