import type { Config } from './schema.js';

/** A configuration Lifeline runs with, but that is unsafe or useless; said loudly at start and by check-config. */
export interface StartupWarning {
  /** `config_unsafe` (anyone on the network can page or mute) or `config_delivers_nowhere`. */
  event: 'config_unsafe' | 'config_delivers_nowhere';
  /** The config key to change. */
  key: string;
  text: string;
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

/**
 * What is wrong but allowed. Lifeline refuses no config for these: the shipped quick-start config
 * delivers only to the console on purpose, and an image must start to be fixed. But they must not
 * go unnoticed:
 *  - listening beyond loopback with no credential on an endpoint that can page (the webhook, a
 *    heartbeat's /fail) or mute (a heartbeat ping keeps a dead job looking alive);
 *  - heartbeat pings sharing the webhook's credential (http.heartbeat_auth gives them their own);
 *  - a config that can deliver nowhere: no IRC channel in any route and no paging channel, so
 *    alerts are accepted, stored and only printed to the log.
 */
export function startupWarnings(config: Config): StartupWarning[] {
  const out: StartupWarning[] = [];
  const http = config.http;
  const open = !isLoopback(http.host);
  const where = `${http.host}:${http.port}`;
  const pings = config.probes.targets.filter((t) => t.kind === 'heartbeat' && t.alertname === undefined).map((t) => t.name);
  if (open && http.auth.type === 'none') {
    out.push({
      event: 'config_unsafe',
      key: 'http.auth',
      text: `UNSAFE: listening on ${where} (not loopback) with http.auth type none: anyone who reaches the port can post alerts that page people (POST /api/v1/alertmanager). Set http.auth (type: bearer, token_file: …, and the same in Alertmanager's http_config), or http.host: 127.0.0.1.`,
    });
  }
  if (pings.length > 0 && !http.heartbeat_auth) {
    if (open && http.auth.type === 'none') {
      out.push({
        event: 'config_unsafe',
        key: 'http.heartbeat_auth',
        text: `UNSAFE: heartbeat pings (${pings.join(', ')}) need no credential on ${where}: anyone who reaches the port can keep a dead job looking alive, or page with /fail. Set http.heartbeat_auth.token (token_file: …) and give it to the senders (Authorization: Bearer, or /api/v1/heartbeat/<token>/<name>).`,
      });
    } else if (http.auth.type !== 'none') {
      out.push({
        event: 'config_unsafe',
        key: 'http.heartbeat_auth',
        text: `heartbeat pings (${pings.join(', ')}) take the webhook's credential (http.auth): every cron job that pings holds the key that can page through Alertmanager's webhook. Give them their own: http.heartbeat_auth.token.`,
      });
    }
  }
  const irc = config.routes.some((r) => r.irc_channels.length > 0);
  const paging = config.email !== undefined || config.sms !== undefined;
  if (!irc && !paging) {
    out.push({
      event: 'config_delivers_nowhere',
      key: 'routes',
      text: 'Lifeline delivers nowhere: no route names an IRC channel (irc section, routes[].irc_channels) and no paging channel is configured (email or sms, with people and oncall.rotations), so alerts are accepted, stored and only written to this log (console: true). Fine for a first try; for real use add one of them.',
    });
  }
  return out;
}
