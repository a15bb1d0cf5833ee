import assert from 'node:assert/strict';
import { parseConfig } from '../../../../src/config/load.js';
import { groupMembers, groupStep, groupVerdict, type MemberState } from '../../../../src/probes/policy/redundancy.js';

const probes = (extra = ''): string => `probes:
  targets:
    - { name: portal, kind: tcp, host: 127.0.0.1, port: 1 }
    - { name: n1-ovpn, kind: tcp, host: 127.0.0.1, port: 1 }
    - { name: n1-wg, kind: tcp, host: 127.0.0.1, port: 1 }
    - { name: n2-ovpn, kind: tcp, host: 127.0.0.1, port: 1 }
  redundancy:
    - { name: vpn, portal: portal, quorum: 1, nodes: [{ name: node-1, probes: [n1-ovpn, n1-wg] }, { name: node-2, probes: [n2-ovpn] }]${extra} }
`;

describe('redundancy groups: one verdict for a multi-node VPN', () => {
  const g = parseConfig(probes(), 't.yaml', {}).probes.redundancy[0]!;
  const states = (down: string[]) => (p: string): MemberState => ({ status: down.includes(p) ? 'down' : 'up', summary: down.includes(p) ? `${p} failed` : 'ok' });

  it('all up: ok; one node down: redundancy lost (warning), naming who still serves; all down: quorum lost (critical)', () => {
    assert.equal(groupVerdict(g, states([])).state, 'ok');
    const one = groupVerdict(g, states(['n2-ovpn']));
    assert.deepEqual([one.state, one.severity], ['degraded', 'warning']);
    assert.equal(one.summary, 'VPN vpn: redundancy lost: node-2 of 2 down, VPN still served by node-1; node-2 (n2-ovpn: n2-ovpn failed)');
    // Any probe of a node down makes the node down.
    assert.match(groupVerdict(g, states(['n1-wg'])).summary, /redundancy lost: node-1 of 2 down, VPN still served by node-2/);
    const all = groupVerdict(g, states(['n1-ovpn', 'n2-ovpn']));
    assert.deepEqual([all.state, all.severity], ['quorum_lost', 'critical']);
    assert.match(all.summary, /^VPN vpn down: quorum lost, 0 of 2 nodes up \(quorum 1\); down: node-1 \(n1-ovpn: n1-ovpn failed\), node-2/);
  });

  it('the portal down with nodes up is its own message; with a node down too, both are said', () => {
    const p = groupVerdict(g, states(['portal']));
    assert.deepEqual([p.state, p.severity], ['portal_down', 'warning']);
    assert.equal(p.summary, 'VPN vpn: the portal portal is down (portal failed): new clients cannot get configs; all 2 nodes up, connected clients are served');
    assert.match(groupVerdict(g, states(['portal', 'n2-ovpn'])).summary, /redundancy lost: node-2.*; the portal portal is down too \(portal failed\): new clients cannot get configs$/);
  });

  it('members not run yet count as up: a group never pages before a member failed', () => {
    assert.equal(groupVerdict(g, () => ({ status: 'unknown', summary: undefined })).state, 'ok');
  });

  it('config errors name the key: unknown probes, a quorum above the node count, a probe in two groups', () => {
    assert.throws(() => parseConfig(probes().replace('quorum: 1', 'quorum: 3'), 't.yaml', {}), /probes\.redundancy\[0\]\.quorum: quorum 3 is more than the group's 2 nodes/);
    assert.throws(() => parseConfig(probes().replace('probes: [n2-ovpn]', 'probes: [nope]'), 't.yaml', {}), /probes\.redundancy\[0\]\.nodes\[1\]\.probes\[0\]: no probe named "nope"/);
    const twice = `${probes()}    - { name: vpn2, nodes: [{ name: a, probes: [n2-ovpn] }] }\n`;
    assert.throws(() => parseConfig(twice, 't.yaml', {}), /probe "n2-ovpn" is already in redundancy group "vpn"/);
  });
});

describe('redundancy groups: when the group speaks (pure)', () => {
  const g = parseConfig(probes(), 't.yaml', {}).probes.redundancy[0]!;
  const states = (down: string[]) => (p: string): MemberState => ({ status: down.includes(p) ? 'down' : 'up', summary: down.includes(p) ? `${p} failed` : 'ok' });

  it('says a verdict only when its key changes: a second probe of a node that is already down changes nothing, another node does', () => {
    const first = groupStep(g, states(['n1-ovpn']), 'ok');
    assert.equal(first.alert?.state, 'degraded');
    assert.equal(groupStep(g, states(['n1-ovpn', 'n1-wg']), first.key).alert, undefined, 'node-1 was down already');
    assert.equal(groupStep(g, states(['n1-ovpn', 'n2-ovpn']), first.key).alert?.state, 'quorum_lost');
    assert.equal(groupStep(g, states([]), first.key).alert?.state, 'ok', 'back: the alert resolves');
  });

  it('its members: the portal, then each node\'s probes', () => {
    assert.deepEqual(groupMembers(g), ['portal', 'n1-ovpn', 'n1-wg', 'n2-ovpn']);
  });
});
