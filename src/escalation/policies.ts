import type { Config } from '../config/schema.js';
import { compileMatchers } from '../policy/matchers.js';
import type { PagingChannel } from '../store/incidents.js';

/** One expanded escalation step. */
export interface Step {
  /** Offset from the incident's opening. */
  afterMs: number;
  notify: readonly PagingChannel[];
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
 * The configured policies, or the default: email to on-call after 5 min, SMS after 10 min, SMS
 * again every 30 min up to 6 times — each step only with the channels that are configured.
 */
export function effectivePolicies(cfg: Pick<Config, 'escalation' | 'email' | 'sms'>): Policy[] {
  if (cfg.escalation.policies.length > 0) {
    return cfg.escalation.policies.map((p: PolicyConfig) => build({ name: p.name, match: p.match, steps: p.steps.map((s) => ({ afterMs: s.after, notify: s.notify, to: s.to })), repeat: p.repeat }));
  }
  const steps: Step[] = [];
  if (cfg.email) steps.push({ afterMs: 5 * 60_000, notify: ['email'], to: 'oncall' });
  if (cfg.sms) steps.push({ afterMs: 10 * 60_000, notify: ['sms'], to: 'oncall' });
  if (steps.length === 0) return [];
  return [build({ name: 'default', match: {}, steps, repeat: cfg.sms ? { every: 30 * 60_000, max: 6 } : undefined })];
}
