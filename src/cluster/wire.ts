import type { ClusterConfig } from '../config/clusterSchema.js';
import type { ProbesConfig } from '../config/probeSchema.js';
import type { Formatter } from '../notifiers/format.js';
import type { Notifier } from '../notifiers/notifier.js';
import type { Logger } from '../observability/logger.js';
import { PeerVerdictStore } from '../store/clusterVerdicts.js';
import { SharedEpisodeStore } from '../store/sharedEpisodes.js';
import type { Db } from '../store/db.js';
import type { Outbox } from '../store/outbox.js';
import type { Clock } from '../util/clock.js';
import type { ClusterDispatch } from './dispatch.js';
import { ClusterEpisodeBoard } from './episodes.js';
import { IrcStandby, StandbyIrcNotifier } from './ircStandby.js';
import type { ClusterNode } from './node.js';
import { ClusterVerdicts } from './verdicts.js';

/** What wiring the cluster into IRC and the probes needs (app.ts). */
export interface ClusterWiringDeps {
  readonly config: ClusterConfig;
  readonly probes: ProbesConfig;
  readonly node: ClusterNode;
  readonly dispatch: ClusterDispatch;
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly outbox: Outbox;
  readonly formatter: Formatter;
  /** The IRC notifier and the IRC destinations (irc:#channel), with an irc section. */
  readonly irc: { notifier: Notifier; destinations: readonly string[] } | undefined;
}

/** The parts of Lifeline that the cluster changes. */
export interface ClusterWiring {
  /** The probe engine's verdict combiner. */
  readonly verdicts: ClusterVerdicts;
  /** The instances' open episodes of Lifeline's own incidents (the escalation engine's `episodes`). */
  readonly episodes: ClusterEpisodeBoard;
  /** With IRC: the notifier to use instead of the plain IRC notifier (holds lines on a standby). */
  readonly ircNotifier: Notifier | undefined;
  /**
   * With IRC: whether a message said on IRC is a command this instance handles: never a peer's
   * line (those are the peers' posts, watched by the standby); in a channel (every instance reads
   * it) only while this instance posts, so it is answered once and acts once; a private message
   * reaches this instance's nick alone, so it is handled here.
   */
  ircCommand(nick: string, text: string, target: string, playback: boolean): boolean;
  /** With IRC: whether this instance posts now (a standby's held lines never drain: shutdown does not wait for them). */
  ircPosting(): boolean;
  start(): void;
  stop(): void;
}

/** Most held entries judged per destination and sweep. */
const HELD_MAX = 500;

/** Wires the verdict combiner, the shared episodes and the IRC standby to the cluster node. */
export function wireCluster(d: ClusterWiringDeps): ClusterWiring {
  const verdicts = new ClusterVerdicts({
    self: d.config.name,
    peers: d.config.peers.map((p) => p.name),
    probes: d.probes,
    store: new PeerVerdictStore(d.db),
    live: (p) => d.node.peerState(p) === 'up',
    record: (b) => void d.node.record(b),
  });
  d.dispatch.on('verdict', (body, msg) => verdicts.applyPeer(msg.from, body, msg.hlc, d.clock.now()));
  const episodes = new ClusterEpisodeBoard(d.config.name, new SharedEpisodeStore(d.db), d.node);
  d.dispatch.on('incident', (body, msg) => episodes.applyPeer(msg.from, body, msg.hlc));
  const irc = d.irc;
  const standby = irc
    ? new IrcStandby({
        self: d.config.name,
        peers: d.config.peers,
        livePeers: () => d.config.peers.map((p) => p.name).filter((p) => d.node.peerState(p) !== 'down'),
        takeoverMs: d.config.irc_takeover,
        clock: d.clock,
        log: d.log,
        held: () =>
          irc.destinations.flatMap((dest) =>
            d.outbox
              .pending(dest, HELD_MAX)
              .filter((e) => e.linesSent === 0)
              .map((e) => ({ id: e.id, createdMs: e.createdMs, firstLine: d.formatter.render(e.message)[0] ?? '' })),
          ),
        cover: (id) => d.outbox.markCovered(id, d.clock.now()),
      })
    : undefined;
  d.node.on((e) => {
    if (e.kind === 'settled') return;
    verdicts.changed();
    standby?.sweep();
  });
  return {
    verdicts,
    episodes,
    ircNotifier: irc && standby ? new StandbyIrcNotifier(irc.notifier, standby) : undefined,
    ircCommand: (nick, text, target, playback) => {
      if (!standby) return true;
      const channel = /^[#&!+]/.test(target);
      if (channel ? standby.observe(nick, text, playback) : standby.peerOf(nick) !== undefined) return false;
      return !channel || standby.posting();
    },
    ircPosting: () => standby?.posting() ?? true,
    start: () => standby?.start(),
    stop: () => standby?.stop(),
  };
}
