import assert from 'node:assert/strict';
import { makeAuthCheck, makeHeartbeatAuth } from '../../../src/http/auth.js';
import { parseConfig } from '../../../src/config/load.js';
import { Secret } from '../../../src/config/secret.js';

describe('webhook auth', () => {
  it('accepts the right bearer token, any scheme case', () => {
    const ok = makeAuthCheck({ type: 'bearer', token: new Secret('t0k') });
    assert.ok(ok('Bearer t0k'));
    assert.ok(ok('bearer t0k'));
    assert.ok(!ok('Bearer t0k2'));
    assert.ok(!ok('Bearer'));
    assert.ok(!ok(undefined));
    assert.ok(!ok('Basic dDBrOg=='));
  });
  it('accepts the right basic credentials only', () => {
    const ok = makeAuthCheck({ type: 'basic', username: 'am', password: new Secret('pw') });
    assert.ok(ok(`Basic ${Buffer.from('am:pw').toString('base64')}`));
    assert.ok(!ok(`Basic ${Buffer.from('am:px').toString('base64')}`));
    assert.ok(!ok('Bearer pw'));
  });
  it('lets everything through when auth is none', () => {
    assert.ok(makeAuthCheck({ type: 'none' })(undefined));
  });
});

describe('heartbeat auth', () => {
  const TOKEN = '0123456789abcdef';
  it('with heartbeat_auth: the token as bearer or as the first path segment, never the webhook token', () => {
    const http = parseConfig(`http:\n  auth: { type: bearer, token: webhook-token }\n  heartbeat_auth: { token: ${TOKEN} }\n`, 't.yaml', {}).http;
    const check = makeHeartbeatAuth(http);
    assert.equal(check('cron', `Bearer ${TOKEN}`), 'cron');
    assert.equal(check(`${TOKEN}/cron/fail`, undefined), 'cron/fail');
    assert.equal(check(`${TOKEN}/start`, undefined), 'start', 'a heartbeat named "start" behind the token');
    assert.equal(check('cron', 'Bearer webhook-token'), undefined);
    assert.equal(check('cron', undefined), undefined);
    assert.equal(check(`${TOKEN}x/cron`, undefined), undefined);
    assert.equal(check(`/${TOKEN}/cron`, undefined), undefined);
    assert.equal(check(TOKEN, undefined), undefined, 'the token alone names no heartbeat');
  });
  it("without heartbeat_auth: the webhook's auth, as before", () => {
    const http = parseConfig('http:\n  auth: { type: bearer, token: webhook-token }\n', 't.yaml', {}).http;
    assert.equal(makeHeartbeatAuth(http)('cron', 'Bearer webhook-token'), 'cron');
    assert.equal(makeHeartbeatAuth(http)('cron', undefined), undefined);
  });
  it('refuses a short heartbeat token, or one that cannot go in a URL', () => {
    assert.throws(() => parseConfig('http:\n  heartbeat_auth: { token: short }\n', 't.yaml', {}), /http\.heartbeat_auth\.token: expected at least 16 characters/);
    assert.throws(() => parseConfig('http:\n  heartbeat_auth: { token: "0123456789abcdef/x" }\n', 't.yaml', {}), /heartbeat_auth\.token/);
  });
});
