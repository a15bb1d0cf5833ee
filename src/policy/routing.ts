import type { RouteConfig } from '../config/schema.js';

/** Destination name of an IRC channel in the outbox. */
export function ircDestination(channel: string): string {
  return `irc:${channel.toLowerCase()}`;
}

/** Destination name of the console notifier. */
export const CONSOLE_DESTINATION = 'console';

/** Every IRC channel any route posts to, as outbox destinations, each once. */
export function ircDestinationsOf(routes: readonly RouteConfig[]): string[] {
  return [...new Set(routes.flatMap((r) => r.irc_channels.map(ircDestination)))];
}

/** Where a route's notifications go. */
export function destinationsOf(route: RouteConfig): string[] {
  const out = route.irc_channels.map(ircDestination);
  if (route.console) out.push(CONSOLE_DESTINATION);
  return [...new Set(out)];
}
