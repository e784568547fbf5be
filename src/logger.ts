import pino, { type Logger } from 'pino';

/**
 * Personal data and credentials never reach the logs. Request bodies are not logged at all;
 * these paths are censored wherever they appear anyway.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'password',
  '*.password',
  'body',
  '*.body',
  'firstname',
  'additionalname',
  'email',
  'taxnumber',
  'phonenumbers',
  '*.firstname',
  '*.additionalname',
  '*.email',
  '*.taxnumber',
  '*.phonenumbers',
];

/**
 * Errors are logged with what helps to find the cause, but without the parts of a PostgreSQL
 * error that can quote stored or delivered values (detail, where, query text, parameters).
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const { code, routine, severity, constraint, table, column } = error as unknown as Record<string, unknown>;
  const cause = (error as { cause?: unknown }).cause;
  return {
    type: error.constructor.name,
    message: error.message,
    stack: error.stack,
    ...(code === undefined ? {} : { code }),
    ...(routine === undefined ? {} : { routine, severity, constraint, table, column }),
    ...(cause === undefined ? {} : { cause: serializeError(cause) }),
  };
}

/** JSON lines; pretty-printed when a person watches a terminal (and no destination is given). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    // ISO 8601, so a log line can be matched with a request's time without conversion.
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
  };
  if (!destination && process.stdout.isTTY) {
    return pino(options, pino.transport({ target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } }));
  }
  return pino(options, destination);
}

/**
 * Adds fields to every later line of a (request's child) logger — also Fastify's "request
 * completed" line, which uses the same child. Never personal data.
 */
export function addLogBindings(logger: { child: unknown }, bindings: Record<string, string>): void {
  (logger as unknown as Logger).setBindings(bindings);
}
