import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, Session } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password.js';
import { parseTrustProxy } from '../../src/config.js';
import { ConsoleSessionStore, operatorDigest, sessionIdHash } from '../../src/console/session-store.js';
import { revokeOperator, rotateOperator } from '../../src/db/repositories/operators.js';
import { DEFAULT_PROFILE } from '../../src/domain/process-delivery.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import {
  BASE,
  basic,
  deliver,
  getRoles,
  type Harness,
  postDelivery,
  seed,
  seedOperators,
  startHarness,
} from '../support/harness.js';
import { BU, MESSAGE, moveInMustermann, RU, useCase1, useCase2, useCase3 } from '../support/spec.js';

/**
 * The support console (spec 10.5) over plain HTTP on a real port, as a browser without script
 * would use it: its cookie flags and idle expiry, the sessions in the database (shared by several
 * server processes), CSRF protection of every form, read-only operators, revoking a credential,
 * and its separation from the clients' credentials and from /msc/v1.
 */

const CLIENT_PASSWORD = 'erp-secret-123';
const OPS_PASSWORD = 'support-secret-123';
const READER_PASSWORD = 'reader-secret-123';
const EIGHT_HOURS_MS = 8 * 3600 * 1000;

interface Answer {
  status: number;
  location: string | null;
  setCookies: string[];
  headers: Headers;
  text: string;
}

/** A browser without script: one cookie jar (the console's cookie), forms posted as a browser posts them. */
class Visitor {
  cookie: string | undefined;
  lastPage = '';
  constructor(
    private readonly base: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async request(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...this.headers,
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    const answer: Answer = {
      status: response.status,
      location: response.headers.get('location'),
      setCookies: response.headers.getSetCookie(),
      headers: response.headers,
      text: await response.text(),
    };
    for (const setCookie of answer.setCookies) {
      const [pair = ''] = setCookie.split(';');
      const value = pair.slice(pair.indexOf('=') + 1);
      if (pair.startsWith('osr_console=')) this.cookie = value ? `osr_console=${value}` : undefined;
    }
    if (answer.headers.get('content-type')?.startsWith('text/html')) this.lastPage = answer.text;
    return answer;
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, undefined, headers);

  /** Posts a form with the CSRF token of the page read last (as the page's own form would). */
  post = (path: string, fields: Record<string, string>, { withToken = true } = {}) =>
    this.request('POST', path, withToken ? { _csrf: csrfOf(this.lastPage), ...fields } : fields);

  async signIn(name: string, password: string, next = '') {
    await this.get(`/console/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    return this.post('/console/sign-in', { name, password, next: next || '/console' });
  }
}

const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const sessionIdOf = (cookie: string | undefined): string => {
  const signed = decodeURIComponent(cookie?.slice('osr_console='.length) ?? '');
  return signed.slice(0, signed.lastIndexOf('.'));
};
const attributes = (setCookie: string) => setCookie.split(';').map((part) => part.trim());

describe('the support console over HTTP', { timeout: 60_000 }, () => {
  let h: Harness;
  let base: string;
  const client = basic('acme-erp', CLIENT_PASSWORD);

  beforeAll(async () => {
    h = await startHarness({ trustProxy: parseTrustProxy('127.0.0.1') });
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: BU, units: [RU, '0002', '0003'] }] }],
      credentials: [
        { clientId: 'acme', username: 'acme-erp', password: CLIENT_PASSWORD },
        { clientId: 'acme', username: 'acme-leaked', password: 'leaked-secret-123' },
      ],
    });
    await seedOperators(h, [
      { name: 'support', password: OPS_PASSWORD },
      { name: 'reader', password: READER_PASSWORD, readOnly: true },
      { name: 'leaver', password: 'leaver-secret-123' },
      { name: 'rotator', password: 'rotator-secret-123' },
      { name: 'guesser', password: 'guesser-secret-123' },
    ]);
    for (const body of [moveInMustermann(), useCase1(), useCase2(), useCase3()]) {
      expect((await deliver(h.app, client, BU, RU, body)).status).toBe('SUCCESS');
    }
    expect((await deliver(h.app, client, BU, RU, useCase3())).status).toBe('FAIL');
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends a page asked for without a session to the sign-in form, and stores no session for that', async () => {
    const visitor = new Visitor(base);
    const answer = await visitor.get('/console/units/654321/0001');
    expect(answer.status).toBe(303);
    expect(answer.location).toBe('/console/sign-in?next=%2Fconsole%2Funits%2F654321%2F0001');
    expect(answer.setCookies).toEqual([]);
    expect(answer.headers.get('x-request-id')).toBeTruthy();
  });

  it('signs in through the form: HttpOnly, SameSite=Strict, path /console, not Secure over plain HTTP, 8 h', async () => {
    const visitor = new Visitor(base);
    const form = await visitor.get('/console/sign-in?next=%2Fconsole%2Fclients');
    expect(form.status).toBe(200);
    expect(form.text).toContain('<label for="password">Password</label>');
    const signedIn = await visitor.post('/console/sign-in', {
      name: 'support',
      password: OPS_PASSWORD,
      next: '/console/clients',
    });
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/console/clients');
    const [cookie] = signedIn.setCookies;
    const parts = attributes(cookie ?? '');
    expect(parts).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/console']));
    expect(parts.some((part) => part.toLowerCase() === 'secure')).toBe(false);
    const expires = Date.parse(parts.find((part) => part.startsWith('Expires='))?.slice(8) ?? '');
    expect(Math.abs(expires - (Date.now() + EIGHT_HOURS_MS))).toBeLessThan(5 * 60_000);
    const page = await visitor.get('/console/clients');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signed in as <strong>support</strong>');
    // a new session id at sign-in: the one of the sign-in form is not carried over
    expect(sessionIdOf(visitor.cookie)).not.toBe(sessionIdOf(form.setCookies[0]?.split(';')[0]));
  });

  it('marks the cookie Secure when the request came over HTTPS through a trusted proxy', async () => {
    const visitor = new Visitor(base, { 'x-forwarded-proto': 'https' });
    const signedIn = await visitor.signIn('support', OPS_PASSWORD);
    expect(signedIn.status).toBe(303);
    const parts = attributes(signedIn.setCookies[0] ?? '');
    expect(parts).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Strict']));
  });

  it('refuses a wrong password and every client credential with 401, and starts no signed-in session', async () => {
    const visitor = new Visitor(base);
    const wrong = await visitor.signIn('support', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Sign-in failed: unknown operator or wrong password.');
    const asClient = await visitor.signIn('acme-erp', CLIENT_PASSWORD);
    expect(asClient.status).toBe(401);
    expect((await visitor.get('/console/clients')).status).toBe(303);
    // the client's credential is not touched by that: it still works on E2
    expect((await getRoles(h.app, client, BU, RU)).statusCode).toBe(200);
  });

  it('counts failed sign-ins with the operators of /msc/v1: 10 wrong passwords, then 429 there too', async () => {
    const visitor = new Visitor(base, { 'x-forwarded-for': '10.9.9.9' });
    for (let attempt = 0; attempt < 10; attempt++) {
      expect((await visitor.signIn('guesser', `wrong-${attempt}`)).status).toBe(401);
    }
    const throttled = await visitor.signIn('guesser', 'guesser-secret-123');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(throttled.text).toContain('Too many failed sign-ins.');
    const msc = await fetch(`${base}/msc/v1/uvi-recipients?month=2024-02`, {
      headers: { authorization: basic('guesser', 'guesser-secret-123'), 'x-forwarded-for': '10.9.9.10' },
    });
    expect(msc.status).toBe(429);
  });

  it('refuses every form without the CSRF token, or with a wrong one (403), and changes nothing', async () => {
    const anonymous = new Visitor(base);
    await anonymous.get('/console/sign-in');
    const noToken = await anonymous.post(
      '/console/sign-in',
      { name: 'support', password: OPS_PASSWORD },
      { withToken: false },
    );
    expect(noToken.status).toBe(403);
    expect(noToken.text).toContain('CSRF token');
    const visitor = new Visitor(base);
    await visitor.signIn('support', OPS_PASSWORD);
    await visitor.get('/console/clients/acme/credentials/acme-leaked/revoke');
    const forged = await visitor.request('POST', '/console/clients/acme/credentials/acme-leaked/revoke', {
      _csrf: 'forged-token',
    });
    expect(forged.status).toBe(403);
    const missing = await visitor.post(
      '/console/clients/acme/credentials/acme-leaked/revoke',
      {},
      { withToken: false },
    );
    expect(missing.status).toBe(403);
    const signOut = await visitor.post('/console/sign-out', {}, { withToken: false });
    expect(signOut.status).toBe(403);
    expect((await visitor.get('/console/clients')).status).toBe(200); // still signed in
    const row = await h.database.handle.db
      .selectFrom('credentials')
      .select('revoked_at')
      .where('username', '=', 'acme-leaked')
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).toBeNull();
  });

  it('keeps only a hash of the session id; every request moves the idle expiry 8 h ahead; idle past it, it has ended', async () => {
    const { db } = h.database.handle;
    const visitor = new Visitor(base);
    await visitor.signIn('support', OPS_PASSWORD);
    const sessionId = sessionIdOf(visitor.cookie);
    const idHash = createHash('sha256').update(sessionId).digest('hex');
    const row = await db.selectFrom('console_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    expect(row?.operator).toBe('support');
    const stored = JSON.stringify(await db.selectFrom('console_sessions').selectAll().execute());
    expect(stored).not.toContain(sessionId);

    await sql`UPDATE console_sessions SET expires_at = now() + interval '1 hour' WHERE id_hash = ${idHash}`.execute(db);
    const again = await visitor.get('/console/units');
    expect(again.status).toBe(200);
    expect(again.setCookies).toHaveLength(1); // rolling: the cookie is set again
    const moved = await db
      .selectFrom('console_sessions')
      .select('expires_at')
      .where('id_hash', '=', idHash)
      .executeTakeFirstOrThrow();
    expect(Math.abs(new Date(moved.expires_at).getTime() - (Date.now() + EIGHT_HOURS_MS))).toBeLessThan(5 * 60_000);

    await sql`UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE id_hash = ${idHash}`.execute(
      db,
    );
    const idle = await visitor.get('/console/units');
    expect(idle.status).toBe(303);
    expect(idle.location).toContain('/console/sign-in');
  });

  it('never brings back a session that ended while a request of it was under way', async () => {
    const { db } = h.database.handle;
    const store = new ConsoleSessionStore(db, 8 * 3600);
    const call = <T>(run: (done: (error?: unknown, value?: T) => void) => void) =>
      new Promise<T | undefined>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));
    const digest = operatorDigest(
      (await db.selectFrom('operators').select('password_hash').where('name', '=', 'support').executeTakeFirstOrThrow())
        .password_hash,
    );
    const fresh = { cookie: {}, operator: 'support', operatorDigest: digest, flash: 'hello' } as unknown as Session;
    await call((done) => store.set('a-session-id', fresh, done));
    const read = await call<Session | null>((done) => store.get('a-session-id', done));
    expect(read).toMatchObject({ operator: 'support', readOnly: false, flash: 'hello' });
    await call((done) => store.destroy('a-session-id', done)); // signed out in another tab
    await call((done) => store.set('a-session-id', read as Session, done)); // the request under way ends
    expect(await call((done) => store.get('a-session-id', done))).toBeNull();
    expect(
      await db
        .selectFrom('console_sessions')
        .selectAll()
        .where('id_hash', '=', sessionIdHash('a-session-id'))
        .execute(),
    ).toEqual([]);
  });

  it('ends the session at sign-out: the cookie is cleared, and the old cookie gets nowhere', async () => {
    const visitor = new Visitor(base);
    await visitor.signIn('support', OPS_PASSWORD);
    const oldCookie = visitor.cookie;
    await visitor.get('/console/units');
    const signedOut = await visitor.post('/console/sign-out', {});
    expect(signedOut.status).toBe(303);
    expect(signedOut.location).toBe('/console/sign-in?signedOut=1');
    expect(visitor.cookie).toBeUndefined();
    expect((await visitor.get('/console/sign-in?signedOut=1')).text).toContain('You are signed out.');
    const replay = new Visitor(base);
    replay.cookie = oldCookie;
    expect((await replay.get('/console/units')).status).toBe(303);
  });

  it("ends a revoked or rotated operator's session at its next request", async () => {
    const { db } = h.database.handle;
    const leaver = new Visitor(base);
    await leaver.signIn('leaver', 'leaver-secret-123');
    expect((await leaver.get('/console/units')).status).toBe(200);
    await revokeOperator(db, 'leaver');
    expect((await leaver.get('/console/units')).status).toBe(303);
    expect((await leaver.signIn('leaver', 'leaver-secret-123')).status).toBe(401);

    const rotator = new Visitor(base);
    await rotator.signIn('rotator', 'rotator-secret-123');
    expect((await rotator.get('/console/units')).status).toBe(200);
    h.logs.remember('rotator-secret-456');
    await rotateOperator(db, 'rotator', await hashPassword('rotator-secret-456'));
    expect((await rotator.get('/console/units')).status).toBe(303);
    expect((await rotator.signIn('rotator', 'rotator-secret-123')).status).toBe(401);
    expect((await rotator.signIn('rotator', 'rotator-secret-456')).status).toBe(303);
  });

  it('shows a read-only operator everything but no revoke button; a revoke asked for anyway is 403', async () => {
    const reader = new Visitor(base);
    expect((await reader.signIn('reader', READER_PASSWORD)).status).toBe(303);
    const page = await reader.get('/console/clients/acme');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signed in as <strong>reader</strong> (read-only)');
    expect(page.text).toContain('acme-leaked');
    expect(page.text).not.toContain('/revoke');
    expect((await reader.get('/console/clients/acme/credentials/acme-leaked/revoke')).status).toBe(403);
    // a forged form, with the reader's own valid token
    const forged = await reader.post('/console/clients/acme/credentials/acme-leaked/revoke', {});
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('Read-only operators cannot revoke credentials.');
    expect((await getRoles(h.app, basic('acme-leaked', 'leaked-secret-123'), BU, RU)).statusCode).toBe(200);
  });

  it('revokes a credential after confirmation, as `osr credential revoke` does: the API refuses it at once', async () => {
    const leaked = basic('acme-leaked', 'leaked-secret-123');
    expect((await getRoles(h.app, leaked, BU, RU)).statusCode).toBe(200); // remembered by the authenticator now
    const visitor = new Visitor(base);
    await visitor.signIn('support', OPS_PASSWORD);
    const clientPage = await visitor.get('/console/clients/acme');
    expect(clientPage.text).toContain('href="/console/clients/acme/credentials/acme-leaked/revoke"');
    const confirm = await visitor.get('/console/clients/acme/credentials/acme-leaked/revoke');
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Revoke credential acme-leaked?');
    const revoked = await visitor.post('/console/clients/acme/credentials/acme-leaked/revoke', {});
    expect(revoked.status).toBe(303);
    expect(revoked.location).toBe('/console/clients/acme');
    const after = await visitor.get('/console/clients/acme');
    expect(after.text).toContain('Credential acme-leaked is revoked: every server refuses it from now on.');
    expect(after.text).toMatch(/<tr data-credential="acme-leaked">[\s\S]*?revoked \d{4}-/);
    expect((await getRoles(h.app, leaked, BU, RU)).statusCode).toBe(401);
    expect((await postDelivery(h.app, leaked, BU, RU, useCase1())).statusCode).toBe(401);
    // the other credential of the client is untouched
    expect((await getRoles(h.app, client, BU, RU)).statusCode).toBe(200);
  });

  it('keeps the console and the API apart: no Authorization header signs in here, the cookie counts nowhere else', async () => {
    for (const authorization of [client, basic('support', OPS_PASSWORD), 'Bearer some.token.value']) {
      const answer = await fetch(`${base}/console/units`, { headers: { authorization }, redirect: 'manual' });
      expect(answer.status).toBe(303);
      expect(answer.headers.get('location')).toContain('/console/sign-in');
    }
    const visitor = new Visitor(base);
    await visitor.signIn('support', OPS_PASSWORD);
    const cookie = visitor.cookie ?? '';
    const msc = await fetch(`${base}/msc/v1/uvi-recipients?month=2024-02`, { headers: { cookie } });
    expect(msc.status).toBe(401);
    expect(msc.headers.get('www-authenticate')).toBe('Basic realm="on-site-roles-msc"');
    const e2 = await fetch(`${base}${BASE}/billingunits/${BU}/residentialunits/${RU}/on-site-roles`, {
      headers: { cookie },
    });
    expect(e2.status).toBe(401);
  });

  it('shows the unit: its timeline as bars, partners, history and deliveries with their messages', async () => {
    const visitor = new Visitor(base);
    await visitor.signIn('support', OPS_PASSWORD);
    const found = await visitor.get('/console/units?billingUnit=654321&residentialUnit=0001');
    expect(found.status).toBe(303);
    expect(found.location).toBe('/console/units/654321/0001');
    const page = await visitor.get('/console/units/654321/0001');
    expect(page.status).toBe(200);
    // the wide chart (the narrow one, for phones, shows the same bars)
    const wide = page.text.slice(page.text.indexOf('chart-wide'), page.text.indexOf('chart-narrow'));
    const bars = [
      ...wide.matchAll(
        /<g class="bar[^"]*" data-role="([^"]*)" data-from="([^"]*)" data-to="([^"]*)" data-partner="([^"]*)" data-name="([^"]*)">/g,
      ),
    ].map((match) => match.slice(1));
    expect(bars).toEqual([['S-COR', '2018-05-01', '2022-05-31', '12345611', 'Mustermann, Max']]);
    expect(page.text).toMatch(/<g class="gap" data-from="2022-06-01" data-to="\d{4}-\d{2}-\d{2}">/);
    expect(page.text).toContain('Musterfrau, Meike'); // a partner of the history
    expect(page.text).toContain('role DELETE');
    expect(page.text).toContain(MESSAGE.X1.message);
    // what was delivered is shown as text, never as markup
    const markup = moveInMustermann({ ru: '0003' }) as {
      billingunit: { residentialunit: { partners: { name: string }[] } };
    };
    const [partner] = markup.billingunit.residentialunit.partners;
    if (partner) partner.name = '<img src=x onerror=alert(1)>';
    expect((await deliver(h.app, client, BU, '0003', markup)).status).toBe('SUCCESS');
    const escaped = await visitor.get('/console/units/654321/0003');
    expect(escaped.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(escaped.text).not.toContain('<img');
    // a billing unit alone lists its units
    const listing = await visitor.get('/console/units?billingUnit=654321');
    expect(listing.text).toContain('href="/console/units/654321/0002"');
    expect((await visitor.get('/console/units?billingUnit=654321&residentialUnit=0009')).status).toBe(404);
    const invalid = await visitor.get('/console/units?billingUnit=12&residentialUnit=0001');
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('aria-invalid="true"');
  });

  it('lists deliveries by status, client, unit and day, page by page, each with its messages and body', async () => {
    const visitor = new Visitor(base);
    await visitor.signIn('support', OPS_PASSWORD);
    const failed = await visitor.get('/console/deliveries?status=FAIL&client=acme&billingUnit=654321');
    expect(failed.status).toBe(200);
    const ids = [...failed.text.matchAll(/href="\/console\/deliveries\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(ids).toHaveLength(1);
    const detail = await visitor.get(`/console/deliveries/${ids[0]}`);
    expect(detail.text).toContain(MESSAGE.X1.message);
    expect(detail.text).toContain('&quot;change&quot;: &quot;DELETE&quot;');
    expect((await visitor.get('/console/deliveries/00000000-0000-4000-8000-000000000000')).status).toBe(404);

    const today = new Date().toISOString().slice(0, 10);
    const all = await visitor.get(`/console/deliveries?residentialUnit=0001&from=${today}&to=${today}`);
    expect([...all.text.matchAll(/<tr>\s*<td class="nowrap">/g)]).toHaveLength(5);
    expect((await visitor.get('/console/deliveries?to=2000-01-01')).text).toContain('No deliveries match.');
    const wrong = await visitor.get('/console/deliveries?billingUnit=1&from=2023-02-30');
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('id="billingUnit-error"');
    expect(wrong.text).toContain('id="from-error"');

    // 51 more deliveries: two pages
    for (let i = 0; i < 51; i++) await postDelivery(h.app, client, BU, '0002', moveInMustermann({ ru: '0002' }));
    const first = await visitor.get('/console/deliveries?residentialUnit=0002');
    const older = /href="([^"]+)" rel="next"/.exec(first.text)?.[1]?.replaceAll('&amp;', '&');
    expect(older).toMatch(/^\/console\/deliveries\?residentialUnit=0002&older=\d+$/);
    expect([...first.text.matchAll(/href="\/console\/deliveries\/[0-9a-f-]{36}"/g)]).toHaveLength(50);
    const second = await visitor.get(older ?? '');
    expect([...second.text.matchAll(/href="\/console\/deliveries\/[0-9a-f-]{36}"/g)]).toHaveLength(1);
    expect(second.text).not.toContain('rel="next"');
    const newer = /href="([^"]+)" rel="prev"/.exec(second.text)?.[1]?.replaceAll('&amp;', '&');
    const back = await visitor.get(newer ?? '');
    expect([...back.text.matchAll(/href="\/console\/deliveries\/[0-9a-f-]{36}"/g)]).toHaveLength(50);
  });

  it('answers with pages that are never cached, framed or scripted, and stays out of the OpenAPI document', async () => {
    const visitor = new Visitor(base);
    await visitor.signIn('support', OPS_PASSWORD);
    const page = await visitor.get('/console/clients');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.text).not.toContain('<script');
    const css = await fetch(`${base}/console/assets/console.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const missing = await visitor.get('/console/no-such-page');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('There is no console page at this address.');
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/console'))).toEqual([]);
  });

  describe('several server processes on one database', () => {
    const apps: FastifyInstance[] = [];
    const listen = async (consoleSecret?: string) => {
      const app = await buildApp({
        database: h.database.handle,
        logger: createLogger('silent'),
        basePath: BASE,
        profile: DEFAULT_PROFILE,
        requestsPerMinute: 6000,
        pressure: false,
        ...(consoleSecret ? { consoleSecret } : {}),
      });
      apps.push(app);
      await app.listen({ port: 0, host: '127.0.0.1' });
      return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    };
    afterAll(async () => {
      for (const app of apps) await app.close();
    });

    it('share the sessions and the generated secret; OSR_CONSOLE_SECRET replaces it', async () => {
      const other = await listen();
      const visitor = new Visitor(base);
      await visitor.signIn('support', OPS_PASSWORD);
      const elsewhere = new Visitor(other);
      elsewhere.cookie = visitor.cookie;
      expect((await elsewhere.get('/console/units')).status).toBe(200);
      const settings = await h.database.handle.db.selectFrom('console_settings').selectAll().execute();
      expect(settings).toHaveLength(1);
      expect(settings[0]?.session_secret.length).toBeGreaterThanOrEqual(32);

      const ownSecret = await listen('a-console-secret-of-at-least-32-characters');
      const withOwnSecret = new Visitor(ownSecret);
      withOwnSecret.cookie = visitor.cookie;
      expect((await withOwnSecret.get('/console/units')).status).toBe(303);
      expect((await withOwnSecret.signIn('support', OPS_PASSWORD)).status).toBe(303);
      expect((await withOwnSecret.get('/console/units')).status).toBe(200);
    });
  });
});
