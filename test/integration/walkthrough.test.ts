import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Alertmanager } from './harness/alertmanager.js';
import { selfSignedCert } from './harness/certs.js';
import { IrcPeer, plain } from './harness/ircPeer.js';
import { Ngircd } from './harness/ngircd.js';
import { freePort, tempDir, waitFor, waitForPort } from './harness/procs.js';
import { NodeExporter, Prometheus } from './harness/prometheus.js';
import { literal, markedBlocks, shownCommands, shownLinePattern, substitute, theBlock, type MarkedBlock } from './harness/readmeBlocks.js';
import { SmtpSink } from './harness/smtpSink.js';
import { TwilioStandIn } from './harness/twilioStandIn.js';
import { Znc } from './harness/znc.js';

const SECTION = '## Walkthrough: from zero to paged';
/** The test's one change of timing (the README says so): the page comes path_grace after the kill either way. */
const GRACE_MS = 20_000;
/** The environment variables the walkthrough exports, in its order. */
const EXPORTED = ['ZNC_PASSWORD', 'LIFELINE_WEBHOOK_TOKEN', 'SMTP_PASSWORD', 'TWILIO_AUTH_TOKEN'];

interface Shell {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs the README's walkthrough section block by block against real servers on loopback: ZNC (TLS)
 * in front of ngircd, Alertmanager and Prometheus with node_exporter, an SMTP server and the Twilio
 * stand-in. The shell blocks run in bash in the clone, after the (substituted) exports block, as
 * `npx lifeline …`; what the README shows as their output must be what they print.
 */
describe('README walkthrough, from zero to paged: every block run against real servers (integration)', function () {
  this.timeout(240_000);
  const repo = process.cwd();
  let blocks: MarkedBlock[];
  let tmp: ReturnType<typeof tempDir>;
  let ircd: Ngircd;
  let znc: Znc;
  let smtp: SmtpSink;
  let twilio: TwilioStandIn;
  let nodeExporter: NodeExporter;
  let prometheus: Prometheus | undefined;
  let alertmanager: Alertmanager | undefined;
  let watcher: IrcPeer;
  let lifeline: ChildProcess | undefined;
  const lifelineOut: string[] = [];
  let httpPort: number;
  let certFile: string;
  const secrets = { webhook: randomBytes(16).toString('hex'), smtp: randomBytes(8).toString('hex') };

  before(async () => {
    blocks = markedBlocks(join(repo, 'README.md'), SECTION);
    tmp = tempDir('walkthrough');
    const cert = selfSignedCert(tmp.dir);
    certFile = cert.certFile;
    smtp = await SmtpSink.start(cert, 'lifeline@example.org', secrets.smtp);
    twilio = await TwilioStandIn.start();
    ircd = await Ngircd.start(['#ops-alerts']);
    znc = await Znc.start(ircd.port, ['#ops-alerts'], cert);
    watcher = await IrcPeer.connect(ircd.port, 'watcher', ['#ops-alerts']);
    nodeExporter = await NodeExporter.start();
    httpPort = await freePort();
  });

  after(async () => {
    if (lifeline?.pid && lifeline.exitCode === null && lifeline.signalCode === null) {
      const exited = new Promise((r) => lifeline?.once('exit', r));
      process.kill(-lifeline.pid, 'SIGTERM');
      const t = setTimeout(() => lifeline?.pid && process.kill(-lifeline.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    watcher?.close();
    await alertmanager?.destroy();
    await prometheus?.destroy();
    await nodeExporter?.destroy();
    await znc?.destroy();
    await ircd?.destroy();
    await smtp?.stop();
    await twilio?.stop();
    tmp?.remove();
  });

  /** Where the README's hosts, ports and paths point on this machine (the README lists these). */
  const places = (): Array<[string, string]> => [
    ['znc.example.org:6697', `127.0.0.1:${znc.port}`],
    ['host: znc.example.org\n  port: 6697', `host: 127.0.0.1\n  port: ${znc.port}`],
    ['host: smtp.example.org\n  port: 587', `host: 127.0.0.1\n  port: ${smtp.port}`],
    ['http://prometheus.example.org:9090', `http://127.0.0.1:${prometheus?.port ?? 0}`],
    ['http://alertmanager.example.org:9093', `http://127.0.0.1:${alertmanager?.port ?? 0}`],
    ['http://lifeline.example.org:9095', `http://127.0.0.1:${httpPort}`],
    ['host: 0.0.0.0                 # Alertmanager must reach it\n  port: 9095', `host: 127.0.0.1\n  port: ${httpPort}`],
    ['/etc/prometheus/', `${tmp.dir}/`],
    ['account_sid: ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', `account_sid: ${twilio.accountSid}`],
    ['--config lifeline.yaml', `--config ${join(tmp.dir, 'lifeline.yaml')}`],
  ];
  /** Applies those of `places()` that occur in `text`. */
  const localize = (text: string, what: string): string => substitute(text, places().filter(([from]) => text.includes(from)), what);

  /** The exports block with the test's own secret values. */
  const exportsBlock = (): string => {
    const block = theBlock(blocks, 'env');
    const names = [...block.matchAll(/^export (\w+)='[^']*'/gm)].map((m) => m[1]);
    assert.deepEqual(names, EXPORTED, 'the walkthrough exports exactly these secrets');
    const values: Record<string, string> = {
      ZNC_PASSWORD: znc.loginPassword,
      LIFELINE_WEBHOOK_TOKEN: secrets.webhook,
      SMTP_PASSWORD: secrets.smtp,
      TWILIO_AUTH_TOKEN: twilio.authToken,
    };
    return block.replace(/^export (\w+)='[^']*'/gm, (_m, name: string) => `export ${name}='${values[name]}'`);
  };

  /**
   * The environment every command gets: the test's CA trusted, as a user's trusted CA would be; npm's
   * update check off (npx would otherwise ask the registry: traffic stays on loopback).
   */
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_EXTRA_CA_CERTS: certFile, npm_config_update_notifier: 'false' });

  /** Runs one command of the README in bash in the clone, after the exports. */
  const sh = (command: string, timeoutMs = 60_000): Promise<Shell> =>
    new Promise((done) => {
      execFile('bash', ['-c', `set -e\n${exportsBlock()}\n${command}`], { cwd: repo, env: env(), encoding: 'utf8', timeout: timeoutMs }, (err, out, errOut) => {
        done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, out, err: errOut });
      });
    });

  /** Runs every command of a shell block; each must succeed and print what the README shows after it. */
  const runShown = async (name: string, transform: (text: string) => string): Promise<Shell[]> => {
    const results: Shell[] = [];
    for (const c of shownCommands(theBlock(blocks, name))) {
      const r = await sh(transform(c.command));
      assert.equal(r.code, 0, `${c.command}\n${r.out}${r.err}`);
      const printed = r.out.trimEnd().split('\n');
      for (const [i, line] of c.expected.entries()) assert.match(printed[i] ?? '', shownLinePattern(localize(line, c.command)), `${c.command}: line ${i + 1} as the README shows it; it printed:\n${r.out}`);
      results.push(r);
    }
    return results;
  };

  /** The config so far: the lifeline.yaml blocks up to `count`, localized; the Twilio stand-in added to sms. */
  const writeConfig = (count: number): void => {
    const parts = blocks.filter((b) => b.name === 'lifeline.yaml');
    assert.equal(parts.length, 3, 'the walkthrough builds lifeline.yaml in three blocks');
    let yaml = parts.slice(0, count).map((b) => localize(b.body, 'lifeline.yaml')).join('');
    if (count === 3) {
      yaml = substitute(yaml, [['  auth_token: ${TWILIO_AUTH_TOKEN}\n', `  auth_token: \${TWILIO_AUTH_TOKEN}\n  api_base_url: ${twilio.url}\n`], ['path_grace: 2m\n', `path_grace: ${GRACE_MS / 1000}s\n`]], 'lifeline.yaml');
    }
    writeFileSync(join(tmp.dir, 'lifeline.yaml'), yaml);
  };

  const marks: string[] = [];
  it('steps 1-8: ZNC, Alertmanager, the Watchdog, probes, a person and a policy, test-notify on every channel, a test alert, ZNC killed and the page', async () => {
    const t0 = Date.now();
    // 1. Point Lifeline at ZNC: the first part of lifeline.yaml passes check-config.
    writeConfig(1);
    const first = await runShown('check-config', (c) => localize(c, 'check-config'));
    assert.match(first[0]!.out, /configuration is valid/);

    marks.push(`2. ${Date.now() - t0} ms`);
    // 2. Alertmanager: the README's receiver is the shipped example's, with Lifeline's address.
    const amBlock = theBlock(blocks, 'alertmanager.yml');
    const example = parse(readFileSync('config/examples/alertmanager-lifeline.yml', 'utf8')) as { receivers: Array<{ webhook_configs: Array<{ url: string; http_config: { authorization: { credentials_file: string } } }> }> };
    const shown = parse(amBlock) as typeof example;
    const hook = example.receivers[0]!.webhook_configs[0]!;
    hook.url = shown.receivers[0]!.webhook_configs[0]!.url;
    hook.http_config.authorization.credentials_file = shown.receivers[0]!.webhook_configs[0]!.http_config.authorization.credentials_file;
    assert.deepEqual(shown, example, 'the README block is config/examples/alertmanager-lifeline.yml with the URL and token path set');
    writeFileSync(join(tmp.dir, 'alertmanager.yml'), localize(amBlock, 'alertmanager.yml'));
    const amCheck = await runShown('alertmanager-check', (c) => localize(c, 'alertmanager-check'));
    assert.match(amCheck[1]!.out, /SUCCESS/);
    assert.equal(readFileSync(join(tmp.dir, 'lifeline_token'), 'utf8'), secrets.webhook, 'the token file holds the token, no newline');
    alertmanager = await Alertmanager.startWithConfig(join(tmp.dir, 'alertmanager.yml'));

    marks.push(`3. ${Date.now() - t0} ms`);
    // 3. The Watchdog rule: the shipped example's first group; promtool accepts it; Prometheus runs it.
    const rules = theBlock(blocks, 'lifeline.rules.yml');
    const shippedRules = parse(readFileSync('config/examples/prometheus-watchdog.rules.yml', 'utf8')) as { groups: unknown[] };
    assert.deepEqual(parse(rules), { groups: [shippedRules.groups[0]] }, 'the README rule is the shipped Watchdog');
    writeFileSync(join(tmp.dir, 'lifeline.rules.yml'), rules);
    const rulesCheck = await runShown('rules-check', (c) => localize(c, 'rules-check'));
    assert.match(rulesCheck[0]!.out, /SUCCESS: 1 rules found/);
    prometheus = await Prometheus.start([`127.0.0.1:${nodeExporter.port}`], '1s', { rules, alertmanagerPort: alertmanager.port });

    marks.push(`4 ${Date.now() - t0} ms`);
    // 4 and 5. Probes, a person and a policy: the whole file; 6. check-config and test-notify on every channel.
    writeConfig(3);
    const mailsBefore = smtp.received.length;
    const smsBefore = twilio.received.length;
    const heardBefore = watcher.messages.length;
    const notified = await runShown('test-notify', (c) => localize(c, 'test-notify'));
    assert.equal(notified.length, 4, 'check-config and test-notify for irc, email and sms');
    assert.ok(watcher.messages.slice(heardBefore).some((m) => m.target === '#ops-alerts' && /^Lifeline test message/.test(plain(m.text))), 'the IRC test message reached the channel through ZNC');
    assert.deepEqual(smtp.received.slice(mailsBefore).map((m) => [m.envelopeTo, m.secure, m.mail.subject]), [[['alice@example.org'], true, 'Lifeline test message']]);
    assert.deepEqual(twilio.received.slice(smsBefore).map((m) => m.to), ['+4915112345678']);

    marks.push(`7. ${Date.now() - t0} ms`);
    // 7. Run it: it joins through ZNC; the Watchdog arrives through Alertmanager; a test alert reaches the channel.
    const run = shownCommands(theBlock(blocks, 'run'));
    assert.equal(run.length, 1);
    lifeline = spawn('bash', ['-c', `set -e\n${exportsBlock()}\nexec ${localize(run[0]!.command, 'run')}`], { cwd: repo, env: env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    lifeline.stdout?.on('data', (d: Buffer) => lifelineOut.push(d.toString()));
    lifeline.stderr?.on('data', (d: Buffer) => lifelineOut.push(d.toString()));
    await waitForPort(httpPort, 30_000);
    await waitFor('"event":"irc_joined","channel":"#ops-alerts" in the log', () => lifelineOut.join('').includes('"event":"irc_joined","channel":"#ops-alerts"'), 30_000, 100);
    const startedAt = Date.now();
    marks.push(`joined ${startedAt - t0} ms`);
    // The test alert goes while the probes come up (the README's reader may wait; the test need not).
    const alertSentAt = Date.now();
    await runShown('test-alert', (c) => localize(c, 'test-alert'));
    const status = async (): Promise<{ probes: Array<{ name: string; status: string }> }> => (await fetch(`http://127.0.0.1:${httpPort}/api/v1/status`)).json() as Promise<{ probes: Array<{ name: string; status: string }> }>;
    await waitFor('pipeline and prometheus up on the status page within a minute', async () => {
      const probes = (await status()).probes;
      return ['pipeline', 'prometheus'].every((n) => probes.find((p) => p.name === n)?.status === 'up');
    }, 60_000 - (Date.now() - startedAt), 500);
    marks.push(`probes up ${Date.now() - t0} ms`);
    const shownLine = /`(\[FIRING\] warning WalkthroughTest[^`]*)`/.exec(readFileSync('README.md', 'utf8'))?.[1];
    assert.ok(shownLine, 'the README shows the line the test alert becomes');
    const linePattern = new RegExp(`^${literal(shownLine).replace(/!ack [A-Z0-9]{4}/, '!ack [A-Z0-9]{4}')}$`);
    const line = await waitFor('the test alert in #ops-alerts', () => watcher.from('lifeline').find((m) => m.target === '#ops-alerts' && linePattern.test(plain(m.text))), 50_000, 200);
    assert.ok(Date.now() - alertSentAt >= 25_000, `the alert came after Alertmanager's group_wait of 30 s (${Date.now() - alertSentAt} ms)`);
    const ack = /!ack ([A-Z0-9]{4})/.exec(plain(line.text))?.[1];
    marks.push(`alert in the channel ${Date.now() - alertSentAt} ms after amtool`);

    marks.push(`8. ${Date.now() - t0} ms`);
    // 8. Kill ZNC: one email and one SMS naming the path, path_grace after the kill, with the waiting alert.
    const kill = shownCommands(theBlock(blocks, 'kill-znc'));
    assert.equal(kill.length, 1);
    const pagesFrom = { mail: smtp.received.length, sms: twilio.received.length };
    const killedAt = Date.now();
    const killed = await sh(substitute(kill[0]!.command, [['"$(pidof znc)"', String(znc.proc!.pid)]], 'kill-znc'));
    assert.equal(killed.code, 0, killed.err);
    await znc.proc!.waitExit();
    const mail = await waitFor('the page by email', () => smtp.received.slice(pagesFrom.mail).find((m) => /IRC alert path down/.test(m.mail.subject ?? '')), GRACE_MS + 20_000, 200);
    const sms = await waitFor('the page by SMS', () => twilio.received.slice(pagesFrom.sms).find((m) => /IRC alert path down/.test(m.body)), 10_000, 200);
    const tookMs = mail.atMs - killedAt;
    assert.ok(tookMs >= GRACE_MS - 1000 && tookMs <= GRACE_MS + 15_000, `paged ${tookMs} ms after the kill (path_grace ${GRACE_MS} ms)`);
    const shownSubject = /`([^`]*IRC alert path down - ack [A-Z0-9]{4})`/.exec(readFileSync('README.md', 'utf8'))?.[1];
    assert.ok(shownSubject, 'the README shows the subject of the page');
    assert.match(mail.mail.subject ?? '', new RegExp(`^${literal(shownSubject).replace(/ack [A-Z0-9]{4}$/, 'ack [A-Z0-9]{4}')}$`), `the subject the README shows: ${mail.mail.subject ?? ''}`);
    assert.deepEqual(mail.envelopeTo, ['alice@example.org']);
    assert.match(mail.mail.text ?? '', /WalkthroughTest/, 'the waiting alert is bundled in');
    assert.ok(ack && (mail.mail.text ?? '').includes(ack), 'with its ack code');
    assert.equal(sms.to, '+4915112345678');
    assert.equal(smtp.received.length - pagesFrom.mail, 1, 'one email');
    assert.equal(twilio.received.length - pagesFrom.sms, 1, 'one SMS');

    marks.push(`ZNC ${Date.now() - t0} ms`);
    // ZNC again: "IRC alert path restored", and the digest in the channel.
    await znc.restart();
    const heardUntil = watcher.messages.length;
    await waitFor('"restored" by email', () => smtp.received.slice(pagesFrom.mail).some((m) => /IRC alert path restored/.test(m.mail.subject ?? '')), 75_000, 200); // reconnect backoff ≤ max_delay, 1 min
    await waitFor('the digest in #ops-alerts', () => watcher.messages.slice(heardUntil).find((m) => m.target === '#ops-alerts' && plain(m.text).startsWith('DIGEST IRC alert path was down')), 20_000, 200);
    console.log(`      walkthrough steps at: ${marks.join(', ')}`);
    console.log(`      walkthrough: paged ${tookMs} ms after ZNC was killed (path_grace ${GRACE_MS} ms); whole walkthrough ${Math.round((Date.now() - t0) / 1000)} s`);
  });
});
