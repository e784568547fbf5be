import type { FastifyInstance } from 'fastify';
import { jsonPointer, SchemaError, type SchemaViolation } from './errors.js';

export const BODY_LIMIT_BYTES = 1_048_576;

/**
 * The only body parser: JSON. Anything else is 415 (Fastify's own error for an unknown media
 * type). A body that is not JSON, or that carries U+0000 anywhere, is an OSR-SCHEMA error
 * (PostgreSQL's jsonb could not store it, and no legitimate field needs it).
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (_request, text, done) => {
      let value: unknown;
      try {
        value = JSON.parse(text as string);
      } catch {
        done(new SchemaError([{ message: 'Request body is not valid JSON.', path: '' }]), undefined);
        return;
      }
      const violations = findNulCharacters(value);
      if (violations.length > 0) done(new SchemaError(violations), undefined);
      else done(null, value);
    },
  );
}

function findNulCharacters(value: unknown, path: (string | number)[] = []): SchemaViolation[] {
  const nul = (where: (string | number)[]) => ({
    message: 'String must not contain U+0000.',
    path: jsonPointer(where),
  });
  if (typeof value === 'string') return value.includes('\u0000') ? [nul(path)] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => findNulCharacters(item, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) =>
      key.includes('\u0000') ? [nul([...path, key])] : findNulCharacters(item, [...path, key]),
    );
  }
  return [];
}
