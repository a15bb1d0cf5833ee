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
 *    "Connected!" (to every client of the user);
 *  - `*status Disconnect` from one client: only that client gets "Disconnected from IRC. Use
 *    'connect' to reconnect."; every other client of the user gets no *status line, no PART and
 *    no numeric (measured), but with echo-message it reads the command itself, as a line from
 *    our own nick: "PRIVMSG *status :Disconnect". ZNC commands are case-insensitive.
 *  - while it has no upstream socket, CClient::OnTextMessage / OnNoticeMessage (Client.cpp, 1.8)
 *    drop a PRIVMSG/NOTICE *without echoing it* and answer "Your message to #chan got lost, you
 *    are not connected to IRC!" ("Your notice to ..." for a NOTICE): nothing is queued for later.
 *    A line to our own nick (the canary) is dropped silently ("some lagmeters do a PRIVMSG to
 *    their own nick"). It still answers PING itself ("PONG irc.znc.in").
 *  - when connected, EchoMessage runs before PutIRC, i.e. before ZNC's flood queue and before
 *    the network saw the line: ZNC's echo proves only that ZNC took it.
 *  - when its upstream socket goes, it resets every channel (not on it) without a word to the
 *    clients about channels; when the network's 001 comes it says "Connected!", forwards the 001
 *    and rejoins; the network's JOIN for our nick, forwarded to every client, is the first sign
 *    it is back in a channel (about 5 s later with ngircd; details in channels.ts, awaitRejoin).
 * None of this proves a message can get through, which is what the canary is for.
 */
/**
 * What ZNC said about its upstream. Every hint this file gives means ZNC's session with its
 * network ended (`down`) or began (`up`), never a guess: either way it is in no channel until it
 * has rejoined (the supervisor passes it to Channels.awaitRejoin).
 */
export interface UpstreamHint {
  state: UpstreamState;
  why: string;
}

const FAKE_WELCOME = /^:irc\.znc\.in 001 /;
const REAL_WELCOME = /^:[^ ]+ 001 /;
const STATUS = /^:\*status![^ ]* (?:PRIVMSG|NOTICE) [^ ]+ :(.*)$/;
/** ZNC's answer to a line written while it has no upstream: the line was dropped. */
const LOST = /^Your (?:message|notice|CTCP) to \S+ got lost, you are not connected to IRC/i;
/** A client of our ZNC user told ZNC to leave the network (`*status Disconnect [message]`). */
const DISCONNECT_COMMAND = /^disconnect(?: |$)/i;

/** What a raw line from ZNC says about its upstream link, if anything. */
export function zncUpstreamHint(line: string): UpstreamHint | undefined {
  const l = line.replace(/^@[^ ]* /, '').replace(/\r?\n$/, '');
  if (FAKE_WELCOME.test(l)) return { state: 'down', why: 'ZNC sent its own welcome: it is not connected to the IRC network' };
  if (REAL_WELCOME.test(l)) return { state: 'up', why: 'ZNC replayed the network welcome' };
  const m = STATUS.exec(l);
  if (!m) return undefined;
  const text = m[1] as string;
  if (/^Disconnected from IRC/i.test(text) || /currently disconnected from IRC/i.test(text) || /^Cannot connect to IRC/i.test(text) || LOST.test(text)) {
    return { state: 'down', why: `ZNC *status: ${text.slice(0, 120)}` };
  }
  if (/^Connected!?$/i.test(text.trim())) return { state: 'up', why: 'ZNC *status: Connected!' };
  return undefined;
}

/**
 * What a line from our own nick says about ZNC's upstream: with echo-message, ZNC shows every
 * client of the user the `*status` commands the others write, and `Disconnect` takes the whole
 * user off the network without telling the other clients anything else (see above).
 */
export function zncOwnCommandHint(target: string, text: string): UpstreamHint | undefined {
  if (target.toLowerCase() !== '*status' || !DISCONNECT_COMMAND.test(text.trim())) return undefined;
  return { state: 'down', why: 'a client of our ZNC user sent *status Disconnect' };
}
