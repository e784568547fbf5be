import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentOutcome } from '../../http/msc-scope.js';
import { addLogBindings } from '../../logger.js';
import { CONSOLE_COOKIE, CONSOLE_PREFIX, type ConsoleContext, HIDDEN } from '../context.js';
import { type Fields, field, safeNext } from '../forms.js';
import { redirect, renderPage, signedInOperator } from '../render.js';
import { operatorDigest } from '../session-store.js';

/** Longer than any password `osr operator add` accepts from a person; longer ones are not even hashed. */
const MAX_PASSWORD_LENGTH = 1024;
const MAX_NAME_LENGTH = 200;

/**
 * Signing in with an operator account (spec 10.1, 10.5) through a form, and out. The form's
 * password is checked by the operators' authenticator of /msc/v1 (src/http/msc-scope.ts): the
 * same store, the same failed-login throttle (spec section 7), the same logging of refusals, and
 * a client credential is unknown there. Signing in replaces the session (a new id: a session id
 * known before cannot be carried over) and remembers which password hash it signed in with, so a
 * rotated password or a revoked operator ends it (src/console/session-store.ts).
 */
export function signInRoutes(pages: FastifyInstance, { operatorAuthenticator, metrics }: ConsoleContext): void {
  const form = (
    request: FastifyRequest,
    reply: FastifyReply,
    values: { next: string; name?: string; error?: string; notice?: string },
  ) =>
    renderPage(request, reply, 'sign-in', {
      title: 'Sign in',
      needsCsrf: true,
      next: values.next,
      name: values.name ?? '',
      error: values.error,
      notice: values.notice,
    });

  pages.get('/sign-in', { ...HIDDEN, config: { consolePublic: true } }, async (request, reply) => {
    const query = request.query as Fields;
    const next = safeNext(field(query, 'next'));
    if (signedInOperator(request)) return redirect(reply, next);
    const notice = field(query, 'signedOut') ? 'You are signed out.' : undefined;
    return form(request, reply, { next, ...(notice ? { notice } : {}) });
  });

  pages.post('/sign-in', { ...HIDDEN, config: { consolePublic: true } }, async (request, reply) => {
    const body = request.body as Fields | undefined;
    const name = field(body, 'name');
    const password = typeof body?.password === 'string' ? body.password : '';
    const next = safeNext(field(body, 'next'));
    if (!name || !password) {
      reply.code(400);
      return form(request, reply, { next, name, error: 'Enter your operator name and password.' });
    }
    if (name.length > MAX_NAME_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      reply.code(400);
      return form(request, reply, { next, error: 'The operator name or password is too long.' });
    }
    // A database that cannot be reached: UnexpectedAuthError with it as the cause, a 503 page.
    const outcome = await currentOutcome(operatorAuthenticator, name, password, request.ip);
    if (!outcome.ok) {
      metrics.loginRefusals.inc({ reason: outcome.reason });
      // Only a name that is an operator's: an unknown one may be a mistyped password.
      const known = outcome.reason === 'unauthorized' && outcome.knownUsername;
      request.log.warn(
        { reason: outcome.reason, scope: 'console', ...(known ? { operator: name } : {}), sourceAddress: request.ip },
        'login refused',
      );
      if (outcome.reason === 'throttled') {
        reply.code(429).header('Retry-After', String(outcome.retryAfterSeconds));
        return form(request, reply, {
          next,
          name,
          error: `Too many failed sign-ins. Try again in ${outcome.retryAfterSeconds} seconds.`,
        });
      }
      reply.code(401);
      return form(request, reply, { next, name, error: 'Sign-in failed: unknown operator or wrong password.' });
    }
    const { principal } = outcome;
    await request.session.regenerate();
    request.session.operator = principal.username;
    request.session.operatorDigest = operatorDigest(principal.passwordHash);
    request.session.readOnly = principal.readOnly;
    addLogBindings(request.log, { operator: principal.username });
    request.log.info({ scope: 'console', readOnly: principal.readOnly }, 'operator signed in');
    return redirect(reply, next);
  });

  pages.post('/sign-out', HIDDEN, async (request, reply) => {
    request.log.info({ scope: 'console' }, 'operator signed out');
    await request.session.destroy();
    reply.clearCookie(CONSOLE_COOKIE, { path: CONSOLE_PREFIX });
    return redirect(reply, `${CONSOLE_PREFIX}/sign-in?signedOut=1`);
  });
}
