import type { UpstreamState } from './state.js';

/**
 * ZNC facts (checked against ZNC 1.8 as packaged by Debian):
 *  - ZNC answers a client's PING itself, so a PONG proves only that ZNC is alive, not that it is
 *    on the network;
 *  - when a client logs in while ZNC is not connected upstream, ZNC has no buffered 001 to replay
 *    and sends a fake one: ":irc.znc.in 001 <nick> :Welcome to ZNC";
 *  - when it is connected, it replays the network's real 001 from another server name;
 *  - it reports its upstream link in messages from "*status": "Disconnected from IRC. Reconnecting...",
 *    "You are currently disconnected from IRC. Use 'connect' to reconnect." and, when it gets back,
 *    "Connected!".
 * None of this proves a message can get through, which is what the canary is for.
 */
export interface UpstreamHint {
  state: UpstreamState;
  why: string;
}

const FAKE_WELCOME = /^:irc\.znc\.in 001 /;
const REAL_WELCOME = /^:[^ ]+ 001 /;
const STATUS = /^:\*status![^ ]* (?:PRIVMSG|NOTICE) [^ ]+ :(.*)$/;

/** What a raw line from ZNC says about its upstream link, if anything. */
export function zncUpstreamHint(line: string): UpstreamHint | undefined {
  const l = line.replace(/^@[^ ]* /, '').replace(/\r?\n$/, '');
  if (FAKE_WELCOME.test(l)) return { state: 'down', why: 'ZNC sent its own welcome: it is not connected to the IRC network' };
  if (REAL_WELCOME.test(l)) return { state: 'up', why: 'ZNC replayed the network welcome' };
  const m = STATUS.exec(l);
  if (!m) return undefined;
  const text = m[1] as string;
  if (/^Disconnected from IRC/i.test(text) || /currently disconnected from IRC/i.test(text) || /^Cannot connect to IRC/i.test(text)) {
    return { state: 'down', why: `ZNC *status: ${text.slice(0, 120)}` };
  }
  if (/^Connected!?$/i.test(text.trim())) return { state: 'up', why: 'ZNC *status: Connected!' };
  return undefined;
}
