import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Paths that may hold secret material in anything the operator could log. Secret data is never
 * logged on purpose; this is the net under that rule.
 */
const REDACT = [
  'data',
  'stringData',
  '*.data',
  '*.stringData',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'token',
  '*.token',
];

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
}

/** JSON logs: a fixed message, the values as fields, errors under `err`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { component: 'flk-operator' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
