import pino, { type Logger } from 'pino';

/**
 * Personal data and credentials never reach the logs: request bodies are not logged at all,
 * and these paths are censored wherever they appear.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'password',
  '*.password',
  'body',
  '*.body',
  'name',
  'firstname',
  'additionalname',
  'email',
  'taxnumber',
  'phonenumbers',
  '*.name',
  '*.firstname',
  '*.additionalname',
  '*.email',
  '*.taxnumber',
  '*.phonenumbers',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}
