import { pino, type Logger } from 'pino';

/**
 * One JSON object per line. Redaction is a second line of defence: no code path logs a key,
 * a secret or a raw body, and these paths catch one that would.
 */
export function createLogger(level: string, name = 'flk-backend'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers.authorization',
        '*.secret',
        '*.secret_b64',
        '*.seed_b64',
        '*.password',
        'body',
        'raw',
      ],
      censor: '[redacted]',
    },
  });
}
