import { hostname } from 'node:os';
import { Commands } from './commands/commands.js';
import { IrcCommands, commandMessage } from './commands/irc.js';
import { smsCommand } from './commands/sms.js';
import type { Config } from './config/schema.js';
import { startupWarnings } from './config/startupWarnings.js';
import { ErrorCodes, LifelineError, NotifyError, describeError } from './errors.js';
import { scheduleDailyNote } from './escalation/dailyNote.js';
import { HeartbeatOut } from './observability/heartbeatOut.js';
import { EscalationEngine } from './escalation/engine.js';
import { pagingChannelOf } from './escalation/channels.js';
import { ChannelHealth } from './escalation/health.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { buildStatus } from './http/status.js';
import { HistoryStore } from './store/history.js';
import { ConsoleNotifier } from './notifiers/console.js';
import { EmailNotifier } from './notifiers/email.js';
import { Formatter } from './notifiers/format.js';
import { IrcNotifier } from './notifiers/irc/notifier.js';
import { ircPathMonitor } from './escalation/ircPath.js';
import { IrcSupervisor, type ClientFactory } from './notifiers/irc/supervisor.js';
import type { Notifier } from './notifiers/notifier.js';
import { SmsNotifier } from './notifiers/sms.js';
import { VoiceNotifier } from './notifiers/voice.js';
import { CallStore } from './store/calls.js';
import { makeTwilioVoice } from './sources/twilioVoice.js';
import { makeTwilioReceipts } from './sources/twilioReceipts.js';
import { SmsMessageStore } from './store/smsMessages.js';
import type { Logger } from './observability/logger.js';
import type { ClusterNode } from './cluster/node.js';
import { ContactNames } from './observability/contactNames.js';
import { createMetrics, liveGauge, liveLabelledGauge, type Metrics } from './observability/metrics.js';
import { OnCallSchedule } from './people/oncall.js';
import { MaintenanceWindows } from './policy/maintenance.js';
import { RepeatFilter } from './store/repeat.js';
import { destinationsOf } from './policy/routing.js';
import { SilenceStore } from './store/silences.js';
import { Mutes } from './pipeline/mutes.js';
import { buildInfo, type BuildInfo } from './observability/version.js';
import { Dispatcher } from './relay/dispatcher.js';
import { queueOutageSummaries } from './relay/outage.js';
import { ingestInParts, makeIngest } from './pipeline/ingest.js';
import { batchOf, type GroupNotification } from './sources/alertmanager.js';
import { makeTwilioInbound } from './sources/twilioInbound.js';
import { twilioSignatureCheck } from './sources/twilioSignature.js';
import { AlertStore } from './store/alerts.js';
import { openDb, storeReadable, type Db } from './store/db.js';
import { Outbox } from './store/outbox.js';
import { FaultReporter } from './escalation/faults.js';
import type { PagingChannel } from './escalation/channels.js';
import { scheduleRetention } from './store/retention.js';
import { ProbeStateStore } from './store/probeState.js';
import { HeartbeatStore } from './store/heartbeats.js';
import { WgTimestampStore } from './store/wgTimestamps.js';
import { labelValue } from './alerts/labels.js';
import { anyEndpointAnswers, ProbeEngine } from './probes/engine.js';
import { probeBuilder } from './probes/registry.js';
import { rebaseTimes } from './store/rebase.js';
import { ClockStepWatcher } from './util/clockStep.js';
import { sleep, type Clock, type TimerHandle } from './util/clock.js';
import { formatDuration } from './config/duration.js';

/** How often the wall clock is checked for steps (escalation also checks before each pass). */
const CLOCK_CHECK_MS = 5_000;

/** A clock-step fault stays listed this long after the last step (monotonic), then clears. */
const CLOCK_FAULT_MS = 60 * 60_000;

/** What the app is assembled from; tests pass their own clock, logger or IRC client factory. */
export interface AppContext {
  config: Config;
  clock: Clock;
  log: Logger;
  ircClientFactory?: ClientFactory;
  /** Version and revision (observability/version.ts); read from package.json when not given. */
  build?: BuildInfo;
}

/** A running Lifeline. */
export interface App {
  readonly db: Db;
  readonly http: HttpServer;
  readonly irc: IrcSupervisor | undefined;
  readonly outbox: Outbox;
  readonly alerts: AlertStore;
  readonly metrics: Metrics;
  readonly escalation: EscalationEngine;
  readonly probes: ProbeEngine;
  /** The cluster layer (issue 23), with a `cluster` section only; not yet consulted by the paging core. */
  readonly cluster: ClusterNode | undefined;
  /** The port the HTTP server listens on (useful with port 0). */
  port(): number;
  stop(): Promise<void>;
}

/**
 * Wires the pipeline, top to bottom:
 *
 *   webhook (sources) ──► alert store ──► policy (silences, maintenance, routes, repeats) ──► outbox
 *                                     └─► escalation (incidents, steps, bundles, budgets) ──► outbox
 *   outbox ──► dispatcher (the one retry stage, digests) ──► notifiers (irc, console, email, sms)
 *   IRC state ──► escalation (the monitoring-path rule);  IRC/SMS commands ──► escalation (acks)
 *
 * The first line runs in one SQLite transaction per webhook; only after it commits does the
 * webhook answer 200. Delivery runs on its own, per destination.
 */
export async function startApp(ctx: AppContext): Promise<App> {
  const { config, clock, log } = ctx;
  const build = ctx.build ?? buildInfo();
  log.info({ event: 'starting', version: build.version, revision: build.revision }, `Lifeline ${build.version} (revision ${build.revision}) starting`);
  for (const w of startupWarnings(config)) log.warn({ event: w.event, key: w.key }, w.text);
  const db = openDb(config.store.path);
  // Issue 23: src/cluster (and the NATS client) is loaded only with a cluster section. It connects
  // in the background: a nats-server that is down never holds the start.
  const cluster = config.cluster ? (await import('./cluster/node.js')).ClusterNode.launch({ config: config.cluster, db, clock, log, apply: () => undefined }) : undefined;
  const alerts = new AlertStore(db);
  const outbox = new Outbox(db, config.outbox.max_pending);
  const repeats = new RepeatFilter(db, config.format.reminder_interval);
  const metrics = createMetrics(build);
  const formatter = new Formatter(config.format, config.outbox.digest_max_kinds);

  const notifiers: Notifier[] = [new ConsoleNotifier(log)];
  let irc: IrcSupervisor | undefined;
  let ircNotifier: IrcNotifier | undefined;
  if (config.irc) {
    irc = new IrcSupervisor(config.irc, clock, log, ctx.ircClientFactory);
    ircNotifier = new IrcNotifier(irc, () => clock.now());
    notifiers.push(ircNotifier);
  }
  const email = config.email ? new EmailNotifier(config.email) : undefined;
  if (email) notifiers.push(email);
  const smsMessages = new SmsMessageStore(db);
  // Calls and receipts are recorded (and logged) by person name; a number of nobody in people is not kept as the name.
  const personByPhone = (phone: string): string => config.people.find((p) => p.phone === phone)?.name ?? 'unknown';
  // A recorded SMS starts its delivery_timeout: escalation's timer must know (it watches receipts).
  const smsLog = {
    sent: (outboxId: number, sid: string, person: string, now: number): void => {
      smsMessages.sent(outboxId, sid, person, now);
      escalation.kick();
    },
  };
  const sms = config.sms ? new SmsNotifier(config.sms, clock, { log: smsLog, personOf: personByPhone }) : undefined;
  if (sms) notifiers.push(sms);
  const health = new ChannelHealth();
  const schedule = new OnCallSchedule(config);
  const calls = new CallStore(db);
  const voice = config.voice && config.sms ? new VoiceNotifier(config.voice, config.sms, clock, calls, personByPhone) : undefined;
  if (voice) notifiers.push(voice);
  const pagingNotifiers = new Map<PagingChannel, Notifier>([...(email ? [['email', email] as const] : []), ...(sms ? [['sms', sms] as const] : []), ...(voice ? [['voice', voice] as const] : [])]);
  /** Paging channels whose last failure was Lifeline's configuration (cleared by their next delivery). */
  const misconfigured = new Set<PagingChannel>();
  const lifelineName = `Lifeline on ${hostname()}`;
  /** Each configured paging channel: delivering, failing (3 in a row), or refused for Lifeline's own configuration. */
  const pagingChannelStates = (): Array<{ channel: PagingChannel; healthy: boolean; misconfigured: boolean }> =>
    [...pagingNotifiers.keys()].map((channel) => ({ channel, healthy: health.healthy(channel), misconfigured: misconfigured.has(channel) }));
  const startedMs = clock.now();
  // Metrics and logs name people, never their numbers or addresses.
  const names = new ContactNames(config.people);
  // Faults go straight to email and SMS (a call needs its outbox row, and the store may be the fault).
  const faults = new FaultReporter({ clock, log, schedule, formatter, channels: new Map([...pagingNotifiers].filter(([ch]) => ch !== 'voice')), name: lifelineName, scrub: (t) => names.text(t) });

  const dispatcher = new Dispatcher(outbox, notifiers, formatter, config.outbox, clock, log, {
    names,
    sent: (destination, kind, lines) => {
      metrics.sent.inc({ destination: names.destination(destination), kind });
      metrics.sentLines.inc({ destination: names.destination(destination) }, lines);
      const ch = pagingChannelOf(destination);
      if (ch) health.delivered(ch);
      if (ch && misconfigured.delete(ch) && misconfigured.size === 0) faults.clear('notifier_misconfigured');
    },
    failed: (destination, retryable, err) => {
      metrics.deliveryFailures.inc({ destination: names.destination(destination), retryable: String(retryable) });
      // Only paging channels feed failover: an IRC failure is the path rule's business.
      const ch = pagingChannelOf(destination);
      if (ch) health.failed(ch);
      // Bad credentials are Lifeline's own fault: reported once, through the other channels.
      if (ch && err instanceof NotifyError && err.misconfigured !== undefined) {
        misconfigured.add(ch);
        faults.raise('notifier_misconfigured', `${ch}: ${names.text(describeError(err))}; fix ${err.misconfigured}, then check with "lifeline test-notify --channel ${ch}"`);
      }
    },
    workerFault: (destination, err) => {
      const kind = (err as { code?: unknown } | undefined)?.code?.toString().startsWith('SQLITE_') ? 'store_write' : 'delivery_worker';
      if (err === undefined) {
        if (dispatcher.faults().size === 0) for (const k of ['store_write', 'delivery_worker'] as const) faults.clear(k);
      } else faults.raise(kind, `delivering to ${names.destination(destination)}: ${names.text(describeError(err))}`);
    },
  });

  const ircDestinations = [...new Set(config.routes.flatMap((r) => destinationsOf(r)).filter((d) => d.startsWith('irc:')))];
  const silences = new SilenceStore(db);
  const maintenance = new MaintenanceWindows(config.maintenance);
  // Wall-clock steps: stored times that measure waits are moved by the step (store/rebase.ts).
  const clockWatch = new ClockStepWatcher(clock);
  let lastStepMono: number | undefined;
  const checkClock = (): boolean => {
    const step = clockWatch.check();
    if (step === 0) {
      if (lastStepMono !== undefined && clock.monotonic() - lastStepMono > CLOCK_FAULT_MS) {
        lastStepMono = undefined;
        faults.clear('clock_step');
      }
      return false;
    }
    const rows = rebaseTimes(db, step, clock.now());
    const words = `the wall clock stepped ${step > 0 ? 'forward' : 'back'} ${formatDuration(Math.abs(step))}`;
    log.warn({ event: 'clock_step', step_ms: step, rows }, `${words}; ${rows} stored time(s) moved with it so every wait keeps its length`);
    // Once per hour at most: the host's time keeping is broken (NTP, an operator, a resumed VM).
    lastStepMono = clock.monotonic();
    faults.raise('clock_step', `${words} at ${new Date(clock.now()).toISOString()}; waits were kept, but check the host's time sync (chrony/ntpd): on-call schedules and quiet hours follow the wall clock`);
    return true;
  };
  const ircPath = irc ? ircPathMonitor(irc) : undefined;
  const escalation = new EscalationEngine({
    checkClock: () => void checkClock(),
    config,
    db,
    outbox,
    schedule,
    clock,
    log,
    health,
    poke: (d) => dispatcher.poke(d),
    path: ircPath,
    pathOutageEnded: (o) => queueOutageSummaries({ alerts, outbox, clock, destinations: ircDestinations, poke: (d) => dispatcher.poke(d), quietNames: [...heartbeatByAlert.keys()] }, o),
  });

  const routes = new Map(config.routes.map((r) => [r.name, destinationsOf(r)]));
  const heartbeats = new HeartbeatStore(db);
  const heartbeatByAlert = new Map(config.probes.targets.flatMap((t) => (t.kind === 'heartbeat' && t.alertname !== undefined ? [[t.alertname, t.name] as const] : [])));
  const pinged = new Set(config.probes.targets.flatMap((t) => (t.kind === 'heartbeat' && t.alertname === undefined ? [t.name] : [])));
  const ingestBatch = makeIngest({
    db,
    alerts,
    muted: (now) => mutes.muted(now),
    escalation,
    repeats,
    outbox,
    routes,
    heartbeatOf: (labels) => (heartbeatByAlert.size > 0 ? heartbeatByAlert.get(labelValue(labels, 'alertname') ?? '') : undefined),
    beat: (name, now) => heartbeats.beat(name, now),
  });
  // Silences and maintenance windows: mute new alerts, hold open incidents, release them when they end.
  const mutes = new Mutes({
    silences,
    maintenance,
    alerts,
    escalation,
    clock,
    log,
    reevaluate: (route, batch, now) => {
      // Not forced as news: the repeat filter keeps an alert already posted from being posted again.
      const r = ingestBatch(route, batch, now, undefined, false, true);
      for (const d of r.queued) dispatcher.poke(d);
      return r;
    },
  });
  const ingest = async (route: string, n: GroupNotification): Promise<{ alerts: number; queued: number }> => {
    const r = await ingestInParts(ingestBatch, route, batchOf(n), () => clock.now());
    for (const a of n.alerts) metrics.alertsReceived.inc({ status: a.status });
    for (const d of r.queued) dispatcher.poke(d);
    escalation.kick();
    return { alerts: r.alerts, queued: r.queued.length };
  };

  if (irc) {
    const sup = irc;
    const s = (): IrcSupervisor['state'] => sup.state;
    liveGauge(metrics.registry, 'lifeline_irc_connected', '1 while registered with the IRC server or bouncer.', () => (s().link === 'registered' ? 1 : 0));
    liveGauge(metrics.registry, 'lifeline_irc_upstream_connected', '1 when the bouncer is on its IRC network, 0 when not, -1 when unknown.', () =>
      s().upstream === 'up' ? 1 : s().upstream === 'down' ? 0 : -1,
    );
    liveGauge(metrics.registry, 'lifeline_irc_canary_ok', '1 when the last canary came back.', () => (s().canary.failing ? 0 : 1));
    liveGauge(metrics.registry, 'lifeline_irc_connect_attempts', 'Connection attempts since start.', () => s().attempts);
    liveGauge(metrics.registry, 'lifeline_irc_send_queue_depth', 'Lines waiting in Lifeline for a flood-control token (paced at what the path carries, so a backlog waits here, not in the bouncer).', () => sup.queue.depth);
    liveGauge(metrics.registry, 'lifeline_irc_unconfirmed_lines', 'Lines written to the bouncer that it has not echoed yet (0 without echo-message).', () => sup.unconfirmedLines);
    liveGauge(metrics.registry, 'lifeline_irc_lines_awaiting_network', 'Lines written since the last canary that came back through the network (not yet proven seen by the network).', () => sup.linesAwaitingNetwork);
    liveGauge(metrics.registry, 'lifeline_irc_pace_lines_per_second', 'Lines per second Lifeline sends at now (the bouncer profile, lowered when the canary shows the path holds lines).', () => sup.pacer.rate);
  }
  liveLabelledGauge(metrics.registry, 'lifeline_incidents', 'Unresolved incidents by state (open, acked).', 'state', () => {
    const out: Record<string, number> = { open: 0, acked: 0 };
    for (const i of escalation.incidents.unresolved()) out[i.state] = (out[i.state] ?? 0) + 1;
    return out;
  });
  liveGauge(metrics.registry, 'lifeline_outbox_pending', 'Messages waiting in the outbox, all destinations.', () => outbox.pendingCount());
  liveLabelledGauge(metrics.registry, 'lifeline_delivery_worker_faulted', '1 for each destination whose delivery worker is failing now (store errors such as a full disk); it retries with backoff.', 'destination', () =>
    Object.fromEntries([...dispatcher.faults().keys()].map((d) => [names.destination(d), 1])),
  );
  liveLabelledGauge(metrics.registry, 'lifeline_fault', "1 for each of Lifeline's own faults active now (store_write, delivery_worker, network_cut_off, notifier_misconfigured, clock_step).", 'kind', () => Object.fromEntries(faults.list().map((f) => [f.kind, 1])));
  liveLabelledGauge(metrics.registry, 'lifeline_alerts', 'Stored alerts by state.', 'state', () => ({ ...alerts.countByStatus() }));

  // Probes: only the kinds the config uses are loaded (probes/registry.ts).
  const wgTimestamps = new WgTimestampStore(db);
  const buildProbe = await probeBuilder(config.probes.targets.map((t) => t.kind));
  const probes = new ProbeEngine({
    config: config.probes,
    clock,
    log,
    store: new ProbeStateStore(db),
    create: (cfg) => buildProbe(cfg, { heartbeats: { last: (n) => heartbeats.last(n), failure: (n) => heartbeats.failure(n), sinceMs: clock.now() }, wgTimestamps }),
    emit: (batch, news) => {
      const r = ingestBatch(config.probes.route, batch, clock.now(), undefined, news);
      for (const d of r.queued) dispatcher.poke(d);
      escalation.kick();
    },
    networkOk: config.probes.reference_endpoints.length > 0 ? () => anyEndpointAnswers(config.probes.reference_endpoints, 3_000) : undefined,
    cutOff: (cut, detail) => (cut ? faults.raise('network_cut_off', detail) : faults.clear('network_cut_off')),
  });
  // Commands from IRC and SMS, one set.
  const commands = new Commands({ config, clock, engine: escalation, schedule, alerts, outbox, mutes, ircState: () => irc?.state, probes: () => probes.status(), quietNames: [...heartbeatByAlert.keys()] });

  // IRC first: registering takes network round trips, listening does not.
  irc?.start();
  /** The store and the delivery workers, as /readyz and the outbound heartbeat judge Lifeline. */
  const readiness = (): { storeOk: boolean; failing: string[] } => ({
    storeOk: storeReadable(db),
    failing: [...dispatcher.faults()].map(([d, f]) => `${names.destination(d)}: ${names.text(f.error)} (since ${new Date(f.sinceMs).toISOString()})`),
  });
  // One signature check (and one rate-limited warning) for every Twilio webhook.
  const twilioSignature = config.sms ? twilioSignatureCheck({ authToken: config.sms.auth_token, log, clock }) : undefined;
  // The status page's history: probe alert changes and IRC path incidents, as stored anyway.
  const history = new HistoryStore(db);
  let http: HttpServer;
  try {
    http = await startHttpServer({
    config,
    log,
    metrics,
    ingest,
    heartbeat: (name, ping) => {
      if (!pinged.has(name)) return false;
      if (ping.kind === 'success') heartbeats.beat(name, clock.now());
      else if (ping.kind === 'fail') heartbeats.fail(name, clock.now(), ping.reason);
      return true;
    },
    smsStatus: makeTwilioReceipts({
      config,
      clock,
      log,
      signature: twilioSignature,
      messages: smsMessages,
      undelivered: (id, person, why) => escalation.smsUndelivered(id, person, why),
      delivered: (person) => escalation.smsDelivered(person),
    }),
    voice: makeTwilioVoice({
      config,
      clock,
      log,
      signature: twilioSignature,
      calls,
      message: (id) => {
        const m = outbox.get(id)?.message;
        return m?.kind === 'page' ? m.body.join(' ') : undefined;
      },
      incident: (id) => escalation.incidents.get(id),
      ack: (code, by) => escalation.ack(code, by).ok,
      escalateNow: (ids, why) => escalation.escalateNow(ids, why),
    }),
    smsInbound: makeTwilioInbound({ config, schedule, signature: twilioSignature, command: (person, body) => smsCommand(commands, escalation.incidents, person, body) }),
    ready: () => {
      const { storeOk, failing } = readiness();
      return {
        ready: storeOk && failing.length === 0,
        checks: {
          store: storeOk ? 'ok' : 'unavailable',
          delivery: failing.length === 0 ? 'ok' : failing,
          config: 'loaded',
          irc: irc ? irc.state.link : 'not configured',
          // Lifeline's own faults are listed here; only the store and delivery decide readiness.
          faults: faults.list().map((f) => `${f.kind}: ${f.detail}`),
        },
      };
    },
    oncall: () => ({
      oncall: schedule.shifts(clock.now()).map((sh) => ({ rotation: sh.rotation, person: sh.person.name, until: new Date(sh.untilMs).toISOString(), override: sh.override })),
    }),
    probes: () => probes.status(),
    status: () =>
      buildStatus({
        name: lifelineName,
        build,
        nowMs: () => clock.now(),
        startedMs,
        irc: () => irc?.state,
        path: ircPath,
        faults: () => faults.list(),
        outboxPending: () => outbox.pendingCount(),
        // Heartbeat alerts (the Watchdog) fire by design: not counted as something firing.
        alertCounts: () => ({ ...alerts.countByStatus([...heartbeatByAlert.keys()]) }),
        probes: () => probes.status(),
        incidents: escalation.incidents,
        bundleWindowMs: config.escalation.bundle_window,
        history,
        schedule,
        channels: pagingChannelStates,
        silences: () => mutes.active(),
        maintenance: () => [...maintenance.activeNames(clock.now())],
      }),
  });
  } catch (err) {
    await irc?.stop();
    await cluster?.stop();
    db.close();
    throw new LifelineError(ErrorCodes.LISTEN, `cannot listen on ${config.http.host}:${config.http.port} (${describeError(err)}); free the port or change http.host/http.port`, { cause: err });
  }
  log.info({ event: 'listening', host: config.http.host, port: http.port() }, 'HTTP server listening');

  dispatcher.start();
  escalation.start();
  mutes.start();
  probes.start();
  const heartbeatOut = config.heartbeat_out
    ? new HeartbeatOut({
        config: config.heartbeat_out,
        clock,
        log,
        health: () => {
          const { storeOk, failing } = readiness();
          const stalled = probes.stalled();
          const reasons = [...(storeOk ? [] : ['the store cannot be read']), ...failing.map((f) => `delivery to ${f}`), ...faults.list().map((f) => `${f.kind}: ${f.detail}`), ...(stalled ? [stalled] : [])];
          return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
        },
      })
    : undefined;
  heartbeatOut?.start();
  const cancelNote = scheduleDailyNote({ config, clock, log, outbox, alerts, incidents: escalation.incidents, schedule, ircState: () => irc?.state, probes: () => probes.status(), channels: pagingChannelStates, calls: (since) => calls.summarySince(since), poke: (d) => dispatcher.poke(d) });
  if (irc) {
    const notifier = ircNotifier as IrcNotifier;
    const rules = config.commands.allowed;
    if (rules.length > 0 && rules.every((r) => r.startsWith('nick:'))) {
      log.warn(
        { event: 'commands_nick_only', key: 'commands.allowed' },
        'commands.allowed has only nick: rules; anyone who takes a free nick may ack and silence. Prefer "account:NAME" (IRCv3 account-tag) or "host:MASK"; where the network tags accounts, nick rules count only for identified senders',
      );
    }
    const ircCommands = new IrcCommands({ config, clock, commands, ircState: () => irc.state, say: (t, text, notice) => notifier.say(t, text, notice) });
    irc.on('message', (e) => {
      try {
        ircCommands.handle(commandMessage(e));
      } catch (err) {
        log.error({ event: 'command_failed', err: describeError(err) }, 'IRC command failed');
      }
    });
  }

  const stopRetention = scheduleRetention({ db, clock, log, retentionMs: config.store.retention });
  let clockTimer: TimerHandle | undefined;
  const watchClock = (): void => {
    if (checkClock()) {
      escalation.kick();
      dispatcher.poke();
    }
    clockTimer = clock.setTimeout(watchClock, CLOCK_CHECK_MS);
  };
  clockTimer = clock.setTimeout(watchClock, CLOCK_CHECK_MS);

  let stopping: Promise<void> | undefined;
  return {
    db,
    http,
    irc,
    outbox,
    alerts,
    metrics,
    escalation,
    probes,
    cluster,
    port: () => http.port(),
    stop: () => {
      stopping ??= (async () => {
        log.info({ event: 'shutdown' }, 'shutting down: no new webhooks, flushing the outbox');
        await http.close();
        // Flush: give ready destinations a bounded moment to drain.
        for (let i = 0; i < 30 && outbox.pendingCount() > 0 && irc?.state.link === 'registered'; i++) await sleep(clock, 100);
        cancelNote?.();
        await heartbeatOut?.stop();
        clock.clearTimeout(clockTimer);
        await stopRetention();
        await probes.stop();
        mutes.stop();
        escalation.stop();
        await dispatcher.stop();
        await irc?.stop();
        await cluster?.stop();
        email?.close();
        db.close();
        log.info({ event: 'stopped' }, 'stopped');
      })();
      return stopping;
    },
  };
}
