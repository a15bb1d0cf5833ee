import { createRequire } from 'node:module';

/*
 * Optional features load their libraries on first use, so a Lifeline that only relays to IRC
 * does not pay their memory (the idle-RSS budget is 70 MB): luxon for schedules and time zones,
 * cron-parser for recurring maintenance windows, re2js for regular expressions in matchers, got
 * for the HTTP probes.
 */
const require = createRequire(import.meta.url);

/** luxon's DateTime, loaded on first use. */
export function luxon(): typeof import('luxon') {
  return require('luxon') as typeof import('luxon');
}

/** cron-parser, loaded on first use. */
export function cronParser(): typeof import('cron-parser') {
  return require('cron-parser') as typeof import('cron-parser');
}

/** re2js, loaded the first time a regular expression is compiled. */
export function re2js(): typeof import('re2js') {
  return require('re2js') as typeof import('re2js');
}

let gotModule: Promise<typeof import('got')> | undefined;

/** got (ESM only, so loaded with import()), the first time an HTTP probe runs. */
export function gotLib(): Promise<typeof import('got')> {
  gotModule ??= import('got');
  return gotModule;
}
