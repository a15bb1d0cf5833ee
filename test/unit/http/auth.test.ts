import assert from 'node:assert/strict';
import { makeAuthCheck } from '../../../src/http/auth.js';
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
