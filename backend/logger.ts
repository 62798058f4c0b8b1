import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * One JSON object per line. Redaction is a second line of defence: no code path logs a key,
 * a secret or a raw body, and these paths catch one that would.
 */
export function createLogger(
  level: string,
  name = 'flk-backend',
  /** Where lines go; stdout by default (tests capture them). */
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeError },
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
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Errors as type, message, code, stack and cause. Client libraries hang their whole connection
 * object on errors (pg puts the client there); logging that would be noise, and could carry a
 * connection string.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as Error & { code?: unknown };
  return {
    type: e.name,
    message: e.message,
    ...(e.code !== undefined && { code: e.code }),
    stack: e.stack,
    ...(e.cause !== undefined && { cause: serializeError(e.cause) }),
  };
}
