import type { PathMonitor } from './pathMonitor.js';
import { pathHealthy, type IrcState } from '../notifiers/irc/state.js';
import type { IrcSupervisor } from '../notifiers/irc/supervisor.js';

/** Why the IRC path cannot carry alerts, in words for a page. */
function describe(st: IrcState): string {
  if (st.link !== 'registered') return `not connected to the bouncer (${st.lastError ?? st.link})`;
  if (st.upstream === 'down') return 'the bouncer lost its IRC network';
  if (st.canary.failing) return 'the canary message did not come back';
  if (st.stuck.length > 0) return `not in ${st.stuck.join(', ')} (the lines for it wait; check the channel's modes, bans and key, and the bouncer's channel list)`;
  return 'not in the channel';
}

/** The IRC path (bouncer link, its upstream, the canary, channel membership) as a PathMonitor. */
export function ircPathMonitor(sup: IrcSupervisor): PathMonitor {
  return {
    name: 'IRC alert path',
    healthy: () => pathHealthy(sup.state),
    reason: () => describe(sup.state),
    onChange(listener) {
      sup.on('state', listener);
      return () => sup.off('state', listener);
    },
  };
}
