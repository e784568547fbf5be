import type { FastifyReply, FastifyRequest } from 'fastify';
import { describeHistoryValue, formatTime, messageRows, partnerName, prettyJson } from './format.js';

/** What every template may call (`it.fmt`). */
const FORMAT = { time: formatTime, messageRows, partnerName, describeHistoryValue, prettyJson };

export type Section = 'units' | 'deliveries' | 'clients';

export interface PageData {
  title: string;
  section?: Section;
  /** The page has a form of its own (sign-in): it needs a CSRF token even before signing in. */
  needsCsrf?: boolean;
  [name: string]: unknown;
}

/** A failure the console explains on a page of its own. */
export class ConsoleError extends Error {
  constructor(
    readonly statusCode: number,
    readonly heading: string,
    readonly text: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(heading);
  }
}

export const notFound = (text: string) => new ConsoleError(404, 'Not found', text);

/** The signed-in operator of the request's session, if any. */
export function signedInOperator(request: FastifyRequest): { name: string; readOnly: boolean } | null {
  const session = request.session as FastifyRequest['session'] | null | undefined;
  return session?.operator ? { name: session.operator, readOnly: session.readOnly === true } : null;
}

/**
 * Renders a page (src/console/templates/<template>.eta) in the layout: the signed-in operator
 * and the sign-out form's CSRF token, and a notice left by the previous request (shown once).
 */
export async function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  data: PageData,
): Promise<FastifyReply> {
  const session = request.session as FastifyRequest['session'] | null | undefined;
  const operator = signedInOperator(request);
  // Only a real session can hold the CSRF secret (not the placeholder of a failed session read).
  const hasSession = typeof session?.sessionId === 'string';
  const csrf = hasSession && (operator || data.needsCsrf) ? reply.generateCsrf() : '';
  const flash = hasSession ? session?.flash : undefined;
  if (flash && session) session.flash = undefined;
  const html = await reply.viewAsync(template, { ...data, operator, csrf, flash, fmt: FORMAT });
  return reply.type('text/html; charset=utf-8').send(html);
}

/** See other: after a form, or to the page that answers. */
export const redirect = (reply: FastifyReply, to: string): FastifyReply => reply.redirect(to, 303);
