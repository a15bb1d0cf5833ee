import assert from 'node:assert/strict';
import { zncOwnCommandHint, zncUpstreamHint } from '../../../src/notifiers/irc/znc.js';

describe('zncUpstreamHint', () => {
  it('reads the fake welcome as "not on the network"', () => {
    assert.equal(zncUpstreamHint(':irc.znc.in 001 lifeline :Welcome to ZNC')?.state, 'down');
  });
  it('reads a replayed network welcome as "on the network"', () => {
    assert.equal(zncUpstreamHint(':irc.lifeline.test 001 lifeline :Welcome to the Internet Relay Network lifeline!~l@h')?.state, 'up');
  });
  it('reads *status messages', () => {
    assert.equal(zncUpstreamHint(':*status!znc@znc.in PRIVMSG lifeline :Disconnected from IRC. Reconnecting...')?.state, 'down');
    assert.equal(zncUpstreamHint(":*status!znc@znc.in PRIVMSG lifeline :You are currently disconnected from IRC. Use 'connect' to reconnect.")?.state, 'down');
    assert.equal(zncUpstreamHint(':*status!znc@znc.in PRIVMSG lifeline :Connected!')?.state, 'up');
    assert.equal(zncUpstreamHint('@time=2026-11-23T00:00:00Z :*status!znc@znc.in NOTICE lifeline :Connected!')?.state, 'up');
  });
  it('reads ZNC dropping a line written while it has no upstream as "not on the network"', () => {
    assert.equal(zncUpstreamHint(':*status!znc@znc.in PRIVMSG lifeline :Your message to #alerts got lost, you are not connected to IRC!')?.state, 'down');
    assert.equal(zncUpstreamHint(':*status!znc@znc.in PRIVMSG lifeline :Your notice to bob got lost, you are not connected to IRC!')?.state, 'down');
    assert.equal(zncUpstreamHint(':bob!b@h PRIVMSG #alerts :Your message to #alerts got lost, you are not connected to IRC!'), undefined);
  });
  it('reads another client of our ZNC user sending *status Disconnect (its echo) as "not on the network"', () => {
    assert.equal(zncOwnCommandHint('*status', 'Disconnect')?.state, 'down');
    assert.equal(zncOwnCommandHint('*Status', 'disconnect going away')?.state, 'down');
    assert.equal(zncOwnCommandHint('*status', 'Disconnected'), undefined);
    assert.equal(zncOwnCommandHint('#alerts', 'Disconnect'), undefined);
    assert.equal(zncOwnCommandHint('*status', 'Connect'), undefined);
  });
  it('ignores everything else, including users pretending to be *status in text', () => {
    assert.equal(zncUpstreamHint(':bob!b@h PRIVMSG #alerts :Disconnected from IRC'), undefined);
    assert.equal(zncUpstreamHint(':*status!znc@znc.in PRIVMSG lifeline :Some other status'), undefined);
    assert.equal(zncUpstreamHint('PING :x'), undefined);
  });
});
