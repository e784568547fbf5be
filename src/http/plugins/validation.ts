import type { FastifySchemaCompiler } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';
import { jsonPointer, SchemaError, type SchemaViolation } from '../errors.js';
import { mayHoldUnstorableStrings, registerJsonBodyParser } from '../json-body.js';
import { findUnstorableStrings } from '../unstorable-strings.js';
import { inRegisteringScope } from './scope.js';

/**
 * Zod validation that reports every violation with a JSON pointer (OSR-SCHEMA). A body is also
 * searched for strings PostgreSQL cannot store, anywhere in it (also where the schema ignores
 * properties): those are reported together with the schema's own violations, one message each.
 */
const validatorCompiler: FastifySchemaCompiler<ZodType> = ({ schema, httpPart }) => {
  const isBody = httpPart === 'body';
  return (data) => {
    const result = schema.safeParse(data);
    const violations: SchemaViolation[] = result.success
      ? []
      : result.error.issues.map((issue) => ({ message: issue.message, path: jsonPointer(issue.path) }));
    if (isBody && mayHoldUnstorableStrings(data)) violations.push(...findUnstorableStrings(data));
    return violations.length > 0 ? { error: new SchemaError(violations) } : { value: result.data };
  };
};

/**
 * Requests are JSON (the only body parser) and validated by the routes' zod schemas, which also
 * serialise the answers; a violation is a SchemaError, answered by the errors plugin.
 */
export const validation = inRegisteringScope('validation', async (app) => {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Our compiler returns SchemaErrors, which Fastify passes on as they are; should a formatter
  // ever be asked, the answer is still an OSR-SCHEMA message.
  app.setSchemaErrorFormatter((errors) => {
    const first: unknown = errors[0];
    return first instanceof SchemaError ? first : new SchemaError([{ message: 'Invalid request.', path: '' }]);
  });
  registerJsonBodyParser(app);
});
