import { createHash } from 'node:crypto';
import type { AlertSource } from '../alerts/alert.js';
import type { PageReason, PagingChannelKind } from '../alerts/pages.js';

/*
 * The cluster identity of an incident (issue 23): its episode, the same text on every Lifeline
 * instance for the same event, so that claims, sends and acks of one instance name the incident
 * its peers opened for the same event. The one place that decides it.
 */

/** What an episode is made from: where the alert came from, its fingerprint and its start. */
export interface EpisodeSource {
  readonly source: AlertSource | undefined;
  readonly fingerprint: string;
  /** The alert's startsAt as the source gave it ('' or undefined: unknown). */
  readonly startsAt: string | undefined;
  /** Lifeline's own alert whose start every instance derives alike (Alert.sharedStart). */
  readonly sharedStart?: boolean;
}

/** Episode texts longer than this are hashed (an Alertmanager groupKey can be long; messages carry at most 2,000 characters). */
const MAX_READABLE = 200;

/**
 * The episode of an alert's incident, or undefined when only this instance knows the event.
 *
 * - Alertmanager sends every receiver the same alert with the same fingerprint and the same
 *   startsAt (the time the alert started firing, kept while it fires): every Lifeline listed as
 *   a receiver opens an incident of the same episode "am:<fingerprint>@<startsAt>". When the alert
 *   resolves and fires again, startsAt is new, and so is the episode.
 * - A probe's down alert joined from every region's verdict (probes/combiner.ts) starts when the
 *   first region saw the target down, a time every instance takes from the same verdict messages:
 *   "probe:<fingerprint>@<startsAt>", one incident episode and one page across the regions.
 * - A peer down or unreachable starts when the peer sent its last heartbeat (its own clock, carried
 *   in the heartbeat): survivors that heard that heartbeat share "peer:<fingerprint>@<startsAt>";
 *   one that missed it has another start and pages on its own (duplicates, never loss).
 * - Lifeline's own incidents whose start each instance sees at its own time, but which are one
 *   event for all of them: the IRC path down (the bouncer died), a redundancy group, an inferred
 *   shared cause. Their episodes are not derived here but agreed between the instances
 *   (escalation/episodeAgreement.ts): one opening adopts a live peer's open episode of the same
 *   identity, else makes "<kind>:<identity>@<opened ms>~<instance>" and publishes it; at claim
 *   time each moves to the first (claimed first, then earliest by hybrid logical clock, ties by
 *   name), so one instance pages and an ack on any holds on all. This function returns undefined
 *   for them (AlertChange.agreedEpisode marks the alerts).
 * - The rest start at this instance's own time and are a different event per region, so their
 *   episodes are local (undefined: no claim, no wait, acks stay here): a probe alerting on this
 *   region's verdict alone, and this region's NATS down (LifelineNatsDown: the peers see "peer
 *   unreachable" instead, an incident of their own).
 */
export function episodeOf(e: EpisodeSource): string | undefined {
  if (!e.startsAt) return undefined;
  const prefix = e.source === 'alertmanager' ? 'am' : e.sharedStart === true && e.source !== undefined ? e.source : undefined;
  if (prefix === undefined) return undefined;
  return boundedEpisode(`${prefix}:${e.fingerprint}@${e.startsAt}`);
}

/** An episode text as claims and messages carry it: as is up to MAX_READABLE characters, else "<prefix>:sha256:<hash>" (prefix: up to the first ':'). */
export function boundedEpisode(text: string): string {
  if (text.length <= MAX_READABLE) return text;
  const prefix = text.slice(0, Math.max(0, text.indexOf(':')));
  return `${prefix}:sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** A page reason as stable text: the same reason gives the same text on every instance and version. */
export function reasonKey(r: PageReason): string {
  switch (r.kind) {
    case 'step':
      return `step:${r.index}`;
    case 'raised':
      return `raised:${r.index}:${r.severity}`;
    case 'switched':
      return `switched:${r.index}:${r.policy}`;
    case 'undelivered':
      return `undelivered(${reasonKey(r.of)})`;
    case 'fallback':
      return `fallback(${reasonKey(r.of)})`;
    default:
      return r.kind;
  }
}

/**
 * What one claim covers: one page of an episode, i.e. its reason, channel and person. A claim per
 * (episode, reason) alone would let an instance that sent a step's email and died before its SMS
 * block the SMS on every peer (its "sent" covers the reason); per page, the peer takes the SMS
 * over, and a page recorded here as "sent by peer X" was sent by X to that person on that channel.
 */
export function pageKey(p: { readonly reason: PageReason; readonly channel: PagingChannelKind; readonly person: string }): string {
  return `${reasonKey(p.reason)}|${p.channel}|${p.person}`;
}
