import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TIMEOUT_MS, expectOk, expectUsageError, osr } from '../support/cli.js';
import { multiConnectionSkipReason } from '../support/database.js';
import { BASE, type Harness, seed, startHarness } from '../support/harness.js';
import { IdentityProvider } from '../support/identity-provider.js';
import { startOsr, waitFor } from '../support/processes.js';

/**
 * `osr oidc add|list|remove` (spec 9.3) as real processes against the database a running app
 * (with a local identity provider stand-in) uses: a change counts from the app's next request.
 */

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] osr oidc as child processes: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('osr oidc', { timeout: CLI_TIMEOUT_MS }, () => {
  let h: Harness;
  let idp: IdentityProvider;
  let url: string;
  const E3 = `${BASE}/billingunits/654321/on-site-roles/data-delivery/00000000-0000-4000-8000-000000000000`;
  /** E3 of an unknown delivery: 404 when the token is accepted, 401 when refused. */
  const statusWith = async (azp: string) =>
    (
      await h.app.inject({
        method: 'GET',
        url: E3,
        headers: { authorization: `Bearer ${await idp.sign({ kid: 'rsa-1', claims: { azp } })}` },
      })
    ).statusCode;

  beforeAll(async () => {
    idp = await IdentityProvider.start();
    await idp.addKey('rsa-1', 'RS256');
    h = await startHarness({ worker: false, oidc: { issuer: idp.issuer, audience: idp.audience } });
    await seed(h, {
      clients: [
        { id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001'] }] },
        { id: 'globex', billingUnits: [] },
      ],
      credentials: [],
    });
    url = h.database.url as string;
  });
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  });

  it('add: the running app accepts the value’s tokens from the next request on; again: unchanged', async () => {
    expect(await statusWith('erp-app')).toBe(401);
    const added = await osr(url, ['oidc', 'add', 'acme', 'erp-app']);
    expectOk(added);
    expect(added.stdout).toBe('created OIDC client erp-app for client acme (read-write)\n');
    expect(await statusWith('erp-app')).toBe(404);
    const again = await osr(url, ['oidc', 'add', 'acme', 'erp-app']);
    expectOk(again);
    expect(again.stdout).toBe('unchanged OIDC client erp-app for client acme (read-write)\n');
  });

  it('add --read-only, and list', async () => {
    const added = await osr(url, ['oidc', 'add', 'acme', 'https://erp.example.com/reader', '--read-only']);
    expectOk(added);
    expect(added.stdout).toBe('created OIDC client https://erp.example.com/reader for client acme (read-only)\n');
    const listed = await osr(url, ['oidc', 'list', 'acme']);
    expectOk(listed);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^claim value\s+access\s+created at$/);
    expect(lines.slice(2).map((line) => line.split(/\s+/).slice(0, 2))).toEqual([
      ['erp-app', 'read-write'],
      ['https://erp.example.com/reader', 'read-only'],
    ]);
    const empty = await osr(url, ['oidc', 'list', 'globex']);
    expectOk(empty);
    expect(empty.stdout.trimEnd().split('\n')).toHaveLength(2); // the header and its rule only
  });

  it('remove: the running app refuses the value’s tokens from the next request on', async () => {
    expect(await statusWith('erp-app')).toBe(404); // remembered by the app
    const removed = await osr(url, ['oidc', 'remove', 'erp-app']);
    expectOk(removed);
    expect(removed.stdout).toBe('removed OIDC client erp-app (was client acme)\n');
    expect(await statusWith('erp-app')).toBe(401);
  });

  it('conflicts and bad arguments: exit 2 with one line saying what is wrong', async () => {
    expectUsageError(
      await osr(url, ['oidc', 'add', 'globex', 'https://erp.example.com/reader']),
      /^osr: OIDC client https:\/\/erp\.example\.com\/reader is already mapped to client acme \(read-only\); to change it, remove it first \(osr oidc remove https:\/\/erp\.example\.com\/reader\)\n$/,
    );
    expectUsageError(
      await osr(url, ['oidc', 'add', 'nobody', 'erp-x']),
      /^osr: unknown client nobody \(add it with: osr client add nobody\)\n$/,
    );
    expectUsageError(await osr(url, ['oidc', 'list', 'nobody']), /^osr: unknown client nobody/);
    expectUsageError(await osr(url, ['oidc', 'remove', 'erp-app']), /^osr: unknown OIDC client erp-app/);
    expectUsageError(
      await osr(url, ['oidc', 'add', 'acme', 'erp app']),
      /^osr: invalid claim value "erp app" \(1 to 256 characters, no spaces or control characters\)\n$/,
    );
    expectUsageError(await osr(url, ['oidc', 'add', 'acme']), /^osr: missing required argument 'claimValue'/);
    expectUsageError(await osr(url, ['oidc']), /^osr: oidc needs a command: add, list, remove/);
  });

  it('osr serve with OSR_OIDC_* accepts the issuer’s tokens over real HTTP (keys from OSR_OIDC_JWKS_URL)', async () => {
    expectOk(await osr(url, ['oidc', 'add', 'acme', 'erp-served']));
    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    const server = startOsr(['serve', '--no-worker'], {
      DATABASE_URL: url,
      PORT: port,
      LOG_LEVEL: 'warn',
      OSR_OIDC_ISSUER: idp.issuer,
      OSR_OIDC_AUDIENCE: idp.audience,
      OSR_OIDC_JWKS_URL: idp.jwksUrl,
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${base}/ready`).catch(() => undefined))?.status === 200, 60_000, 'ready');
      const discoveries = idp.requests.discovery;
      const e3 = async (azp: string) => {
        const authorization = `Bearer ${await idp.sign({ kid: 'rsa-1', claims: { azp } })}`;
        return fetch(`${base}${E3}`, { headers: { authorization } });
      };
      expect((await e3('erp-served')).status).toBe(404);
      const refused = await e3('erp-unmapped');
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe(
        'Basic realm="on-site-roles", Bearer realm="on-site-roles", error="invalid_token"',
      );
      expect(idp.requests.discovery).toBe(discoveries);
    } finally {
      expect(await server.stop('SIGTERM'), server.output()).toBe(0);
    }
  });

  it('osr serve with OSR_OIDC_ISSUER but no OSR_OIDC_AUDIENCE does not start: exit 2, one line', async () => {
    const run = await osr(url, ['serve'], undefined, { OSR_OIDC_ISSUER: idp.issuer, PORT: '0' });
    expectUsageError(
      run,
      /^osr: invalid environment: OSR_OIDC_AUDIENCE is required with OSR_OIDC_ISSUER \(the audience the tokens must carry in "aud"\)\n$/,
    );
  });
});
