import { createRequire } from 'node:module';

/*
 * Optional features load their libraries on first use, so a Lifeline that only relays to IRC
 * does not pay their memory (the idle-RSS budget is 70 MB): luxon for schedules and time zones,
 * cron-parser for recurring maintenance windows.
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
