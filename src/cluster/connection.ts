import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { ClusterConfig } from '../config/clusterSchema.js';
import type { Logger } from '../observability/logger.js';

/**
 * The client options for this region's nats-server, from the cluster section.
 * - maxReconnectAttempts -1: reconnect forever (the v3 default gives up after 10 tries 2 s apart,
 *   and a watchdog that stops reconnecting after 20 s of server restart is no watchdog);
 * - reconnectTimeWait 250 ms: a restarted server (healthy in ~20 ms) is back in use at once.
 * The first connection is retried by ClusterNode on the injected clock, so stopping Lifeline
 * while its nats-server is down ends the attempts (nats.js's waitOnFirstConnect cannot be cancelled).
 */
export function connectionOptions(cfg: ClusterConfig, readFile: (path: string) => Buffer = readFileSync): NodeConnectionOptions {
  const opts: NodeConnectionOptions = {
    servers: cfg.nats_url,
    name: `lifeline-${cfg.name}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 10_000,
    maxPingOut: 2,
  };
  if (cfg.user !== undefined && cfg.password !== undefined) {
    opts.user = cfg.user;
    opts.pass = cfg.password.reveal();
  }
  if (cfg.token !== undefined) opts.token = cfg.token.reveal();
  if (cfg.creds_file !== undefined) {
    const path = cfg.creds_file;
    opts.authenticator = credsAuthenticator(() => new Uint8Array(readFile(path)));
  }
  if (cfg.tls || cfg.nats_url.startsWith('tls://')) {
    opts.tls = {
      ...(cfg.tls?.ca_file !== undefined ? { caFile: cfg.tls.ca_file } : {}),
      ...(cfg.tls?.cert_file !== undefined ? { certFile: cfg.tls.cert_file } : {}),
      ...(cfg.tls?.key_file !== undefined ? { keyFile: cfg.tls.key_file } : {}),
    };
  }
  return opts;
}

/** Connects to this region's nats-server and logs what the connection goes through; `onLink` hears each loss and return. */
export async function connectNats(cfg: ClusterConfig, log: Logger, onLink: (connected: boolean) => void = () => undefined): Promise<NatsConnection> {
  const nc = await connect(connectionOptions(cfg));
  log.info({ event: 'cluster_nats_connected', server: nc.getServer() }, 'connected to this region\'s nats-server');
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        onLink(false);
        log.warn({ event: 'cluster_nats_disconnected', server: s.server }, 'lost this region\'s nats-server; reconnecting');
      } else if (s.type === 'reconnect') {
        onLink(true);
        log.info({ event: 'cluster_nats_reconnected', server: s.server }, 'reconnected to this region\'s nats-server');
      }
      else if (s.type === 'error') log.warn({ event: 'cluster_nats_error', error: String(s.error) }, 'nats-server reported an error');
    }
  })();
  return nc;
}
