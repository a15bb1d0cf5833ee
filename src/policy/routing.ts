import type { RouteConfig } from '../config/schema.js';

/** Destination name of an IRC channel in the outbox. */
export function ircDestination(channel: string): string {
  return `irc:${channel.toLowerCase()}`;
}

/** Destination name of the console notifier. */
export const CONSOLE_DESTINATION = 'console';

/** Where a route's notifications go. */
export function destinationsOf(route: RouteConfig): string[] {
  const out = route.irc_channels.map(ircDestination);
  if (route.console) out.push(CONSOLE_DESTINATION);
  return [...new Set(out)];
}
