import type { LightMyRequestResponse } from 'fastify';

/**
 * Response headers without those that change with every request (request id, date and the
 * caller's own rate-limit counters), for comparing two answers.
 */
export function withoutPerRequestHeaders(headers: LightMyRequestResponse['headers']) {
  const {
    'x-request-id': _id,
    date: _date,
    'x-ratelimit-remaining': _remaining,
    'x-ratelimit-reset': _reset,
    ...rest
  } = headers;
  return rest;
}
