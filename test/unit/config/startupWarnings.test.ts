import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../../src/config/load.js';
import { isLoopback, startupWarnings } from '../../../src/config/startupWarnings.js';

const keys = (yaml: string, env: Record<string, string> = {}): string[] => startupWarnings(parseConfig(yaml, 't.yaml', env)).map((w) => `${w.event} ${w.key}`);

describe('startup warnings', () => {
  it('an empty config: unsafe (0.0.0.0, no auth) and delivers nowhere', () => {
    assert.deepEqual(keys(''), ['config_unsafe http.auth', 'config_delivers_nowhere routes']);
  });

  it('the shipped quick-start config (loopback, console only): only "delivers nowhere"', () => {
    assert.deepEqual(keys(readFileSync('config/lifeline.yaml', 'utf8')), ['config_delivers_nowhere routes']);
  });

  it('heartbeat pings with no credential on a public address, or sharing the webhook token', () => {
    const probes = 'probes:\n  targets:\n    - { name: cron, kind: heartbeat, within: 1h }\n';
    const irc = 'irc:\n  host: znc\n  nick: lifeline\n  channels: [{ name: "#a" }]\nroutes:\n  - { name: default, irc_channels: ["#a"] }\n';
    assert.deepEqual(keys(`${irc}${probes}`), ['config_unsafe http.auth', 'config_unsafe http.heartbeat_auth']);
    assert.deepEqual(keys(`http:\n  auth: { type: bearer, token: t }\n${irc}${probes}`), ['config_unsafe http.heartbeat_auth']);
    assert.deepEqual(keys(`http:\n  auth: { type: bearer, token: t }\n  heartbeat_auth: { token: 0123456789abcdef }\n${irc}${probes}`), []);
    assert.deepEqual(keys(`http:\n  host: 127.0.0.1\n${irc}${probes}`), [], 'loopback only: nothing to warn about');
    // A Watchdog heartbeat (alertname) comes through the webhook, not the ping endpoint.
    assert.deepEqual(keys(`http:\n  auth: { type: bearer, token: t }\n${irc}probes:\n  targets:\n    - { name: w, kind: heartbeat, alertname: Watchdog, within: 5m }\n`), []);
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.equal(isLoopback(h), true, h);
    for (const h of ['0.0.0.0', '::', '', '10.0.0.5', '192.168.1.1', 'lifeline.example.org']) assert.equal(isLoopback(h), false, h);
  });
});
