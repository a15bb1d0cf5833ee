#!/usr/bin/env node
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { startApp } from './app.js';
import { loadConfig } from './config/load.js';
import { configJsonSchema } from './config/schema.js';
import { startupWarnings } from './config/startupWarnings.js';
import { LifelineError, describeError } from './errors.js';
import { createLogger } from './observability/logger.js';
import { healthcheck } from './http/healthcheck.js';
import { TEST_CHANNELS, testNotify, type TestChannel } from './cli/testNotify.js';
import { systemClock } from './util/clock.js';
import { collectGarbage } from './util/gc.js';
import { buildInfo } from './observability/version.js';

const USAGE = `Usage:
  lifeline run --config FILE           run the relay
  lifeline check-config --config FILE  validate a config file and exit (non-zero on problems)
  lifeline schema                      print the JSON Schema of the config file
  lifeline --version                   print the version and the revision it was built from
  lifeline healthcheck [--config FILE] ask the running Lifeline's /healthz (http.host, http.port of
                                       the config); exit 0 when it answers 200 (the image's HEALTHCHECK)
  lifeline test-notify --config FILE --channel irc|email|sms|voice [--to PERSON]
                                       send a real test message (voice: a call) through a channel
                                       and say what failed and how to fix it (email/sms/voice
                                       default: everyone with that contact; irc: every channel a
                                       route names)
`;

/** Entry point: parses the command line, returns the exit code (or never returns for `run`). */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'V' }, channel: { type: 'string' }, to: { type: 'string' } } });
  } catch (err) {
    process.stderr.write(`lifeline: ${describeError(err)}\n${USAGE}`);
    return 2;
  }
  const [command] = parsed.positionals;
  if (parsed.values.version || command === 'version') {
    const b = buildInfo(env);
    process.stdout.write(`lifeline ${b.version} (revision ${b.revision})\n`);
    return 0;
  }
  if (parsed.values.help || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !parsed.values.help ? 2 : 0;
  }
  if (command === 'schema') {
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return 0;
  }
  if (command !== 'run' && command !== 'check-config' && command !== 'test-notify' && command !== 'healthcheck') {
    process.stderr.write(`lifeline: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  const file = parsed.values.config ?? env['LIFELINE_CONFIG'];
  if (!file) {
    process.stderr.write(`lifeline: --config FILE is required (or set LIFELINE_CONFIG)\n${USAGE}`);
    return 2;
  }
  // A watchdog should be small before it is fast. V8's default lets the heap grow to about four
  // times what is live before a full collection; with many probes (each got request allocates
  // ~100 KB of short-lived objects) that meant 214 MB at 2,000 HTTP probes, against 125 MB with
  // this flag, for about 10 % more CPU (docs/benchmarks.md, probes2000). V8 reads it at each
  // collection, so setting it here, before the config is even read, covers the whole run.
  v8.setFlagsFromString('--optimize-for-size');
  const config = loadConfig(file, env);
  if (command === 'check-config') {
    process.stdout.write(`${file}: configuration is valid\n`);
    for (const w of startupWarnings(config)) process.stderr.write(`warning (${w.key}): ${w.text}\n`);
    return 0;
  }
  if (command === 'healthcheck') {
    const r = await healthcheck(config.http);
    (r.ok ? process.stdout : process.stderr).write(`${r.text}\n`);
    return r.ok ? 0 : 1;
  }
  if (command === 'test-notify') {
    const channel = parsed.values.channel;
    if (!TEST_CHANNELS.includes(channel as TestChannel)) {
      process.stderr.write(`lifeline: test-notify needs --channel ${TEST_CHANNELS.join(' or ')}${channel !== undefined ? ` (not "${channel}")` : ''}\n${USAGE}`);
      return 2;
    }
    const r = await testNotify(config, channel as TestChannel, parsed.values.to, systemClock());
    process.stdout.write(`${r.lines.join('\n')}\n`);
    return r.ok ? 0 : 1;
  }
  const log = createLogger(config.log.level);
  // Reading the config made garbage that would otherwise set the peak RSS (src/util/gc.ts).
  collectGarbage();
  const app = await startApp({ config, clock: systemClock(), log });
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      log.info({ event: 'signal', signal: sig }, `received ${sig}`);
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await app.stop();
  log.flush();
  return 0;
}

// Known failures print their message (which says what to do), never a stack trace.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof LifelineError) writeSync(2, `lifeline: ${err.message}\n`);
    else writeSync(2, `lifeline: unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
