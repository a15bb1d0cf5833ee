import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

/** Structured logger: JSON, one event a line. */
export type Logger = PinoLogger;

/**
 * Creates the process logger. Secrets never reach it: config secrets are `Secret` objects that
 * print as "[redacted]", and the paths below are censored as a second line of defence.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'lifeline' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['password', 'token', 'auth_token', '*.password', '*.token', '*.auth_token', 'headers.authorization', 'req.headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
