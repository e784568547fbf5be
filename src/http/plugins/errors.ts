import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../../db/errors.js';
import { nullIfEmpty } from '../../domain/echo.js';
import { HTTP } from '../../domain/messages.js';
import type { ErrorEnvelope } from '../../domain/response-schema.js';
import { answers, type EnvelopeLists, HttpError, SchemaError } from '../errors.js';
import { tagWithRequestId } from './request-ids.js';
import { inRegisteringScope } from './scope.js';

/**
 * The one place that turns errors into answers: every 4xx/5xx of spec sections 6 and 7 gets its
 * body from `envelope` below, whether Fastify sends it (`sendError`), an onSend hook replaces a
 * refusal with it (`errorPayload`) or Node's HTTP parser refused the request before Fastify saw
 * it (`answerClientError`, written to the socket).
 */

/** The error envelope of spec section 6; an empty list is `null`. */
export function envelope(lists: EnvelopeLists): ErrorEnvelope {
  return {
    status: 'FAIL',
    messages: nullIfEmpty(lists.messages ?? []),
    roleMessages: nullIfEmpty(lists.roleMessages ?? []),
    partnerMessages: nullIfEmpty(lists.partnerMessages ?? []),
  };
}

/** Answers with the error: its status, its headers and the envelope. */
export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  return reply.headers(error.headers).code(error.statusCode).type('application/json').send(envelope(error.lists));
}

/** For an onSend hook that replaces the answer already on its way with this error's. */
export function errorPayload(reply: FastifyReply, error: HttpError): string {
  reply.code(error.statusCode).headers(error.headers).type('application/json');
  return JSON.stringify(envelope(error.lists));
}

/** What the contract answers to an error a hook, body parser or handler raised. */
function answerFor(error: unknown, request: FastifyRequest): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof SchemaError) return answers.schema(error.violations);
  const { validation, message, cause, code, statusCode } = (error ?? {}) as Partial<FastifyError>;
  if (validation) return answers.schema([{ message: message as string, path: '' }]);
  if (isDatabaseUnavailable(error) || isDatabaseUnavailable(cause)) {
    request.log.warn({ err: error }, 'database unavailable');
    return answers.unavailable();
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || statusCode === 413) return answers.payloadTooLarge();
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || statusCode === 415) return answers.unsupportedMediaType();
  // A missing or malformed Authorization header (from @fastify/basic-auth).
  if (statusCode === 401) return answers.unauthorized();
  // Other client errors Fastify raises (e.g. malformed URL encoding).
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return answers.malformed('Malformed request.');
  // Never internals in the answer: the details go to the log.
  request.log.error({ err: error }, 'unexpected error');
  return answers.technicalError();
}

/** The error and not-found handlers of the whole app. */
export const errors = inRegisteringScope('errors', async (app) => {
  app.setErrorHandler((error, request, reply) => sendError(reply, answerFor(error, request)));
  app.setNotFoundHandler((_request, reply) => sendError(reply, answers.notFound()));
});

/**
 * Errors Fastify raises before routing (bad URL encoding, over-long path parameters) and errors
 * of Node's HTTP parser: server options, as Fastify has no setters for them.
 */
export const errorServerOptions = {
  frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    tagWithRequestId(request, reply); // no onRequest hook ran
    // A parameter over maxParamLength (longer than any request line Node accepts, so only from
    // app.inject) matches no route.
    return sendError(
      reply,
      error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? answers.notFound() : answers.malformed('Malformed request URL.'),
    );
  },
  clientErrorHandler: answerClientError,
};

// No `path` here, unlike the other OSR-SCHEMA messages: not even a request line could be read.
const MALFORMED_HTTP = new HttpError(400, { messages: [{ key: HTTP.schema.key, message: 'Malformed HTTP request.' }] });

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (oversized headers, a request
 * that did not arrive in time, garbage): answered on the socket itself, where it still allows.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy(error);
    return;
  }
  const answer =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? answers.headersTooLarge()
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? answers.requestTimeout()
        : MALFORMED_HTTP;
  socket.end(rawHttpResponse(answer));
}

function rawHttpResponse(error: HttpError): string {
  const body = JSON.stringify(envelope(error.lists));
  const headers = {
    ...error.headers,
    // Every response carries one (spec section 7); the request's own was never parsed.
    'X-Request-Id': randomUUID(),
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode]}\r\n${head.join('')}\r\n${body}`;
}
