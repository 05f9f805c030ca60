import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out in every log line: tokens, passwords and secrets must never reach a log
 * file, whatever component logs the object.
 */
export const REDACT_PATHS = [
  'password',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'spec.password',
  'spec.secret',
  'spec.token',
];

export interface LoggerConfig {
  level?: string;
  /** Where to write; defaults to stdout (fd 1). */
  destination?: NodeJS.WritableStream | number;
}

export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? process.env.KANSOKU_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const dest = config.destination ?? 1;
  if (typeof dest === 'number') return pino(options, pino.destination({ fd: dest, sync: false }));
  return pino(options, dest);
}

/** For tests and CLI verbs that must stay quiet. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
