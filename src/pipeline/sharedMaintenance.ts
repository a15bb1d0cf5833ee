import type { ClusterDispatch } from '../cluster/dispatch.js';
import type { HlcTimestamp } from '../cluster/hlc.js';
import type { ClusterNode } from '../cluster/node.js';
import type { Logger } from '../observability/logger.js';
import type { MaintenanceWindows, WindowConfig } from '../policy/maintenance.js';
import type { PeerMaintenanceStore } from '../store/peerMaintenance.js';
import type { Clock } from '../util/clock.js';
import type { Mutes } from './mutes.js';

/** What sharing maintenance windows needs. */
export interface SharedMaintenanceDeps {
  /** This instance's configured windows (config `maintenance`). */
  own: readonly WindowConfig[];
  /** The peers in the config: a stored set of an instance no longer listed is not applied. */
  peers: readonly string[];
  windows: MaintenanceWindows;
  store: PeerMaintenanceStore;
  mutes: Mutes;
  node: Pick<ClusterNode, 'record'>;
  dispatch: Pick<ClusterDispatch, 'on'>;
  /** cluster/hlc.ts formatHlc, passed in by app.ts: the pipeline never loads src/cluster. */
  hlcText: (t: HlcTimestamp) => string;
  clock: Clock;
  log: Logger;
}

/**
 * Maintenance windows across regions (issue 23): a window configured on any instance holds on all.
 *
 * - Out: at each start this instance publishes its whole configured set (`maintenance` message;
 *   its config changes only on a restart), from the cluster outbox like every decision.
 * - In: each peer's latest set by hybrid logical clock replaces its earlier one, is stored (so a
 *   restart here keeps it, and a peer that is down keeps its windows in force: they are the
 *   operator's word), and joins this instance's own windows (MaintenanceWindows.setPeer). The
 *   mutes then look again: open incidents a new window matches are held; what a window that
 *   closed or left the peer's set held is released, as when a window's time ends.
 */
export function shareMaintenance(d: SharedMaintenanceDeps): void {
  const listed = new Set(d.peers);
  const apply = (peer: string, windows: readonly WindowConfig[]): boolean => {
    try {
      d.windows.setPeer(peer, windows);
      return true;
    } catch (err) {
      d.log.error({ event: 'peer_maintenance_unreadable', peer, err: String(err) }, `cannot use peer ${peer}'s maintenance windows (${String(err)}); its earlier set stays in force here. Fix the window in ${peer}'s config (or run the same Lifeline version on both)`);
      return false;
    }
  };
  for (const set of d.store.all()) if (listed.has(set.peer)) apply(set.peer, set.windows);
  d.node.record({ kind: 'maintenance', windows: [...d.own] });
  d.dispatch.on('maintenance', (b, msg) => {
    const hlc = d.hlcText(msg.hlc);
    // Applied before it is stored: a set refused here is not stored either, so the earlier one stays, restarts included.
    if (!d.store.isNewer(msg.from, hlc) || !apply(msg.from, b.windows)) return;
    d.store.put({ peer: msg.from, hlc, windows: b.windows }, d.clock.now());
    d.log.info({ event: 'peer_maintenance', peer: msg.from, windows: b.windows.map((w) => w.name) }, `peer ${msg.from}'s configured maintenance windows hold here too: ${b.windows.map((w) => w.name).join(', ') || 'none'}`);
    d.mutes.windowsChanged();
  });
}
