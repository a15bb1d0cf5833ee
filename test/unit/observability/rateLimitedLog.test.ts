import assert from 'node:assert/strict';
import { pino } from 'pino';
import { RateLimitedWarn } from '../../../src/observability/rateLimitedLog.js';
import { FakeClock } from '../fakeClock.js';

describe('rate-limited warnings', () => {
  it('logs a burst per window, counts the rest, and reports the count on the next line logged', () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const clock = new FakeClock();
    const warn = new RateLimitedWarn(log, clock, 5, 60_000);
    let logged = 0;
    for (let i = 0; i < 200; i++) if (warn.warn({ event: 'twilio_bad_signature' }, 'refused')) logged++;
    assert.equal(logged, 5);
    assert.equal(lines.length, 5);
    clock.advance(59_999);
    assert.equal(warn.warn({ event: 'twilio_bad_signature' }, 'refused'), false, 'still the same window');
    clock.advance(1);
    assert.equal(warn.warn({ event: 'twilio_bad_signature' }, 'refused'), true);
    assert.equal(lines.at(-1)?.['suppressed'], 196);
    assert.match(String(lines.at(-1)?.['msg']), /196 more like it not logged/);
    assert.equal(warn.warn({ event: 'twilio_bad_signature' }, 'refused'), true);
    assert.equal(lines.at(-1)?.['suppressed'], undefined, 'counted once');
  });
});
