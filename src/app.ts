import { hostname } from 'node:os';
import { Commands } from './commands/commands.js';
import { IrcCommands, commandMessage, warnNickOnlyRules } from './commands/irc.js';
import { smsCommand } from './commands/sms.js';
import type { Config } from './config/schema.js';
import { startupWarnings } from './config/startupWarnings.js';
import { ErrorCodes, LifelineError, describeError } from './errors.js';
import { scheduleDailyNote } from './escalation/dailyNote.js';
import { HeartbeatOut } from './observability/heartbeatOut.js';
import { EscalationEngine } from './escalation/engine.js';
import { ClusterPaging } from './escalation/clusterPaging.js';
import { PagingFeedback, faultNotifiers, pagingNotifiers, type PagingChannelState } from './escalation/feedback.js';
import { PAGING_DESTINATIONS } from './escalation/channels/registry.js';
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
import { createMetrics, type Metrics } from './observability/metrics.js';
import { registerPipelineGauges } from './observability/gauges.js';
import { Readiness } from './observability/readiness.js';
import { registerIrcGauges } from './notifiers/irc/gauges.js';
import { OnCallSchedule, personOfPhone } from './people/oncall.js';
import { MaintenanceWindows } from './policy/maintenance.js';
import { RepeatFilter } from './store/repeat.js';
import { destinationsOf, ircDestinationsOf } from './policy/routing.js';
import { SilenceStore } from './store/silences.js';
import { Mutes } from './pipeline/mutes.js';
import { PeerAlerts } from './pipeline/peerAlerts.js';
import { shareMutes } from './pipeline/sharedMutes.js';
import { shareMaintenance } from './pipeline/sharedMaintenance.js';
import { PeerMaintenanceStore } from './store/peerMaintenance.js';
import { buildInfo, type BuildInfo } from './observability/version.js';
import { Dispatcher } from './relay/dispatcher.js';
import { queueOutageSummaries } from './relay/outage.js';
import { flushOutbox } from './relay/flush.js';
import { ingestInParts, makeIngest } from './pipeline/ingest.js';
import { batchOf, type GroupNotification } from './sources/alertmanager.js';
import { makeTwilioInbound } from './sources/twilioInbound.js';
import { twilioSignatureCheck } from './sources/twilioSignature.js';
import { AlertStore } from './store/alerts.js';
import { openDb, storeReadable, type Db } from './store/db.js';
import { Outbox } from './store/outbox.js';
import { FaultReporter, reportWorkerFault } from './escalation/faults.js';
import { escalationStores } from './store/escalationStores.js';
import { scheduleRetention } from './store/retention.js';
import { ProbeStateStore } from './store/probeState.js';
import { HeartbeatStore } from './store/heartbeats.js';
import { WgTimestampStore } from './store/wgTimestamps.js';
import { anyEndpointAnswers, ProbeEngine } from './probes/engine.js';
import { probeBuilder } from './probes/registry.js';
import { ClockWatch } from './store/clockWatch.js';
import { HeartbeatRoutes } from './sources/heartbeats.js';
import type { Clock } from './util/clock.js';

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
  /** The cluster layer, with a `cluster` section only: pages once per event, acks and silences everywhere. */
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
  // src/cluster (and the NATS client) is loaded only with a cluster section. It connects in the
  // background: a nats-server that is down never holds the start. Each part of Lifeline that acts
  // on peers' messages registers its handler with clusterDispatch where it is wired.
  const clusterDispatch = config.cluster ? new (await import('./cluster/dispatch.js')).ClusterDispatch(log) : undefined;
  const cluster = config.cluster && clusterDispatch ? (await import('./cluster/node.js')).ClusterNode.launch({ config: config.cluster, db, clock, log, apply: clusterDispatch.apply }) : undefined;
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
  // Cluster: probe verdicts joined across regions; on IRC only the first live instance
  // posts and answers commands, the others hold their lines (cluster/wire.ts).
  const clusterWiring = config.cluster && cluster && clusterDispatch
    ? (await import('./cluster/wire.js')).wireCluster({ config: config.cluster, probes: config.probes, node: cluster, dispatch: clusterDispatch, db, clock, log, outbox, formatter, irc: ircNotifier ? { notifier: ircNotifier, destinations: ircDestinationsOf(config.routes) } : undefined })
    : undefined;
  if (clusterWiring?.ircNotifier && ircNotifier) notifiers[notifiers.indexOf(ircNotifier)] = clusterWiring.ircNotifier;
  const email = config.email ? new EmailNotifier(config.email) : undefined;
  if (email) notifiers.push(email);
  const smsMessages = new SmsMessageStore(db);
  // Calls and receipts are recorded (and logged) by person name; a number of nobody in people is not kept as the name.
  const personByPhone = (phone: string): string => personOfPhone(config.people, phone);
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
  const paging = pagingNotifiers(notifiers);
  const lifelineName = `Lifeline on ${hostname()}`;
  const startedMs = clock.now();
  // Metrics and logs name people, never their numbers or addresses.
  const names = new ContactNames(config.people, PAGING_DESTINATIONS);
  // Faults go straight to the notifiers, not through the outbox (the store may be the fault).
  const faults = new FaultReporter({ clock, log, schedule, formatter, channels: faultNotifiers(paging), name: lifelineName, scrub: (t) => names.text(t) });
  const feedback = new PagingFeedback({ health, faults, channels: [...paging.keys()], scrub: (t) => names.text(t) });
  const pagingChannelStates = (): PagingChannelState[] => feedback.states();

  const dispatcher = new Dispatcher(outbox, notifiers, formatter, config.outbox, clock, log, {
    names,
    sent: (destination, kind, lines, entryId) => {
      if (kind === 'page') escalation.delivered(entryId);
      metrics.sent.inc({ destination: names.destination(destination), kind });
      metrics.sentLines.inc({ destination: names.destination(destination) }, lines);
      feedback.sent(destination);
    },
    failed: (destination, retryable, err) => {
      metrics.deliveryFailures.inc({ destination: names.destination(destination), retryable: String(retryable) });
      feedback.failed(destination, err);
    },
    workerFault: (destination, err) => reportWorkerFault(faults, { destination, err, faultedWorkers: dispatcher.faults().size, name: (d) => names.destination(d), scrub: (t) => names.text(t) }),
  });

  const ircDestinations = ircDestinationsOf(config.routes);
  const silences = new SilenceStore(db);
  const maintenance = new MaintenanceWindows(config.maintenance);
  // Wall-clock steps: stored times that measure waits are moved by the step (store/clockWatch.ts).
  const clockWatch = new ClockWatch({
    clock,
    db,
    log,
    faults,
    onStep: () => {
      escalation.kick();
      dispatcher.poke();
    },
  });
  const ircPath = irc ? ircPathMonitor(irc) : undefined;
  const escalation = new EscalationEngine({
    checkClock: () => void clockWatch.check(),
    config,
    ...escalationStores(db),
    outbox,
    schedule,
    clock,
    log,
    health,
    poke: (d) => dispatcher.poke(d),
    path: ircPath,
    ...(cluster ? { gate: new ClusterPaging(config.cluster?.name ?? '', cluster, log, config.cluster?.claim_lease ?? 60_000) } : {}),
    pathOutageEnded: (o) => queueOutageSummaries({ alerts, outbox, clock, destinations: ircDestinations, poke: (d) => dispatcher.poke(d), quietNames: heartbeatRoutes.quietNames }, o),
    ...(cluster ? { pagingHeld: () => cluster.unsettledReason() } : {}),
    ...(clusterWiring ? { episodes: clusterWiring.episodes } : {}),
  });

  // Peers' acks stop escalation here, their unacks resume it; their claims and sends ClusterNode applies itself
  // (a send's ack code becomes an alias here when this instance gave the episode another code).
  if (clusterDispatch) {
    const { formatHlc } = await import('./cluster/hlc.js');
    clusterDispatch.on('ack', (b, m) => escalation.applyPeerAck(b.incident, b.by, m.from, formatHlc(m.hlc)));
    clusterDispatch.on('unack', (b, m) => escalation.applyPeerUnack(b.incident, b.by, m.from, formatHlc(m.hlc)));
    clusterDispatch.on('claim', () => undefined);
    clusterDispatch.on('sent', (b) => b.code !== undefined && escalation.peerSentCode(b.incident, b.code));
  }

  const routes = new Map(config.routes.map((r) => [r.name, destinationsOf(r)]));
  const heartbeats = new HeartbeatStore(db);
  const heartbeatRoutes = new HeartbeatRoutes(config.probes.targets, heartbeats, clock);
  const ingestBatch = makeIngest({
    db,
    alerts,
    muted: (now) => mutes.muted(now),
    escalation,
    repeats,
    outbox,
    routes,
    heartbeatOf: (labels) => heartbeatRoutes.heartbeatOf(labels),
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

  // The paging core in a cluster (paging and /readyz wait until settled: pagingHeld above
  // and clusterUnsettled below). Silences and configured maintenance windows hold on every
  // instance; a peer down is an incident of its own.
  if (cluster && clusterDispatch && config.cluster) {
    const { formatHlc } = await import('./cluster/hlc.js');
    shareMutes(mutes, cluster, clusterDispatch, formatHlc);
    shareMaintenance({ own: config.maintenance, peers: config.cluster.peers.map((p) => p.name), windows: maintenance, store: new PeerMaintenanceStore(db), mutes, node: cluster, dispatch: clusterDispatch, hlcText: formatHlc, clock, log });
    const peerAlerts = new PeerAlerts({
      self: config.cluster.name,
      natsUrl: config.cluster.nats_url,
      info: new Map(config.cluster.peers.flatMap((p) => (p.info !== undefined ? [[p.name, p.info] as const] : []))),
      now: () => clock.now(),
      firing: (fp) => alerts.firingName(fp),
      emit: (batch) => {
        const r = ingestBatch(config.probes.route, batch, clock.now());
        for (const d of r.queued) dispatcher.poke(d);
        escalation.kick();
      },
    });
    cluster.on((e) => {
      peerAlerts.handle(e);
      if (e.kind === 'settled') escalation.kick();
    });
  }
  if (irc) registerIrcGauges(metrics.registry, irc);
  registerPipelineGauges(metrics.registry, {
    unresolvedIncidents: () => escalation.incidents.unresolved(),
    outboxPending: () => outbox.pendingCount(),
    deliveryFaults: () => dispatcher.faults(),
    faults: () => faults.list(),
    alertsByStatus: () => ({ ...alerts.countByStatus() }),
    names,
  });

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
    ...(clusterWiring ? { combiner: clusterWiring.verdicts } : {}),
  });
  // Commands from IRC and SMS, one set.
  const commands = new Commands({ config, clock, engine: escalation, schedule, alerts, outbox, mutes, ircState: () => irc?.state, probes: () => probes.status(), quietNames: heartbeatRoutes.quietNames });

  // Every handler of peers' messages is registered: from here they are applied (until now each one
  // was left unacked and comes again, cluster/dispatch.ts).
  clusterDispatch?.seal();

  // IRC first: registering takes network round trips, listening does not.
  irc?.start();
  const readiness = new Readiness({
    storeReadable: () => storeReadable(db),
    deliveryFaults: () => dispatcher.faults(),
    faults: () => faults.list(),
    ircLink: () => irc?.state.link,
    probesStalled: () => probes.stalled(),
    ...(cluster ? { clusterUnsettled: () => cluster.unsettledReason() } : {}),
    names,
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
    heartbeat: (name, ping) => heartbeatRoutes.ping(name, ping),
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
      outbox,
      incident: (id) => escalation.incidents.get(id),
      ack: (code, by) => escalation.ack(code, by).ok,
      escalateNow: (ids, why) => escalation.escalateNow(ids, why),
    }),
    smsInbound: makeTwilioInbound({ config, schedule, signature: twilioSignature, command: (person, body) => smsCommand(commands, escalation.incidents, person, body) }),
    ready: () => readiness.readyz(),
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
        alertCounts: () => ({ ...alerts.countByStatus(heartbeatRoutes.quietNames) }),
        probes: () => probes.status(),
        incidents: escalation.incidents,
        bundleWindowMs: config.escalation.bundle_window,
        history,
        schedule,
        channels: pagingChannelStates,
        silences: () => mutes.active(),
        maintenance: () => maintenance.active(clock.now()),
      }),
  });
  } catch (err) {
    await irc?.stop();
    await cluster?.stop();
    db.close();
    throw new LifelineError(ErrorCodes.LISTEN, `cannot listen on ${config.http.host}:${config.http.port} (${describeError(err)}); free the port or change http.host/http.port`, { cause: err });
  }
  log.info({ event: 'listening', host: config.http.host, port: http.port() }, 'HTTP server listening');

  // Escalation first: in a cluster it takes back the undelivered pages of shared incidents from
  // before a restart (a peer may have sent them meanwhile), before the dispatcher delivers the queue.
  escalation.start();
  dispatcher.start();
  mutes.start();
  probes.start();
  clusterWiring?.start();
  const heartbeatOut = config.heartbeat_out
    ? new HeartbeatOut({
        config: config.heartbeat_out,
        clock,
        log,
        health: () => readiness.health(),
      })
    : undefined;
  heartbeatOut?.start();
  const cancelNote = scheduleDailyNote({ config, clock, log, outbox, alerts, incidents: escalation.incidents, schedule, ircState: () => irc?.state, probes: () => probes.status(), channels: pagingChannelStates, calls: (since) => calls.summarySince(since), poke: (d) => dispatcher.poke(d) });
  if (irc) {
    const notifier = ircNotifier as IrcNotifier;
    warnNickOnlyRules(config.commands.allowed, log);
    const ircCommands = new IrcCommands({ config, clock, commands, ircState: () => irc.state, say: (t, text, notice) => notifier.say(t, text, notice) });
    irc.on('message', (e) => {
      try {
        const m = commandMessage(e);
        if (clusterWiring && !clusterWiring.ircCommand(m.nick, m.text, m.target, m.batch === 'znc.in/playback')) return;
        ircCommands.handle(m);
      } catch (err) {
        log.error({ event: 'command_failed', err: describeError(err) }, 'IRC command failed');
      }
    });
  }

  const stopRetention = scheduleRetention({ db, clock, log, retentionMs: config.store.retention });
  clockWatch.start();

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
        await flushOutbox({ outbox, clock, pathUp: () => irc?.state.link === 'registered' && (clusterWiring?.ircPosting() ?? true) });
        cancelNote?.();
        await heartbeatOut?.stop();
        clockWatch.stop();
        await stopRetention();
        await probes.stop();
        clusterWiring?.stop();
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
