import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load.js';
import { probeConfirm } from '../../../src/config/probeSchema.js';
import { maxResultAgeMs, regionVerdict, type Confirm, type RegionResult } from '../../../src/probes/verdict.js';
import { problems } from '../config/configProblems.js';

const NOW = Date.UTC(2026, 11, 4, 20, 0, 0);
const MAX_AGE = 75_000;

/** A region's result: 'up', a failure reason, 'unreachable', 'none' (never ran), or stale by `ageMs`. */
function region(name: string, r: string, ageMs = 5_000): RegionResult {
  if (r === 'unreachable') return { region: name, reachable: false, latest: { up: false, reason: 'no HTTP answer', atMs: NOW - ageMs } };
  if (r === 'none') return { region: name, reachable: true, latest: undefined };
  return { region: name, reachable: true, latest: { up: r === 'up', reason: r === 'up' ? '' : r, atMs: NOW - ageMs } };
}

const verdict = (confirm: Confirm, ...regions: RegionResult[]) => regionVerdict({ target: 'wiki.example.org', confirm, regions, nowMs: NOW, maxAgeMs: MAX_AGE });

describe('probe verdicts from several regions (confirm: all | any | N)', () => {
  it('all (the default): down from one region and up from the other is a warning naming both, in the words of the issue', () => {
    const v = verdict('all', region('us-east', 'up'), region('eu-west', 'no HTTP answer'));
    assert.equal(v.kind, 'warning');
    assert.equal(v.text, 'wiki.example.org: no HTTP answer from eu-west; up from us-east');
    assert.deepEqual(v.down, [{ region: 'eu-west', reason: 'no HTTP answer' }]);
    assert.deepEqual(v.up, ['us-east']);
    assert.equal(v.needed, 2);
  });

  it('all: down from every region is down (one verdict, regions sorted by name, reasons grouped)', () => {
    const v = verdict('all', region('us-east', 'connection refused'), region('eu-west', 'no HTTP answer'), region('ap-south', 'no HTTP answer'));
    assert.equal(v.kind, 'down');
    assert.equal(v.text, 'wiki.example.org: no HTTP answer from ap-south, eu-west; connection refused from us-east');
    assert.equal(v.needed, 3);
  });

  it('all: up everywhere is up', () => {
    const v = verdict('all', region('eu-west', 'up'), region('us-east', 'up'));
    assert.equal(v.kind, 'up');
    assert.equal(v.text, 'wiki.example.org: up from eu-west, us-east');
  });

  it('any: down from one region of two is down, and says where it is still up', () => {
    const v = verdict('any', region('eu-west', 'no HTTP answer'), region('us-east', 'up'));
    assert.equal(v.kind, 'down');
    assert.equal(v.needed, 1);
    assert.equal(v.text, 'wiki.example.org: no HTTP answer from eu-west; up from us-east');
  });

  it('1 of 2: down from one is down; up from both is up', () => {
    assert.equal(verdict(1, region('eu-west', 'no HTTP answer'), region('us-east', 'up')).kind, 'down');
    assert.equal(verdict(1, region('eu-west', 'up'), region('us-east', 'up')).kind, 'up');
  });

  it('2 of 3: one region down is a warning, two are down', () => {
    const one = verdict(2, region('a', 'no HTTP answer'), region('b', 'up'), region('c', 'up'));
    assert.deepEqual([one.kind, one.needed], ['warning', 2]);
    assert.equal(one.text, 'wiki.example.org: no HTTP answer from a; up from b, c');
    const two = verdict(2, region('a', 'no HTTP answer'), region('b', 'timeout'), region('c', 'up'));
    assert.equal(two.kind, 'down');
    assert.equal(two.text, 'wiki.example.org: no HTTP answer from a; timeout from b; up from c');
  });

  it('an unreachable region is not a vote: all with the other region down is down, and the text says who was not counted', () => {
    const v = verdict('all', region('eu-west', 'no HTTP answer'), region('us-east', 'unreachable'));
    assert.equal(v.kind, 'down');
    assert.equal(v.needed, 1);
    assert.deepEqual(v.notCounted, [{ region: 'us-east', why: 'unreachable' }]);
    assert.equal(v.text, 'wiki.example.org: no HTTP answer from eu-west; not counted: us-east (unreachable)');
  });

  it('a stale result is not a vote, whichever way it pointed; at exactly maxAge it still counts', () => {
    const staleUp = verdict('all', region('eu-west', 'no HTTP answer'), region('us-east', 'up', MAX_AGE + 1));
    assert.equal(staleUp.kind, 'down');
    assert.deepEqual(staleUp.notCounted, [{ region: 'us-east', why: 'stale', ageMs: MAX_AGE + 1 }]);
    assert.equal(staleUp.text, 'wiki.example.org: no HTTP answer from eu-west; not counted: us-east (last result 1 min old)');
    const staleDown = verdict('any', region('eu-west', 'no HTTP answer', 3 * 60_000), region('us-east', 'up'));
    assert.equal(staleDown.kind, 'up');
    assert.equal(staleDown.text, 'wiki.example.org: up from us-east; not counted: eu-west (last result 3 min old)');
    assert.equal(verdict('all', region('eu-west', 'no HTTP answer'), region('us-east', 'up', MAX_AGE)).kind, 'warning');
  });

  it('N larger than the regions that can tell: those that can decide alone (a partition never hides an outage)', () => {
    const v = verdict(2, region('eu-west', 'no HTTP answer'), region('us-east', 'unreachable'), region('ap-south', 'none'));
    assert.deepEqual([v.kind, v.needed], ['down', 1]);
    assert.equal(v.text, 'wiki.example.org: no HTTP answer from eu-west; not counted: ap-south (no result yet), us-east (unreachable)');
    assert.deepEqual([verdict(3, region('a', 'x'), region('b', 'x')).kind, verdict(3, region('a', 'x'), region('b', 'up')).kind], ['down', 'warning']);
  });

  it('a result counts for two intervals plus the timeout: one late or lost run keeps the vote', () => {
    assert.equal(maxResultAgeMs(30_000, 10_000), 70_000);
    const regions = (ageMs: number) => [region('eu-west', 'no HTTP answer'), region('us-east', 'up', ageMs)];
    const maxAgeMs = maxResultAgeMs(30_000, 10_000);
    // us-east's last run finished 65 s ago (one run lost at 30 s): it still says up.
    assert.equal(regionVerdict({ target: 'w', confirm: 'all', regions: regions(65_000), nowMs: NOW, maxAgeMs }).kind, 'warning');
    assert.equal(regionVerdict({ target: 'w', confirm: 'all', regions: regions(71_000), nowMs: NOW, maxAgeMs }).kind, 'down');
  });

  it('no region with a fresh result: unknown, never down or up', () => {
    const v = verdict('any', region('eu-west', 'unreachable'), region('us-east', 'no HTTP answer', MAX_AGE + 60_000));
    assert.equal(v.kind, 'unknown');
    assert.equal(v.text, 'wiki.example.org: no fresh result from any region; not counted: eu-west (unreachable), us-east (last result 2 min old)');
    assert.equal(verdict('all').kind, 'unknown');
  });

  it('a single region (no cluster) behaves as one vantage point: down is down', () => {
    assert.equal(verdict('all', region('here', 'no HTTP answer')).kind, 'down');
    assert.equal(verdict(2, region('here', 'no HTTP answer')).kind, 'down');
  });
});

describe('probe config: confirm per probe, per group (probes.groups) and for all (probes.confirm)', () => {
  const yaml = (extra: string, ...targets: string[]): string =>
    `routes: [{ name: default, console: true }]\nprobes:\n${extra}  targets:\n${targets.map((t) => `    - ${t}\n`).join('')}`;
  const web = '{ name: web, kind: tcp, host: a.example, port: 1, group: web }';
  const db = '{ name: db, kind: tcp, host: b.example, port: 1, group: db }';
  const lone = '{ name: lone, kind: tcp, host: c.example, port: 1, confirm: 2 }';

  it('defaults to all; a probe\'s own confirm wins over its group\'s, which wins over probes.confirm', () => {
    const plain = parseConfig(yaml('', web), 't.yaml', {}).probes;
    assert.equal(probeConfirm(plain, plain.targets[0]!), 'all');
    const p = parseConfig(yaml('  confirm: any\n  groups: { web: { confirm: 1 } }\n', web, db, lone), 't.yaml', {}).probes;
    assert.deepEqual(p.targets.map((t) => probeConfirm(p, t)), [1, 'any', 2]);
  });

  it('a wrong value names the key and says what to write', () => {
    for (const bad of ['0', 'most', '17', '1.5']) {
      assert.deepEqual(problems(yaml('', `{ name: web, kind: tcp, host: a.example, port: 1, confirm: ${bad} }`)), [
        'probes.targets[0] (web).confirm: expected all (down from every region that has a fresh result), any (down from one region), or a number of regions from 1 to 16, e.g. confirm: 2',
      ]);
    }
    assert.match(problems(yaml('  confirm: every\n', web))[0] ?? '', /^probes\.confirm: expected all .*e\.g\. confirm: 2$/);
  });

  it('a group no probe has is named, with the fix; unknown keys in a group are refused', () => {
    assert.deepEqual(problems(yaml('  groups: { wbe: { confirm: any } }\n', web)), [
      'probes.groups.wbe: no probe has group "wbe"; probes.groups is keyed by the group label of probes.targets (add group: wbe to those probes, or fix the name)',
    ]);
    assert.match(problems(yaml('  groups: { web: { confrim: any } }\n', web)).join('\n'), /probes\.groups\.web.*confrim/);
  });
});
