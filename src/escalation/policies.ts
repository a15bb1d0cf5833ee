import type { Config } from '../config/schema.js';
import { compileMatchers } from '../policy/matchers.js';
import type { PagingChannelKind } from '../alerts/pages.js';
import type { ChannelConfig } from './channels/channel.js';
import { ChannelSet } from './channels/registry.js';

/** One expanded escalation step. */
export interface Step {
  /** Offset from the incident's opening. */
  afterMs: number;
  notify: readonly PagingChannelKind[];
  to: string;
}

/** A policy ready to use: a matcher and its steps with repeats expanded on demand. */
export interface Policy {
  name: string;
  matches(labels: Readonly<Record<string, string>>): boolean;
  /** Step `index`, or undefined after the last one (repeats included). */
  step(index: number): Step | undefined;
}

type PolicyConfig = Config['escalation']['policies'][number];

function build(p: { name: string; match: Record<string, string>; steps: Step[]; repeat?: { every: number; max: number } }): Policy {
  const matches = compileMatchers(p.match);
  const last = p.steps[p.steps.length - 1] as Step;
  return {
    name: p.name,
    matches,
    step(index) {
      if (index < p.steps.length) return p.steps[index];
      const k = index - p.steps.length + 1;
      if (!p.repeat || k > p.repeat.max) return undefined;
      return { ...last, afterMs: last.afterMs + k * p.repeat.every };
    },
  };
}

/**
 * The configured policies, or the default: each configured channel's default step to on-call
 * (email after 5 min, SMS after 10 min), the last repeated as its channel says (SMS every 30 min
 * up to 6 times).
 */
export function effectivePolicies(cfg: Pick<Config, 'escalation'> & ChannelConfig): Policy[] {
  if (cfg.escalation.policies.length > 0) {
    return cfg.escalation.policies.map((p: PolicyConfig) => build({ name: p.name, match: p.match, steps: p.steps.map((s) => ({ afterMs: s.after, notify: s.notify, to: s.to })), repeat: p.repeat }));
  }
  const defaults = new ChannelSet(cfg).list.flatMap((c) => (c.defaultStep ? [{ kind: c.kind, ...c.defaultStep }] : [])).sort((a, b) => a.afterMs - b.afterMs);
  if (defaults.length === 0) return [];
  const steps: Step[] = defaults.map((d) => ({ afterMs: d.afterMs, notify: [d.kind], to: 'oncall' }));
  return [build({ name: 'default', match: {}, steps, repeat: defaults.findLast((d) => d.repeat)?.repeat })];
}
