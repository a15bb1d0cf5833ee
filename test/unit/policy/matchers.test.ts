import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { parseConfig } from '../../../src/config/load.js';
import { MaintenanceWindows } from '../../../src/policy/maintenance.js';
import { compileMatchers, matcherText, parseMatchers } from '../../../src/policy/matchers.js';
import { RegexSyntaxError } from '../../../src/util/regex.js';

describe('label matchers', () => {
  it('match equal values and whole-value regular expressions; absent labels are empty', () => {
    const m = compileMatchers({ severity: 'critical', instance: '~vpn-[0-9]+' });
    assert.ok(m({ severity: 'critical', instance: 'vpn-12' }));
    assert.ok(!m({ severity: 'critical', instance: 'vpn-12x' }));
    assert.ok(!m({ severity: 'warning', instance: 'vpn-1' }));
    assert.ok(compileMatchers({ team: '' })({}));
  });
  it('parse the !silence syntax and refuse malformed input with a reason', () => {
    assert.deepEqual(parseMatchers('alertname=HostDown instance=~vpn-.*'), [{ name: 'alertname', op: '=', value: 'HostDown' }, { name: 'instance', op: '=~', value: 'vpn-.*' }]);
    assert.throws(() => parseMatchers('nonsense'), /"nonsense" is not a matcher/);
    assert.throws(() => parseMatchers(''), /at least one matcher/);
    assert.throws(() => parseMatchers('a=~('), RegexSyntaxError);
  });
  it('run RE2 in linear time: (a+)+$ against 5000 a and a "!" answers at once (issue 7.1)', () => {
    const m = compileMatchers({ alertname: '~(a+)+$' });
    const started = performance.now();
    assert.equal(m({ alertname: `${'a'.repeat(5000)}!` }), false);
    assert.equal(m({ alertname: 'a'.repeat(5000) }), true);
    // A backtracking engine needs 2^5000 steps here; RE2 needs a few milliseconds.
    assert.ok(performance.now() - started < 1_000, `took ${performance.now() - started} ms`);
  });
  it('refuse what RE2 cannot compile, naming the pattern and the reason', () => {
    assert.throws(() => parseMatchers('alertname=~(?=x)y'), /"\(\?=x\)y" is not an RE2 regular expression \(invalid or unsupported Perl syntax: `\(\?=`\); lookaround and backreferences are not supported/);
    assert.throws(() => parseMatchers('alertname=~(a)\\1'), RegexSyntaxError);
    assert.throws(() => parseConfig('escalation:\n  policies:\n    - { name: p, match: { instance: "~(?!vpn)" }, steps: [{ after: 0s, notify: [email] }] }\n', 't.yaml', {}), /escalation\.policies\[0\]\.match\.instance: "\(\?!vpn\)" is not an RE2/);
  });
  it('never reach Object.prototype: constructor, toString and __proto__ are ordinary label names (issue 7.11)', () => {
    assert.equal(compileMatchers({ constructor: '~function.*' })({ alertname: 'X' }), false);
    assert.equal(compileMatchers({ toString: '~.+' })(JSON.parse('{"alertname":"X"}') as Record<string, string>), false);
    assert.equal(compileMatchers({ __proto__: 'kept' } as unknown as Record<string, string>)({}), true, 'an object literal __proto__ sets the prototype; no own key');
    const withProto = JSON.parse('{"__proto__":"kept"}') as Record<string, string>;
    assert.equal(compileMatchers(parseMatchers('__proto__=kept'))(withProto), true);
    assert.equal(compileMatchers(parseMatchers('__proto__=other'))(withProto), false);
    assert.deepEqual(parseMatchers('__proto__=kept').map((m) => m.name), ['__proto__']);
  });
});

describe('maintenance windows', () => {
  const cfg = parseConfig(
    `maintenance:
  - name: patching
    match: { service: vpn }
    cron: "0 3 * * 0"
    duration: 2h
    time_zone: Europe/Berlin
  - name: migration
    match: {}
    from: "2026-12-01T00:00"
    to: "2026-12-01T04:00"
    time_zone: UTC
`,
    't.yaml',
    {},
  );
  const w = new MaintenanceWindows(cfg.maintenance);
  const berlin = (iso: string): number => DateTime.fromISO(iso, { zone: 'Europe/Berlin' }).toMillis();
  it('recurring: Sundays 03:00-05:00 Berlin time, for matching labels only', () => {
    assert.equal(w.covering({ service: 'vpn' }, berlin('2026-11-29T02:59')), undefined);
    assert.equal(w.covering({ service: 'vpn' }, berlin('2026-11-29T03:00')), 'patching');
    assert.equal(w.covering({ service: 'vpn' }, berlin('2026-11-29T04:59')), 'patching');
    assert.equal(w.covering({ service: 'vpn' }, berlin('2026-11-29T05:00')), undefined);
    assert.equal(w.covering({ service: 'web' }, berlin('2026-11-29T03:30')), undefined);
  });
  it('one-off: from/to in its zone', () => {
    assert.equal(w.covering({}, Date.UTC(2026, 11, 1, 3, 59)), 'migration');
    assert.equal(w.covering({}, Date.UTC(2026, 11, 1, 4, 0)), undefined);
  });
  it('config refuses a window that is neither one-off nor recurring, and bad cron', () => {
    assert.throws(() => parseConfig('maintenance:\n  - { name: x, cron: "0 3 * * 0" }\n', 't.yaml', {}), /maintenance\[0\]: give either from and to/);
    assert.throws(() => parseConfig('maintenance:\n  - { name: x, cron: "99 * * * *", duration: 1h }\n', 't.yaml', {}), /maintenance\[0\]\.cron: not a valid cron expression/);
  });
});

describe("matchers as Alertmanager's parser and amtool take them", () => {
  const m = (text: string, labels: Record<string, string>): boolean => compileMatchers(parseMatchers(text))(labels);
  it('parse =, !=, =~ and !~ with bare or double-quoted values, spaces or commas, with or without braces', () => {
    const want = [
      { name: 'alertname', op: '=~', value: 'Host.*' },
      { name: 'team', op: '!=', value: 'db' },
      { name: 'instance', op: '!~', value: 'vpn-[0-9]+' },
      { name: 'job', op: '=', value: 'node exporter' },
    ];
    assert.deepEqual(parseMatchers('alertname=~"Host.*" team!=db instance!~vpn-[0-9]+ job="node exporter"'), want);
    assert.deepEqual(parseMatchers('{alertname=~"Host.*", team!="db", instance!~"vpn-[0-9]+", job="node exporter"}'), want);
    assert.deepEqual(parseMatchers('{alertname=~"Host.*",team!=db,instance!~"vpn-[0-9]+",job="node exporter"}'), want);
  });
  it('unescape quoted values: \\" \\\\ \\n', () => {
    assert.deepEqual(parseMatchers('summary="disk \\"sda\\" full\\\\n"'), [{ name: 'summary', op: '=', value: 'disk "sda" full\\n' }]);
    assert.deepEqual(parseMatchers('summary="a\\nb"')[0]?.value, 'a\nb');
  });
  it('match as Alertmanager does: anchored expressions, negations, absent labels are empty', () => {
    assert.equal(m('alertname=~"Host.*"', { alertname: 'HostDown' }), true);
    assert.equal(m('alertname=~"Host.*"', { alertname: 'MyHostDown' }), false, 'anchored');
    assert.equal(m('alertname=~"Host.*"', { alertname: '"HostDown"' }), false, 'the quotes are not part of the value');
    assert.equal(m('alertname=X team!=db', { alertname: 'X' }), true, 'absent team is "" != db');
    assert.equal(m('alertname=X team!=db', { alertname: 'X', team: 'db' }), false);
    assert.equal(m('alertname=X instance!~"vpn-.*"', { alertname: 'X', instance: 'vpn-1' }), false);
    assert.equal(m('alertname=X instance!~"vpn-.*"', { alertname: 'X', instance: 'web-1' }), true);
  });
  it('refuse anything else with the reason', () => {
    assert.throws(() => parseMatchers('alertname=~"Host.*'), /no closing quote/);
    assert.throws(() => parseMatchers('alertname=Host"x'), /stray quote/);
    assert.throws(() => parseMatchers('alertname:Host'), /"alertname:Host" is not a matcher/);
    assert.throws(() => parseMatchers('{alertname=x'), /does not close/);
    assert.throws(() => parseMatchers('a="x"b=y'), /put a space or a comma/);
    assert.throws(() => parseMatchers('a="\\q"'), /not an escape/);
    assert.throws(() => parseMatchers('team!=db'), /would silence everything/, 'as Alertmanager: one matcher must need a value');
    assert.throws(() => parseMatchers('team=~".*"'), /would silence everything/);
  });
  it('print them back as amtool does, quoting only where needed', () => {
    assert.equal(matcherText(parseMatchers('{alertname=~"Host.*", job="node exporter", x!="a\\"b"}')), 'alertname=~Host.* job="node exporter" x!="a\\"b"');
    assert.deepEqual(parseMatchers(matcherText(parseMatchers('job="node exporter" x!="a,b"'))), parseMatchers('job="node exporter" x!="a,b"'));
  });
});
