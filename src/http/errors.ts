import type { FastifyReply } from 'fastify';
import { nullIfEmpty } from '../domain/echo.js';
import type { KeyedMessage } from '../domain/messages.js';
import type { ErrorEnvelope, PartnerMessage, PlainMessage, RoleMessage } from '../domain/response-schema.js';

/** The error envelope of spec section 6, used for every 4xx/5xx answer. */
export function envelope(lists: {
  messages?: PlainMessage[];
  roleMessages?: RoleMessage[];
  partnerMessages?: PartnerMessage[];
}): ErrorEnvelope {
  return {
    status: 'FAIL',
    messages: nullIfEmpty(lists.messages ?? []),
    roleMessages: nullIfEmpty(lists.roleMessages ?? []),
    partnerMessages: nullIfEmpty(lists.partnerMessages ?? []),
  };
}

export function sendError(
  reply: FastifyReply,
  statusCode: number,
  lists: Parameters<typeof envelope>[0],
): FastifyReply {
  return reply.code(statusCode).type('application/json').send(envelope(lists));
}

/** An error that already knows its HTTP answer; thrown from hooks and handlers. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly lists: Parameters<typeof envelope>[0],
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${statusCode}`);
  }

  static of(statusCode: number, message: KeyedMessage, headers?: Record<string, string>): HttpError {
    return new HttpError(statusCode, { messages: [{ ...message }] }, headers);
  }
}

/** One OSR-SCHEMA violation: what is wrong and where (a JSON pointer into the body). */
export interface SchemaViolation {
  message: string;
  path: string;
}

export class SchemaError extends Error {
  readonly statusCode = 400;
  constructor(readonly violations: SchemaViolation[]) {
    super('request body violates the schema');
  }
}

/** RFC 6901 JSON pointer of a path. */
export const jsonPointer = (path: readonly PropertyKey[]): string =>
  path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
