import assert from 'node:assert/strict';
import { problems } from './configProblems.js';

const probes = (...targets: string[]): string => `routes: [{ name: default, console: true }]\nprobes:\n  targets:\n${targets.map((t) => `    - ${t}\n`).join('')}`;
const OK = '{ name: a, kind: tcp, host: a.example, port: 1 }';

describe('check-config names what the user wrote (issue 22 §3)', () => {
  it('names a probe by its name beside its index: probes.targets[3] (wiki).url', () => {
    const p = problems(probes(OK, OK.replace('a,', 'b,'), OK.replace('a,', 'c,'), '{ name: wiki, kind: http, url: "wiki.example.org" }'));
    assert.deepEqual(p, ['probes.targets[3] (wiki).url: expected an http:// or https:// URL']);
  });

  it('names the probe in a missing-variable and an unreadable-secret problem too', () => {
    const p = problems(probes('{ name: znc, kind: bouncer, host: z.example, port: 6697, nick: l, password: "${ZNC_PW}" }', '{ name: znc2, kind: bouncer, host: z.example, port: 6697, nick: l, password_file: /nonexistent/pw }'));
    assert.ok(p.includes('probes.targets[0] (znc).password: environment variable ZNC_PW is not set; export it or use ${ZNC_PW:-default}'), p.join('\n'));
    assert.ok(p.some((l) => l.startsWith('probes.targets[1] (znc2).password_file: cannot read secret file /nonexistent/pw')), p.join('\n'));
  });

  it('a wrong kind lists the valid kinds, not "Invalid discriminator value"', () => {
    const [p, ...rest] = problems(probes('{ name: web, kind: htp, url: "http://x.example/" }'));
    assert.deepEqual(rest, []);
    assert.match(p ?? '', /^probes\.targets\[0\] \(web\)\.kind: unknown kind "htp"; the valid kinds are http, tcp, tls, bouncer, prometheus, alertmanager, heartbeat, memory, /);
    assert.doesNotMatch(p ?? '', /discriminator/i);
  });

  it('a missing kind says it is required and lists the kinds', () => {
    const [p] = problems(probes('{ name: web, url: "http://x.example/" }'));
    assert.match(p ?? '', /^probes\.targets\[0\] \(web\)\.kind: is required: the kind, one of http, tcp, /);
  });

  it('other discriminators read the same way: http.auth.type', () => {
    assert.deepEqual(problems('http:\n  auth: { type: bearr }\n'), ['http.auth.type: unknown type "bearr"; the valid types are none, bearer, basic']);
  });

  it("a bad body_regex quotes the user's pattern, not the wrapped one the probe runs", () => {
    const p = problems(probes('{ name: wiki, kind: http, url: "http://wiki.example/", body_regex: "Main (?=Page)" }'));
    assert.equal(p.length, 1, p.join('\n'));
    assert.match(p[0] ?? '', /^probes\.targets\[0\] \(wiki\)\.body_regex: "Main \(\?=Page\)" is not an RE2 regular expression/);
    assert.doesNotMatch(p[0] ?? '', /\(\?s:\.\*\)/);
  });
});
