import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/errors.js';
import { sharedSessionSecret } from '../db/repositories/console.js';
import { addLogBindings } from '../logger.js';
import { projectFile } from '../project-files.js';
import { CONSOLE_COOKIE, CONSOLE_PREFIX, type ConsoleContext, HIDDEN } from './context.js';
import { ConsoleError, renderPage } from './render.js';
import { clientRoutes } from './routes/clients.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { signInRoutes } from './routes/sign-in.js';
import { unitRoutes } from './routes/units.js';
import { LazySessionSigner, newSessionSecret } from './session-secret.js';
import { ConsoleSessionStore } from './session-store.js';

/**
 * The support console (spec 10.5) at /console: server-rendered pages (@fastify/view with Eta,
 * templates in src/console/templates/) for the metering company's staff, signed in with operator
 * accounts (spec 10.1) through a form, kept signed in by a session cookie (@fastify/session over
 * PostgreSQL or the embedded database: src/console/session-store.ts), every form protected by
 * @fastify/csrf-protection. One stylesheet, served from here (no CDN, no script).
 *
 * Apart from the API both ways: the console reads no `Authorization` header (a client's or an
 * operator's Basic credentials are simply not signed in here), and its cookie (path /console)
 * counts nowhere else. Not in the OpenAPI document (every route is hidden).
 *
 * Start-up: the plugins are imported here, when the app is built, and only by the server; the
 * templates are compiled at their first use and the session secret read at the first console
 * request. Measured (compiled, PostgreSQL, 2-core VM, medians of 15–20 starts): building the app
 * until ready takes 25–45 ms longer with the console (e.g. 158 → 203 ms).
 */

export { CONSOLE_COOKIE, CONSOLE_PREFIX } from './context.js';

/** Spec 10.5: a session ends after 8 hours without a request. */
export const IDLE_SECONDS = 8 * 60 * 60;

export interface ConsoleOptions extends ConsoleContext {
  /** OSR_CONSOLE_SECRET; undefined: the secret kept in the database. */
  secret?: string | undefined;
}

const TEMPLATES = fileURLToPath(projectFile('src/console/templates/'));
const STYLESHEET = projectFile('src/console/assets/console.css');

export async function registerConsole(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  await app.register(
    async (scope) => {
      securityHeaders(scope);
      // Outside the sessions: the stylesheet costs no session read.
      serveStylesheet(scope);
      await scope.register(async (pages) => registerPages(pages, options));
    },
    { prefix: CONSOLE_PREFIX },
  );
}

/** Pages of personal data: never cached, never framed, nothing loaded from elsewhere, no script at all. */
function securityHeaders(scope: FastifyInstance): void {
  scope.addHook('onSend', async (_request, reply, payload) => {
    reply.header(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'same-origin');
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
    return payload;
  });
}

function serveStylesheet(scope: FastifyInstance): void {
  let stylesheet: Promise<{ text: string; etag: string }> | undefined;
  scope.get('/assets/console.css', HIDDEN, async (request, reply) => {
    stylesheet ??= readFile(STYLESHEET, 'utf8').then(
      (text) => ({ text, etag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 16)}"` }),
      (error: unknown) => {
        stylesheet = undefined; // read again by the next request
        throw error;
      },
    );
    const { text, etag } = await stylesheet;
    reply.header('ETag', etag).header('Cache-Control', 'public, max-age=300');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('text/css; charset=utf-8').send(text);
  });
}

async function registerPages(pages: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const { db } = options;
  // Imported here, not at the top: only a process that serves the console loads them.
  const [cookie, session, csrf, formbody, view, { Eta }] = await Promise.all([
    import('@fastify/cookie'),
    import('@fastify/session'),
    import('@fastify/csrf-protection'),
    import('@fastify/formbody'),
    import('@fastify/view'),
    import('eta'),
  ]);

  const signer = new LazySessionSigner(
    async () => options.secret ?? sharedSessionSecret(db, newSessionSecret()),
    (secret) => cookie.signerFactory(secret),
  );
  pages.addHook('onRequest', async () => signer.ready());
  await pages.register(cookie.default);
  await pages.register(formbody.default);
  await pages.register(session.default, {
    secret: signer,
    cookieName: CONSOLE_COOKIE,
    store: new ConsoleSessionStore(db, IDLE_SECONDS),
    saveUninitialized: false,
    // Every answer saves the session and sets the cookie again: idle expiry.
    rolling: true,
    cookie: { path: CONSOLE_PREFIX, httpOnly: true, sameSite: 'strict', secure: false, maxAge: IDLE_SECONDS * 1000 },
  });
  // Secure whenever the request came over HTTPS (also through a trusted proxy: request.protocol).
  pages.addHook('onRequest', async (request) => {
    if (request.protocol === 'https') request.session.options({ secure: true });
  });
  await pages.register(csrf.default, { sessionPlugin: '@fastify/session' });
  await pages.register(view.default, {
    engine: { eta: new Eta({ views: TEMPLATES, cache: true }) },
    templates: TEMPLATES,
    production: true,
  });

  // Every state-changing request carries the form's CSRF token (@fastify/csrf-protection answers 403).
  pages.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD') {
      done();
      return;
    }
    pages.csrfProtection(request, reply, done);
  });
  pages.addHook('preHandler', requireSignIn);
  pages.setErrorHandler(answerWithPage);
  pages.setNotFoundHandler(async (request, reply) => {
    reply.code(404);
    return renderPage(request, reply, 'error', {
      title: 'Not found',
      heading: 'Not found',
      text: 'There is no console page at this address.',
    });
  });

  const context: ConsoleContext = {
    db,
    operatorAuthenticator: options.operatorAuthenticator,
    profile: options.profile,
    metrics: options.metrics,
  };
  signInRoutes(pages, context);
  unitRoutes(pages, context);
  deliveryRoutes(pages, context);
  clientRoutes(pages, context);
}

/** Every page but the sign-in form needs a signed-in operator; a page asked for goes to the form first. */
async function requireSignIn(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (request.routeOptions.config?.consolePublic) return undefined;
  const operator = request.session?.operator;
  if (operator) {
    addLogBindings(request.log, { operator });
    return undefined;
  }
  if (request.method === 'GET' || request.method === 'HEAD') {
    return reply.redirect(`${CONSOLE_PREFIX}/sign-in?next=${encodeURIComponent(request.url)}`, 303);
  }
  throw new ConsoleError(401, 'Not signed in', 'Your session has ended. Sign in again, then repeat what you did.');
}

const CSRF_CODES = new Set(['FST_CSRF_MISSING_SECRET', 'FST_CSRF_INVALID_TOKEN']);

/** Errors as pages (the API's error envelope is for the API's clients). */
async function answerWithPage(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const page = pageFor(error, request);
  reply.code(page.statusCode).headers(page.headers);
  return renderPage(request, reply, 'error', { title: page.heading, heading: page.heading, text: page.text });
}

function pageFor(error: FastifyError, request: FastifyRequest): ConsoleError {
  if (error instanceof ConsoleError) return error;
  if (CSRF_CODES.has(error.code)) {
    return new ConsoleError(
      403,
      'Form refused',
      'This form did not come from a page of this console, or the page was older than your session ' +
        '(missing or wrong CSRF token). Go back, reload the page and try again.',
    );
  }
  if (isDatabaseUnavailable(error) || isDatabaseUnavailable(error.cause)) {
    request.log.warn({ err: error }, 'database unavailable');
    return new ConsoleError(503, 'Unavailable', 'The database cannot be reached. Try again in a moment.', {
      'Retry-After': '5',
    });
  }
  const status = error.statusCode;
  if (status === 413) return new ConsoleError(413, 'Too large', 'The form sent too much.');
  if (status === 415) return new ConsoleError(415, 'Not a form', 'The console takes forms only.');
  if (status !== undefined && status >= 400 && status < 500) {
    return new ConsoleError(400, 'Bad request', 'The request could not be read.');
  }
  request.log.error({ err: error }, 'unexpected error');
  return new ConsoleError(500, 'Something went wrong', 'The page could not be shown; the server log says why.');
}
