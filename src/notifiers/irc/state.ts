/** Connection to the IRC server or bouncer. */
export type LinkState = 'connecting' | 'registered' | 'disconnected' | 'stopped';

/**
 * Whether the far end is on its IRC network. Directly connected servers are "up" while the link
 * is registered; a bouncer can accept us while being disconnected upstream.
 */
export type UpstreamState = 'up' | 'down' | 'unknown';

/** Everything the rest of Lifeline may know about the IRC path, as one immutable snapshot. */
export interface IrcState {
  link: LinkState;
  /** When the current registration happened. */
  connectedSinceMs: number | undefined;
  /** When the link was last lost (unset while registered). */
  disconnectedSinceMs: number | undefined;
  lastError: string | undefined;
  upstream: UpstreamState;
  upstreamSinceMs: number | undefined;
  canary: {
    /** Last time a canary came back. */
    lastOkMs: number | undefined;
    /** Round trip of the last canary that came back. */
    lastRttMs: number | undefined;
    /** True when the last canary did not come back in time. */
    failing: boolean;
  };
  /**
   * Channels we are in now. Through a bouncer, a channel leaves this list when the bouncer's
   * upstream session ends or begins, and comes back only when it relays our JOIN (channels.ts).
   */
  joined: readonly string[];
  /**
   * Configured channels we have been out of for longer than channels.ts OUT_LIMIT_MS while
   * connected (a rejoin refused: invite only, banned, bad key; a channel the bouncer disabled):
   * their lines wait, so the path cannot carry alerts (lower case).
   */
  stuck: readonly string[];
  nick: string;
  /** The last period the link was down, set when it registers again. */
  lastOutage: { fromMs: number; toMs: number } | undefined;
  /** Connection attempts since the process started. */
  attempts: number;
  /** Whether the far end echoes our lines (IRCv3 echo-message), which proves it took them. */
  echo: boolean;
  /**
   * Whether the network tags messages with the sender's services account (IRCv3 account-tag):
   * then a message without the tag comes from a nick that is not identified.
   */
  accounts: boolean;
}

/**
 * Whether the IRC path can carry a message to people right now: registered, the bouncer
 * connected upstream, the last canary not lost, no configured channel out of reach (stuck), and
 * for one channel, joined.
 */
export function pathHealthy(s: IrcState, channel?: string): boolean {
  if (s.link !== 'registered' || s.upstream === 'down' || s.canary.failing || s.stuck.length > 0) return false;
  if (channel !== undefined) return s.joined.includes(channel.toLowerCase());
  return true;
}
