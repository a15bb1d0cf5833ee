import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IrcPeer, plain } from './harness/ircPeer.js';
import { freePort } from './harness/lifeline.js';
import { Ngircd } from './harness/ngircd.js';
import { Podman } from './harness/podman.js';
import { tempDir, waitFor } from './harness/procs.js';
import { TwilioStandIn } from './harness/twilioStandIn.js';
import { smsNowYaml } from './harness/paging.js';
import { groupPayload, postWebhook } from './harness/webhook.js';
import { Znc } from './harness/znc.js';
import { parse, parseDocument } from 'yaml';

const IMAGE = 'localhost/lifeline:ci';

interface Status {
  irc: { link: string; joined: string[] } | null;
  outbox: { pending: number };
  incidents: { open: number; acked: number; shown: Array<{ code: string; title: string; state: string; ackedBy: string | null }> };
}

/**
 * The image as users build and run it (issue 10): built from the unchanged Dockerfile with podman,
 * run with a config and a secret mounted as files and a named volume for the state, on the host's
 * network so it reaches ngircd and the Twilio stand-in on loopback. Webhook → IRC round trip, SMS
 * page, healthcheck, an ack from IRC, `podman stop` (clean exit, outbox flushed, under 5 s), and a
 * new container on the same volume that still knows the incident is acknowledged.
 */
describe('the container image, built and run with podman (integration)', function () {
  this.timeout(20 * 60_000);
  let podman: Podman;
  let tmp: ReturnType<typeof tempDir>;
  let ircd: Ngircd;
  let twilio: TwilioStandIn;
  let alice: IrcPeer;
  let port: number;
  const name = `lifeline-ci-${process.pid}`;
  const volume = `lifeline-ci-data-${process.pid}`;
  let buildMs = 0;
  const composeName = `lifeline-ci-compose-${process.pid}`;
  const composeVolume = `lifeline-ci-compose-data-${process.pid}`;

  before(async () => {
    podman = Podman.setUp();
    const t0 = Date.now();
    const b = await podman.runAsync(['build', '--pull=never', '--format', 'docker', '-t', IMAGE, '.'], 15 * 60_000);
    buildMs = Date.now() - t0;
    assert.equal(b.status, 0, `podman build failed: ${b.stderr.slice(-3000)}`);
    tmp = tempDir('lifeline-ctr');
    ircd = await Ngircd.start(['#alerts', '#ops-alerts', '#ops-private']);
    twilio = await TwilioStandIn.start();
    alice = await IrcPeer.connect(ircd.port, 'alice');
    port = await freePort();
    // Config and secret as files, readable by the image's unprivileged user (uid 1000).
    const etc = join(tmp.dir, 'etc');
    const secrets = join(tmp.dir, 'secrets');
    mkdirSync(etc);
    mkdirSync(secrets);
    for (const d of [tmp.dir, etc, secrets]) chmodSync(d, 0o755);
    writeFileSync(join(secrets, 'twilio_auth_token'), `${twilio.authToken}\n`, { mode: 0o644 });
    writeFileSync(
      join(etc, 'lifeline.yaml'),
      `log:
  level: info
http:
  host: 127.0.0.1
  port: ${port}
store:
  path: /var/lib/lifeline/lifeline.db
irc:
  host: 127.0.0.1
  port: ${ircd.port}
  tls: false
  nick: lifeline
  bouncer: none
  channels: [{ name: "#alerts" }]
routes:
  - { name: default, irc_channels: ["#alerts"] }
${smsNowYaml(twilio).replace(`auth_token: ${twilio.authToken}`, 'auth_token_file: /run/secrets/twilio_auth_token')}commands:
  allowed: ["nick:alice"]
`,
      { mode: 0o644 },
    );
    podman.run(['rm', '-f', name]);
    podman.run(['volume', 'rm', '-f', volume]);
  });

  after(async () => {
    if (podman) {
      podman.run(['rm', '-f', name]);
      podman.run(['volume', 'rm', '-f', volume]);
      podman.run(['rm', '-f', composeName]);
      podman.run(['volume', 'rm', '-f', composeVolume]);
    }
    alice?.close();
    await ircd?.destroy();
    await twilio?.stop();
    tmp?.remove();
  });

  const runContainer = (): void => {
    podman.ok([
      'run', '-d', '--name', name, '--network', 'host', '--pull=never',
      '-v', `${volume}:/var/lib/lifeline`,
      '-v', `${join(tmp.dir, 'etc')}:/etc/lifeline:ro`,
      '-v', `${join(tmp.dir, 'secrets')}:/run/secrets:ro`,
      '-e', 'LIFELINE_CONFIG=/etc/lifeline/lifeline.yaml',
      IMAGE,
    ]);
  };
  const status = async (): Promise<Status> => (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as Status;
  const logs = (): string => {
    const r = podman.run(['logs', name]);
    return r.stdout + r.stderr;
  };

  it('builds from the unchanged Dockerfile: a non-root runtime image with tini as PID 1, a HEALTHCHECK and a volume', () => {
    const size = Number(podman.ok(['image', 'inspect', '--format', '{{.Size}}', IMAGE]));
    const base = Number(podman.ok(['image', 'inspect', '--format', '{{.Size}}', 'docker.io/library/node:20-bookworm-slim']));
    // Figures for docs/benchmarks.md (the base here is the local stand-in, not Docker Hub's image).
    console.log(`      image ${(size / 1e6).toFixed(0)} MB (base stand-in ${(base / 1e6).toFixed(0)} MB, Lifeline's layers ${((size - base) / 1e6).toFixed(0)} MB); build ${(buildMs / 1000).toFixed(1)} s`);
    const [img] = JSON.parse(podman.ok(['image', 'inspect', IMAGE])) as Array<{ Config: { User: string; Entrypoint: string[]; Volumes: Record<string, unknown> }; Healthcheck?: { Test: string[]; Interval: number } }>;
    assert.ok(img);
    const { Config: cfg, Healthcheck: health } = img;
    assert.equal(cfg.User, 'node');
    assert.deepEqual(cfg.Entrypoint.slice(0, 2), ['/usr/bin/tini', '--']);
    assert.deepEqual(health?.Test, ['CMD', 'node', 'dist/src/main.js', 'healthcheck']);
    assert.equal(health?.Interval, 30e9);
    assert.ok('/var/lib/lifeline' in cfg.Volumes);
    // Production dependencies only: no TypeScript, no test tools in the runtime image.
    const r = podman.run(['run', '--rm', '--pull=never', '--entrypoint', 'sh', IMAGE, '-c', 'ls node_modules; ls dist']);
    assert.equal(r.status, 0, r.stderr);
    for (const dev of ['typescript', 'mocha', 'playwright-core']) assert.doesNotMatch(r.stdout, new RegExp(`^${dev}$`, 'm'), `${dev} is in the runtime image`);
    assert.match(r.stdout, /^better-sqlite3$/m);
  });

  it('runs: healthy, on IRC, a webhook reaches #alerts and pages by SMS; an ack from IRC is stored', async () => {
    runContainer();
    await waitFor('/healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 30_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}; container logs:\n${logs().slice(-3000)}`);
    });
    const hc = podman.run(['healthcheck', 'run', name]);
    assert.equal(hc.status, 0, `healthcheck: ${hc.stdout}${hc.stderr}`);
    assert.equal(podman.ok(['inspect', '--format', '{{.State.Health.Status}}', name]), 'healthy');
    await waitFor('Lifeline in #alerts', async () => (await status()).irc?.joined.includes('#alerts'), 30_000, 200);
    assert.equal(await postWebhook(port, groupPayload('ContainerDiskFull', 1)), 200);
    const line = await waitFor('the alert in #alerts', () => alice.messages.find((m) => m.from === 'lifeline' && /ContainerDiskFull/.test(m.text)), 20_000);
    assert.equal(line.target, '#alerts');
    const sms = await waitFor('the SMS page', () => twilio.received.find((m) => /ContainerDiskFull/.test(m.body)), 20_000);
    assert.equal(sms.to, '+4915112345678');
    const code = (await status()).incidents.shown.find((i) => /ContainerDiskFull/.test(i.title))?.code;
    assert.ok(code);
    const before = alice.messages.length;
    alice.send(`PRIVMSG #alerts :!ack ${code}`);
    await waitFor('the ack reply', () => alice.messages.slice(before).find((m) => m.from === 'lifeline' && /acknowledged by alice/.test(plain(m.text))), 20_000);
    assert.equal((await status()).incidents.shown.find((i) => i.code === code)?.state, 'acked');
  });

  it('podman stop: the alert accepted just before is delivered, then a clean exit in under 5 s', async () => {
    // Let the flood-control bucket refill after the ack reply, as it would between real alerts.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(await postWebhook(port, groupPayload('JustBeforeStop', 1)), 200);
    const t0 = Date.now();
    const stop = await podman.runAsync(['stop', '-t', '10', name], 30_000);
    const stopMs = Date.now() - t0;
    console.log(`      podman stop took ${stopMs} ms`);
    assert.equal(stop.status, 0, stop.stderr);
    assert.ok(stopMs < 5_000, `podman stop took ${stopMs} ms`);
    assert.equal(podman.ok(['inspect', '--format', '{{.State.ExitCode}}', name]), '0');
    const out = logs();
    assert.match(out, /"event":"signal","signal":"SIGTERM"/);
    assert.match(out, /"event":"stopped"/);
    assert.equal(alice.messages.filter((m) => m.from === 'lifeline' && /JustBeforeStop/.test(m.text)).length, 1, 'delivered before the exit');
  });

  it('a new container on the same volume keeps the state: the incident is still acked, nothing left queued, nothing sent twice', async () => {
    podman.ok(['rm', name]);
    const seen = alice.messages.length;
    runContainer();
    await waitFor('/healthz again', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, 30_000, 100);
    // Read at once, before IRC is back: the outbox was flushed at stop, nothing waits to be re-sent.
    const s = await status();
    assert.equal(s.outbox.pending, 0);
    const inc = s.incidents.shown.find((i) => /ContainerDiskFull/.test(i.title));
    assert.deepEqual({ state: inc?.state, by: inc?.ackedBy }, { state: 'acked', by: 'alice' });
    await waitFor('Lifeline back in #alerts', async () => (await status()).irc?.joined.includes('#alerts'), 30_000, 200);
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(alice.messages.slice(seen).filter((m) => /ContainerDiskFull|JustBeforeStop/.test(m.text)).length, 0, 'no alert re-sent after the restart');
    assert.equal(twilio.received.filter((m) => /ContainerDiskFull/.test(m.body)).length, 1, 'no second page');
  });
  /**
   * The shipped pair, compose.yaml and the config it mounts (config/example-znc.yaml), as Compose
   * would run them. podman-compose is not used: CI's podman setup does not install it (Debian has
   * 1.0.3 as a separate package), and the test should need nothing more than podman; so the test
   * reads compose.yaml itself (the yaml package) and turns the service into
   * the `podman run` Compose would make: the image of `build: .` (built above from the Dockerfile),
   * its environment, its named volume, each file secret bind-mounted read-only at
   * /run/secrets/NAME (what Compose does for `file:` secrets), its restart policy. Unchanged:
   * every secret, the store, routes, people and policies. Changed, because the test's servers are
   * on loopback and the network is the host's (so `ports:` does not apply): only where things are
   * (ADDRESS_KEYS). The secrets hold what the test's servers expect: ZNC's whole
   * user/network:password, the Twilio stand-in's token.
   */
  it('the shipped compose.yaml service with config/example-znc.yaml: every secret from /run/secrets, the store on the volume, through ZNC to #ops-alerts, SMS through the token file (issue 22 §2)', async () => {
    const compose = parse(readFileSync('compose.yaml', 'utf8')) as {
      services: Record<string, { build?: string; environment?: Record<string, string>; volumes?: string[]; secrets?: string[]; restart?: string; ports?: string[] }>;
      secrets: Record<string, { file: string }>;
      volumes: Record<string, unknown>;
    };
    const svc = compose.services['lifeline'];
    assert.ok(svc, 'compose.yaml has a lifeline service');
    assert.equal(svc.build, '.', 'built from the Dockerfile at the top, as this test built it');
    const znc = await Znc.start(ircd.port, ['#ops-alerts', '#ops-private']);
    const bob = await IrcPeer.connect(ircd.port, 'bob', ['#ops-alerts']);
    try {
      const webPort = await freePort();
      const dir = join(tmp.dir, 'compose');
      mkdirSync(join(dir, 'secrets'), { recursive: true });
      chmodSync(dir, 0o755);
      chmodSync(join(dir, 'secrets'), 0o755);
      const token = `tok-${process.pid}-${Date.now()}`;
      const secretValues: Record<string, string> = {
        lifeline_webhook_token: token,
        znc_password: znc.loginPassword,
        ops_private_key: 'unused-by-ngircd',
        smtp_password: 'smtp-secret',
        twilio_auth_token: twilio.authToken,
      };
      // What the service's container gets (also for `docker compose run --rm lifeline …`).
      const args = ['--network', 'host', '--pull=never'];
      for (const [k, v] of Object.entries(svc.environment ?? {})) args.push('-e', `${k}=${v}`);
      let configTarget = '';
      for (const v of svc.volumes ?? []) {
        const [src = '', target = '', mode] = v.split(':');
        if (src.startsWith('./')) {
          assert.equal(src, './config/example-znc.yaml', 'the one file compose.yaml mounts is the shipped example');
          configTarget = target;
          args.push('-v', `${join(dir, 'lifeline.yaml')}:${target}${mode ? `:${mode}` : ''}`);
        } else {
          assert.ok(src in compose.volumes, `${src} is a named volume of compose.yaml`);
          args.push('-v', `${composeVolume}:${target}`);
        }
      }
      for (const sname of svc.secrets ?? []) {
        const file = compose.secrets[sname]?.file;
        assert.equal(file, `./secrets/${sname}`);
        const value = secretValues[sname];
        assert.ok(value !== undefined, `the test has a value for secret ${sname}`);
        writeFileSync(join(dir, 'secrets', sname), `${value}\n`, { mode: 0o644 });
        args.push('-v', `${join(dir, 'secrets', sname)}:/run/secrets/${sname}:ro`);
      }
      assert.equal(configTarget, svc.environment?.['LIFELINE_CONFIG']);
      // Only where things are; everything else is the shipped file as it is.
      const doc = parseDocument(readFileSync('config/example-znc.yaml', 'utf8'));
      const ADDRESS_KEYS: Array<[string[], unknown]> = [
        [['http', 'port'], webPort],
        [['irc', 'host'], '127.0.0.1'],
        [['irc', 'port'], znc.port],
        [['irc', 'tls'], false],
        [['email', 'host'], '127.0.0.1'],
        [['email', 'port'], await freePort()],
        [['sms', 'account_sid'], twilio.accountSid],
        [['sms', 'api_base_url'], twilio.url],
      ];
      for (const [path, value] of ADDRESS_KEYS) doc.setIn(path, value);
      writeFileSync(join(dir, 'lifeline.yaml'), String(doc), { mode: 0o644 });
      podman.run(['rm', '-f', composeName]);
      podman.ok(['run', '-d', '--name', composeName, ...(svc.restart ? ['--restart', svc.restart] : []), ...args, IMAGE]);
      const clogs = (): string => {
        const r = podman.run(['logs', composeName]);
        return (r.stdout + r.stderr).slice(-3000);
      };
      const compStatus = async (): Promise<Status> => (await (await fetch(`http://127.0.0.1:${webPort}/api/v1/status`)).json()) as Status;
      await waitFor('/healthz of the compose service', async () => (await fetch(`http://127.0.0.1:${webPort}/healthz`).catch(() => undefined))?.ok, 30_000, 200).catch((err: Error) => {
        throw new Error(`${err.message}; container logs:\n${clogs()}`);
      });
      await waitFor('Lifeline in #ops-alerts and #ops-private through ZNC (znc_password_file)', async () => {
        const j = (await compStatus()).irc?.joined ?? [];
        return j.includes('#ops-alerts') && j.includes('#ops-private');
      }, 30_000, 200).catch((err: Error) => {
        throw new Error(`${err.message}; container logs:\n${clogs()}`);
      });
      // The webhook takes the bearer token from /run/secrets/lifeline_webhook_token, and only it.
      assert.equal(await postWebhook(webPort, groupPayload('ComposeNoToken', 1)), 401);
      assert.equal(await postWebhook(webPort, groupPayload('ComposeDiskFull', 1), { authorization: `Bearer ${token}` }), 200);
      const line = await waitFor('the alert in #ops-alerts', () => bob.messages.find((m) => m.from.startsWith('lifeline') && /ComposeDiskFull/.test(m.text)), 30_000);
      assert.equal(line.target, '#ops-alerts');
      assert.equal(bob.messages.filter((m) => /ComposeNoToken/.test(m.text)).length, 0);
      // SMS with the token from /run/secrets/twilio_auth_token, as the README says to test it:
      // `docker compose run --rm lifeline test-notify …` (the image's entrypoint is the CLI).
      const sent = twilio.received.length;
      const tn = await podman.runAsync(['run', '--rm', ...args, IMAGE, 'test-notify', '--channel', 'sms', '--to', 'alice'], 60_000);
      assert.equal(tn.status, 0, tn.stdout + tn.stderr);
      assert.match(tn.stdout, /^sms to alice \(\+4915112345678\): accepted by the Twilio API/);
      assert.equal(twilio.received.slice(sent).filter((m) => m.to === '+4915112345678').length, 1);
      // The database is on the named volume, where store.path of the example says.
      const ls = podman.run(['exec', composeName, 'ls', '/var/lib/lifeline']);
      assert.match(ls.stdout, /^lifeline\.db$/m, ls.stdout + ls.stderr);
      const stop = await podman.runAsync(['stop', '-t', '10', composeName], 30_000);
      assert.equal(stop.status, 0, stop.stderr);
      assert.equal(podman.ok(['inspect', '--format', '{{.State.ExitCode}}', composeName]), '0');
    } finally {
      bob.close();
      await znc.destroy();
    }
  });
  it('a config without store.path keeps the database on the volume ($LIFELINE_DATA_DIR), not beside the read-only config (issue 22 §2)', async () => {
    const dir = join(tmp.dir, 'nostore');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const webPort = await freePort();
    writeFileSync(join(dir, 'lifeline.yaml'), `http:\n  host: 127.0.0.1\n  port: ${webPort}\nroutes:\n  - { name: default, console: true }\n`, { mode: 0o644 });
    const ctr = `${composeName}-nostore`;
    const vol = `${composeVolume}-nostore`;
    try {
      podman.ok(['run', '-d', '--name', ctr, '--network', 'host', '--pull=never', '-v', `${vol}:/var/lib/lifeline`, '-v', `${dir}:/etc/lifeline:ro`, '-e', 'LIFELINE_CONFIG=/etc/lifeline/lifeline.yaml', IMAGE]);
      await waitFor('/healthz without store.path', async () => (await fetch(`http://127.0.0.1:${webPort}/healthz`).catch(() => undefined))?.ok, 30_000, 200).catch((err: Error) => {
        const r = podman.run(['logs', ctr]);
        throw new Error(`${err.message}; container logs:\n${(r.stdout + r.stderr).slice(-3000)}`);
      });
      assert.match(podman.ok(['exec', ctr, 'ls', '/var/lib/lifeline']), /^lifeline\.db$/m);
    } finally {
      podman.run(['rm', '-f', ctr]);
      podman.run(['volume', 'rm', '-f', vol]);
    }
  });
});
