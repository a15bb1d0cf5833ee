import { DateTime } from 'luxon';
import { parseConfig } from '../../../src/config/load.js';
import { EscalationEngine } from '../../../src/escalation/engine.js';
import { ChannelHealth } from '../../../src/escalation/health.js';
import type { PathMonitor } from '../../../src/escalation/pathMonitor.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { OnCallSchedule } from '../../../src/people/oncall.js';
import type { PageMessage, TextMessage } from '../../../src/alerts/messages.js';
import { openDb, type Db } from '../../../src/store/db.js';
import { Outbox } from '../../../src/store/outbox.js';
import { ClockWatch } from '../../../src/store/clockWatch.js';
import { FakeClock } from '../fakeClock.js';
import { escalationStores } from '../../../src/store/escalationStores.js';

/* The escalation engine on a fake clock, an in-memory store and a path monitor the test flips; shared by the escalation tests. */

export const SID = `AC${'0'.repeat(32)}`;
export function yaml(extra = '', budget = 'max_per_hour: 20, max_per_day: 100'): string {
  return `people:
  - { name: alice, email: alice@example.org, phone: "+4915112345678", time_zone: Europe/Berlin, quiet_hours: { from: "22:00", to: "07:00" } }
  - { name: bob, email: bob@example.org, phone: "+4915187654321" }
oncall:
  rotations:
    - { name: primary, people: [alice, bob], start: "2026-11-23", handover_time: "00:00", time_zone: Europe/Berlin }
email: { host: smtp.example.org, from: lifeline@example.org }
sms: { account_sid: ${SID}, auth_token: t, from: "+15005550006", ${budget} }
${extra}`;
}

export interface Rig {
  clock: FakeClock;
  db: Db;
  outbox: Outbox;
  engine: EscalationEngine;
  health: ChannelHealth;
  sent(): Array<{ dest: string; subject: string; body: string[]; atMin: number }>;
  fire(name: string, severity?: string): void;
  resolve(name: string): void;
  /** Sets the IRC path health as the supervisor would, and tells the engine. */
  irc(healthy: boolean, reason?: string): void;
  /** Outages the engine reported as ended. */
  outages: Array<{ incident: string; fromMs: number; toMs: number }>;
}

export function rig(extra = '', startIso = '2026-11-23T12:00', budget?: string): Rig {
  const config = parseConfig(yaml(extra, budget), 't.yaml', {});
  const clock = new FakeClock(DateTime.fromISO(startIso, { zone: 'Europe/Berlin' }).toMillis());
  const t0 = clock.now();
  const db = openDb(':memory:');
  const outbox = new Outbox(db, 1000);
  const health = new ChannelHealth();
  // The watched path: a PathMonitor the test flips, as the IRC supervisor's state would.
  let irc = true;
  let why = '';
  const listeners = new Set<() => void>();
  const path: PathMonitor = {
    name: 'IRC alert path',
    healthy: () => irc,
    reason: () => why,
    onChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const outages: Rig['outages'] = [];
  const pathOutageEnded = (o: Rig['outages'][number]): { fired: number; resolved: number; firingNow: number } => {
    outages.push(o);
    return { fired: 2, resolved: 1, firingNow: 3 };
  };
  // The app's clock watch: a wall-clock step moves the stored times that measure waits.
  const watch = new ClockWatch({ clock, db, log: silentLogger(), faults: { raise: () => undefined, clear: () => undefined }, onStep: () => undefined });
  const checkClock = (): void => void watch.check();
  const engine = new EscalationEngine({ config, ...escalationStores(db), outbox, schedule: new OnCallSchedule(config), clock, log: silentLogger(), health, poke: () => undefined, path, pathOutageEnded, checkClock });
  engine.start();
  const alert = (name: string, status: 'firing' | 'resolved', severity = 'critical'): void => {
    db.transaction(() => engine.onAlerts({ groupKey: name, status, commonLabels: {} }, [{ fingerprint: name, status, labels: { alertname: name, severity, instance: 'h1' }, summary: `${name} summary` }], clock.now()))();
    engine.kick();
  };
  return {
    clock,
    db,
    outbox,
    engine,
    health,
    sent: () =>
      [
        ...outbox.pending('email:alice@example.org'),
        ...outbox.pending('sms:+4915112345678'),
        ...outbox.pending('voice:+4915112345678'),
        ...outbox.pending('email:bob@example.org'),
        ...outbox.pending('sms:+4915187654321'),
        ...outbox.pending('voice:+4915187654321'),
      ]
        .sort((a, b) => a.id - b.id)
        .map((e) => {
          const m = e.message as PageMessage | TextMessage;
          return { dest: e.destination, subject: m.kind === 'page' ? m.subject : m.text, body: m.kind === 'page' ? m.body : [], atMin: Math.round((e.createdMs - t0) / 60_000) };
        }),
    fire: (n, sev) => alert(n, 'firing', sev),
    resolve: (n) => alert(n, 'resolved'),
    outages,
    irc: (healthy, reason = 'not connected to the bouncer') => {
      irc = healthy;
      why = reason;
      for (const l of listeners) l();
    },
  };
}

export const MIN = 60_000;
