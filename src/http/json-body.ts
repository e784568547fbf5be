import type { FastifyInstance } from 'fastify';
import { jsonPointer, SchemaError, type SchemaViolation } from './errors.js';

export const BODY_LIMIT_BYTES = 1_048_576;

/** Only escapes can smuggle U+0000 or a lone surrogate into a parsed JSON string. */
const SUSPICIOUS_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * The only body parser: JSON. Anything else is 415 (Fastify's own error for an unknown media
 * type). A body that is not JSON, or that carries U+0000 or a lone surrogate anywhere, is an
 * OSR-SCHEMA error: PostgreSQL's jsonb could not store it, and no legitimate field needs it.
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
      const violations = SUSPICIOUS_ESCAPE.test(text as string) ? findUnstorableStrings(value) : [];
      if (violations.length > 0) done(new SchemaError(violations), undefined);
      else done(null, value);
    },
  );
}

interface Visit {
  value: unknown;
  key: string | number | undefined;
  parent: Visit | undefined;
}

const pathOf = (visit: Visit): (string | number)[] => {
  const path: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) path.unshift(at.key);
  return path;
};

const problemWith = (text: string): string | undefined =>
  text.includes('\u0000')
    ? 'String must not contain U+0000.'
    : text.isWellFormed()
      ? undefined
      : 'String must be well-formed Unicode (no lone surrogates).';

/**
 * Iterative walk (any nesting depth is fine), with parent links instead of path copies, so the
 * cost stays linear in the size of the body; a path is built only for a finding.
 */
function findUnstorableStrings(root: unknown): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  const stack: Visit[] = [{ value: root, key: undefined, parent: undefined }];
  while (stack.length > 0 && violations.length < 100) {
    const visit = stack.pop() as Visit;
    const { value } = visit;
    if (typeof value === 'string') {
      const message = problemWith(value);
      if (message) violations.push({ message, path: jsonPointer(pathOf(visit)) });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        stack.push({ value: item, key: index, parent: visit });
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const message = problemWith(key);
        if (message) violations.push({ message, path: jsonPointer(pathOf({ value: key, key, parent: visit })) });
        else stack.push({ value: item, key, parent: visit });
      }
    }
  }
  return violations.reverse();
}
