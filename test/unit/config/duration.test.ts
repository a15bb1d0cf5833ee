import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { DURATION_PATTERN, parseDuration } from '../../../src/config/duration.js';

describe('durations as Prometheus writes them', () => {
  it('takes compound durations, weeks and years, units from the largest down, each once', () => {
    const cases: Array<[string, number | undefined]> = [
      ['1h30m', 5_400_000],
      ['1w', 604_800_000],
      ['1y', 365 * 86_400_000],
      ['1d12h', 129_600_000],
      ['2m30s', 150_000],
      ['1s500ms', 1_500],
      ['90s', 90_000],
      ['250ms', 250],
      ['0', 0],
      ['0s', 0],
      ['', undefined],
      ['30', undefined],
      ['1.5h', undefined],
      ['1m1h', undefined],
      ['1h1h', undefined],
      ['h', undefined],
      ['-5m', undefined],
    ];
    for (const [text, ms] of cases) {
      assert.equal(parseDuration(text), ms, text);
      assert.equal(new RegExp(DURATION_PATTERN).test(text), ms !== undefined, `JSON Schema pattern: ${text}`);
    }
  });
  it('is accepted wherever the config takes a duration, and refused with the syntax named', () => {
    const c = parseConfig('escalation:\n  ack_timeout: 1h30m\n  path_grace: 1w\n', 't.yaml', {});
    assert.equal(c.escalation.ack_timeout, 5_400_000);
    assert.equal(c.escalation.path_grace, 604_800_000);
    assert.throws(() => parseConfig('escalation:\n  ack_timeout: 90 minutes\n', 't.yaml', {}), /escalation\.ack_timeout: expected a duration as Prometheus writes them, such as "250ms", "45s", "5m", "1h30m" or "1w"/);
  });
});
