import type { Registry } from 'prom-client';
import { liveGauge } from '../../observability/metrics.js';
import type { IrcSupervisor } from './supervisor.js';

/** Registers the IRC link's gauges on /metrics, read from the supervisor at scrape time. */
export function registerIrcGauges(registry: Registry, sup: IrcSupervisor): void {
  const s = (): IrcSupervisor['state'] => sup.state;
  liveGauge(registry, 'lifeline_irc_connected', '1 while registered with the IRC server or bouncer.', () => (s().link === 'registered' ? 1 : 0));
  liveGauge(registry, 'lifeline_irc_upstream_connected', '1 when the bouncer is on its IRC network, 0 when not, -1 when unknown.', () =>
    s().upstream === 'up' ? 1 : s().upstream === 'down' ? 0 : -1,
  );
  liveGauge(registry, 'lifeline_irc_channels_joined', 'Channels Lifeline is in now (through a bouncer: counted from when it relays our JOIN after its network connection began).', () => s().joined.length);
  liveGauge(registry, 'lifeline_irc_channels_rejoining', 'Channels whose lines wait because the bouncer has not rejoined them since its network connection ended or began.', () => sup.channelsRejoining.length);
  liveGauge(registry, 'lifeline_irc_canary_ok', '1 when the last canary came back.', () => (s().canary.failing ? 0 : 1));
  liveGauge(registry, 'lifeline_irc_connect_attempts', 'Connection attempts since start.', () => s().attempts);
  liveGauge(registry, 'lifeline_irc_send_queue_depth', 'Lines waiting in Lifeline for a flood-control token (paced at what the path carries, so a backlog waits here, not in the bouncer).', () => sup.queue.depth);
  liveGauge(registry, 'lifeline_irc_unconfirmed_lines', 'Lines written to the bouncer that it has not echoed yet (0 without echo-message).', () => sup.unconfirmedLines);
  liveGauge(registry, 'lifeline_irc_lines_awaiting_network', 'Lines written since the last canary that came back through the network (not yet proven seen by the network).', () => sup.linesAwaitingNetwork);
  liveGauge(registry, 'lifeline_irc_pace_lines_per_second', 'Lines per second Lifeline sends at now (the bouncer profile, lowered when the canary shows the path holds lines).', () => sup.pacer.rate);
}
