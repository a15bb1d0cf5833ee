import assert from 'node:assert/strict';
import schedule from 'node-schedule';
import { parseConfig } from '../../../src/config/load.js';
import { dailyNoteLines, scheduleDailyNote, sendDailyNote } from '../../../src/escalation/dailyNote.js';
import { IncidentStore } from '../../../src/store/incidents.js';
import type { IrcState } from '../../../src/notifiers/irc/state.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import type { PageMessage, TextMessage } from '../../../src/alerts/messages.js';
import { AlertStore } from '../../../src/store/alerts.js';
import { openDb } from '../../../src/store/db.js';
import { Outbox } from '../../../src/store/outbox.js';
import { FakeClock } from '../fakeClock.js';

describe('daily note', () => {
  const config = parseConfig(
    `irc: { host: znc, nick: lifeline, channels: [{ name: "#alerts" }] }
routes: [{ name: default, irc_channels: ["#alerts"] }]
people: [{ name: alice, email: alice@example.org }]
oncall: { rotations: [{ name: primary, people: [alice], start: "2026-01-05" }] }
email: { host: smtp.example.org, from: lifeline@example.org }
daily_note: { at: "09:30", time_zone: Europe/Berlin }
`,
    't.yaml',
    {},
  );
  const clock = new FakeClock();
  const db = openDb(':memory:');
  const outbox = new Outbox(db, 100);
  const state = { link: 'registered', connectedSinceMs: clock.now() - 3_600_000, upstream: 'up', canary: { failing: false } } as unknown as IrcState;
  const deps = { config, clock, log: silentLogger(), outbox, alerts: new AlertStore(db), incidents: new IncidentStore(db), schedule: new OnCallSchedule(config), ircState: () => state, probes: () => [] as Array<{ name: string; status: 'unknown' | 'up' | 'down' }>, poke: () => undefined };

  it('says Lifeline is alive and what it watches, in IRC and to on-call by email', () => {
    assert.deepEqual(sendDailyNote(deps), ['irc:#alerts', 'email:alice@example.org']);
    const irc = outbox.pending('irc:#alerts')[0]?.message as TextMessage;
    assert.equal(irc.text, 'Lifeline is alive: IRC up 1 h, bouncer upstream up, canary ok; 0 alerts firing; 0 incidents open; on call primary: alice.');
    const mail = outbox.pending('email:alice@example.org')[0]?.message as PageMessage;
    assert.equal(mail.subject, 'Lifeline daily note: alive and watching');
  });

  it('names the probes down now and those that went down in the last 24 h', () => {
    const alerts = new AlertStore(db);
    const probe = (name: string, status: 'firing' | 'resolved', at: number): void => {
      const a = { fingerprint: `probe:${name}`, status, labels: { alertname: 'ProbeDown', probe: name }, annotations: {}, startsAt: '', endsAt: '', generatorURL: '', probe: { name, warning: false } };
      alerts.record('default', { source: 'probe', groupKey: a.fingerprint, status, commonLabels: a.labels, truncatedAlerts: 0, alerts: [a] }, at);
    };
    probe('wiki', 'firing', clock.now() - 2 * 86_400_000); // two days ago: not in the note's window
    probe('wiki', 'resolved', clock.now() - 2 * 86_400_000 + 60_000);
    probe('vpn-portal', 'firing', clock.now() - 3_600_000);
    probe('vpn-portal', 'resolved', clock.now() - 3_000_000);
    probe('bouncer', 'firing', clock.now() - 600_000);
    const lines = dailyNoteLines({ ...deps, alerts, probes: () => [{ name: 'wiki', status: 'up' }, { name: 'vpn-portal', status: 'up' }, { name: 'bouncer', status: 'down' }] });
    assert.equal(lines[1], 'Watching 3 probes: 1 down now (bouncer); went down in the last 24 h: bouncer, vpn-portal.');
    assert.equal(dailyNoteLines(deps).length, 1, 'no probes, no probe line');
  });

  it('says how each paging channel is doing, and what the calls of the last 24 h came to', () => {
    const channels = () => [
      { channel: 'email' as const, healthy: true, misconfigured: false },
      { channel: 'sms' as const, healthy: false, misconfigured: false },
      { channel: 'voice' as const, healthy: true, misconfigured: false },
    ];
    let since = 0;
    const calls = (s: number) => {
      since = s;
      return { placed: 4, acknowledged: 1, declined: 1, unanswered: 1 };
    };
    const lines = dailyNoteLines({ ...deps, channels, calls });
    assert.equal(lines.at(-1), 'Paging: email ok, sms FAILING, voice ok; calls in the last 24 h: 4 (1 acknowledged by key, 1 escalated by key, 1 not answered, 1 not ended yet).');
    assert.equal(since, clock.now() - 86_400_000);
    assert.equal(dailyNoteLines({ ...deps, channels: () => channels().slice(0, 1), calls }).at(-1), 'Paging: email ok.', 'no voice, no call count');
    assert.equal(dailyNoteLines({ ...deps, channels, calls: () => ({ placed: 0, acknowledged: 0, declined: 0, unanswered: 0 }) }).at(-1), 'Paging: email ok, sms FAILING, voice ok; no calls in the last 24 h.');
  });

  it('is scheduled with node-schedule at the configured local time', () => {
    const cancel = scheduleDailyNote(deps);
    try {
      const job = Object.values(schedule.scheduledJobs)[0];
      const next = job?.nextInvocation();
      assert.ok(next, 'a job is scheduled');
      const at = new Date(next.getTime()); // node-schedule returns a CronDate
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(at);
      assert.equal(local, '09:30');
      assert.ok(at.getTime() - Date.now() <= 86_400_000);
    } finally {
      cancel?.();
    }
    assert.equal(Object.keys(schedule.scheduledJobs).length, 0, 'cancelled');
  });
});
