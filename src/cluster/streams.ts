import { StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { natsNames } from './messages.js';

/** Nanoseconds per millisecond: JetStream configs count durations in ns. */
const NS = 1_000_000;

/**
 * The window in which JetStream drops a publish whose Nats-Msg-Id it has already stored (a
 * duplicate is acked with duplicate: true and not stored again). Two minutes is the server's
 * default; it covers the outbox's retries after a lost PubAck and a quick restart. An id reused
 * after it is stored again: the reader de-duplicates too (cluster_seen).
 */
export const DUPLICATE_WINDOW_MS = 120_000;

/**
 * How a peer's stream is copied into this region. Both work across JetStream domains on 2.9.10 and
 * were measured the same (publish → visible in the other region p50 ~1.5 ms; docs/benchmarks.md,
 * part cluster). Lifeline uses `mirror`: a mirror keeps the origin's sequence numbers, so "caught
 * up" is "applied the origin's last sequence" (settle), and it refuses writes of its own. `source`
 * is kept for the benchmark's comparison.
 */
export type CopyMode = 'mirror' | 'source';

/** Creates (or updates) this instance's own stream: LL_<name>, subjects ll.<name>.>. */
export async function ensureOwnStream(jsm: JetStreamManager, self: string, retentionMs: number): Promise<void> {
  const cfg: Partial<StreamConfig> & { name: string } = {
    name: natsNames.stream(self),
    subjects: [natsNames.subjects(self)],
    storage: StorageType.File,
    duplicate_window: DUPLICATE_WINDOW_MS * NS,
    max_age: retentionMs * NS,
  };
  if (await exists(jsm, natsNames.stream(self))) await jsm.streams.update(natsNames.stream(self), cfg);
  else await jsm.streams.add(cfg);
}

/**
 * Creates this region's copy of a peer's stream, pulled across the leaf link from the peer's
 * JetStream domain ($JS.<domain>.API). The copy lists no subjects of its own: a stream here that
 * listed ll.<peer>.> would also store every publish the peer makes while the link is up (gotcha 3
 * in the research notes) and answer its PubAcks. While the link is cut the copy reports lag 0; its
 * staleness shows only in `active` and in the peer's silent heartbeat, which is what liveness reads.
 */
export async function ensurePeerCopy(jsm: JetStreamManager, peer: string, domain: string, retentionMs: number, mode: CopyMode = 'mirror'): Promise<void> {
  const name = natsNames.copy(peer);
  const source = { name: natsNames.stream(peer), external: { api: natsNames.api(domain) } };
  const cfg: Partial<StreamConfig> & { name: string } = { name, storage: StorageType.File, max_age: retentionMs * NS, ...(mode === 'mirror' ? { mirror: source } : { sources: [source] }) };
  const info = await jsm.streams.info(name).catch(() => undefined);
  if (info) {
    const had = info.config.mirror ?? info.config.sources?.[0];
    if (had?.external?.api === source.external.api && had.name === source.name && (info.config.mirror !== undefined) === (mode === 'mirror')) return;
    // A mirror's origin cannot be changed in place: the copy is rebuilt (the peer's stream has it all).
    await jsm.streams.delete(name);
  }
  await jsm.streams.add(cfg);
}

async function exists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch {
    return false;
  }
}
