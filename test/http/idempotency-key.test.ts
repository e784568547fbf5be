import type { AddressInfo } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_CHANNEL } from '../../src/db/repositories/deliveries.js';
import { DEFAULT_PROFILE } from '../../src/domain/process-delivery.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { expectOk, osr } from '../support/cli.js';
import { multiConnectionSkipReason } from '../support/database.js';
import { awaitResult, BASE, basic, type Harness, postDelivery, seed, startHarness } from '../support/harness.js';
import { rawRequest } from '../support/real-http.js';
import { HTTP_ERROR, moveInMustermann, SCHEMA_KEY } from '../support/spec.js';

/**
 * Spec 9.2, E1 with `Idempotency-Key`: replay, mismatch (path, body), concurrency, keys per client,
 * retention, answers that are not stored, the key's format and the order of decisions.
 */

const skipReason = multiConnectionSkipReason();
if (skipReason) {
  console.warn(
    `[skipped] Idempotency-Key: NOTIFY, osr purge, concurrency and a request held in its store: ${skipReason}`,
  );
}

const BU = '654321';
const AUTH = basic('erp', 'erp-password');
const SECOND = basic('erp-second', 'second-password');
const READER = basic('reader', 'reader-password');
const RIVAL = basic('rival', 'rival-password');
const unitPath = (bu: string, ru: string) => `${BASE}/billingunits/${bu}/residentialunits/${ru}/on-site-roles`;
const body = (ru = '0001') => JSON.stringify(moveInMustermann({ bu: BU, ru }));

/** A body that fails OSR-1002 (section 4). */
function withInvalidEmail(): string {
  const invalid = moveInMustermann({ bu: BU });
  (invalid.billingunit.residentialunit.partners[0] as { email?: string }).email = 'not-an-address';
  return JSON.stringify(invalid);
}

const envelope = (messages: unknown[]) => ({ status: 'FAIL', messages, roleMessages: null, partnerMessages: null });
const REUSED = envelope([HTTP_ERROR.idempotencyKeyReused]);
const IN_PROGRESS = envelope([HTTP_ERROR.idempotencyKeyInProgress]);
const keyError = (message: string) => envelope([{ key: SCHEMA_KEY, message, path: '/headers/idempotency-key' }]);
const MALFORMED = keyError('Idempotency-Key must be 1 to 255 visible ASCII characters (! to ~).');
const TWICE = keyError('Idempotency-Key must be sent at most once.');

describe('E1 with an Idempotency-Key (spec 9.2)', () => {
  let h: Harness;
  let port: number;
  const db = () => h.database.handle.db;
  const deliveryCount = async () =>
    Number((await db().selectFrom('deliveries').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
  const post = (key: string | string[] | undefined, payload = body(), ru = '0001', auth = AUTH, bu = BU) =>
    postDelivery(h.app, auth, bu, ru, payload, key === undefined ? {} : ({ 'idempotency-key': key } as never));
  /** osr_deliveries_accepted_total: counted where E1 wakes the workers. */
  const acceptedTotal = async () => {
    const text = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(/^osr_deliveries_accepted_total (\d+)$/m.exec(text)?.[1]);
  };
  const accepted = (response: LightMyRequestResponse) => {
    expect(response.statusCode, response.body).toBe(202);
    return response.json().dataDeliveryId as string;
  };

  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [
        { id: 'acme', billingUnits: [{ mscnumber: BU, units: ['0001', '0002'] }] },
        { id: 'rival', billingUnits: [{ mscnumber: '777777', units: ['0001'] }] },
      ],
      credentials: [
        { clientId: 'acme', username: 'erp', password: 'erp-password' },
        { clientId: 'acme', username: 'erp-second', password: 'second-password' },
        { clientId: 'acme', username: 'reader', password: 'reader-password', readOnly: true },
        { clientId: 'rival', username: 'rival', password: 'rival-password' },
      ],
    });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    port = (h.app.server.address() as AddressInfo).port;
  });
  afterAll(() => h?.close());

  describe('replay', () => {
    it('the same request again: 202 with the same id and Location, Idempotent-Replayed, nothing new', async () => {
      const first = await post('replay-1');
      const id = accepted(first);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const count = await deliveryCount();
      const acceptedBefore = await acceptedTotal();
      const again = await post('replay-1');
      expect(accepted(again)).toBe(id);
      expect(again.headers.location).toBe(first.headers.location);
      expect(again.headers.location).toBe(`${BASE}/billingunits/${BU}/on-site-roles/data-delivery/${id}`);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await deliveryCount()).toBe(count);
      expect(await acceptedTotal()).toBe(acceptedBefore);
      // also once processed, and with the key in double quotes (the same key), and another query string
      expect((await awaitResult(h.app, AUTH, BU, id)).status).toBe('SUCCESS');
      expect(accepted(await post('"replay-1"'))).toBe(id);
      const withQuery = await h.app.inject({
        method: 'POST',
        url: `${unitPath(BU, '0001')}?attempt=3`,
        headers: { authorization: AUTH, 'content-type': 'application/json', 'idempotency-key': 'replay-1' },
        payload: body(),
      });
      expect(accepted(withQuery)).toBe(id);
      expect(withQuery.headers['idempotent-replayed']).toBe('true');
      expect(await deliveryCount()).toBe(count);
    });

    it('a replay does not wake the workers (no NOTIFY)', { skip: Boolean(skipReason) }, async () => {
      const listener = new pg.Client({ connectionString: h.database.url });
      await listener.connect();
      let notifications = 0;
      listener.on('notification', () => {
        notifications++;
      });
      const seen = async (count: number) => {
        const deadline = Date.now() + 10_000;
        while (notifications < count) {
          if (Date.now() > deadline) throw new Error(`expected ${count} notifications, saw ${notifications}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      try {
        await listener.query(`LISTEN "${DELIVERY_CHANNEL}"`);
        accepted(await post('replay-wake'));
        await seen(1);
        notifications = 0;
        expect((await post('replay-wake')).headers['idempotent-replayed']).toBe('true');
        // A new delivery after it: its NOTIFY is the only one (the replay's would come first).
        accepted(await post(undefined));
        await seen(1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(notifications).toBe(1);
      } finally {
        await listener.end();
      }
    });

    it('keys belong to the client: another credential of the same client gets the replay', async () => {
      const id = accepted(await post('replay-client'));
      const again = await post('replay-client', body(), '0001', SECOND);
      expect(accepted(again)).toBe(id);
      expect(again.headers['idempotent-replayed']).toBe('true');
    });

    it('without a key nothing changes: every POST is a new delivery, nothing is stored as a key', async () => {
      const keys = await db().selectFrom('idempotency_keys').select('key').execute();
      const one = accepted(await post(undefined));
      const two = accepted(await post(undefined));
      expect(one).not.toBe(two);
      expect(await db().selectFrom('idempotency_keys').select('key').execute()).toEqual(keys);
    });
  });

  describe('mismatch: 422 OSR-422, nothing stored', () => {
    it('another path under the key', async () => {
      accepted(await post('mismatch-path'));
      const count = await deliveryCount();
      const other = await post('mismatch-path', body('0002'), '0002');
      expect(other.statusCode).toBe(422);
      expect(other.json()).toEqual(REUSED);
      expect(await deliveryCount()).toBe(count);
    });

    it('another body: other bytes, even of the same JSON', async () => {
      const original = body();
      accepted(await post('mismatch-body', original));
      const count = await deliveryCount();
      for (const payload of [
        JSON.stringify({ ...JSON.parse(original), timestamp: '2022-05-16T10:17:18Z' }),
        JSON.stringify(JSON.parse(original), null, 2),
        `\uFEFF${original}`,
      ]) {
        const other = await post('mismatch-body', payload);
        expect(other.statusCode).toBe(422);
        expect(other.json()).toEqual(REUSED);
      }
      expect(await deliveryCount()).toBe(count);
    });

    it('decided before the body: a body that breaks the schema, is not JSON or fails OSR-1xxx gets 422 too', async () => {
      accepted(await post('mismatch-before-body'));
      const breaksSchema = JSON.stringify({ timestamp: 'yesterday' });
      for (const payload of [breaksSchema, '{"timestamp": ', '', withInvalidEmail()]) {
        const other = await post('mismatch-before-body', payload);
        expect(other.statusCode, payload).toBe(422);
        expect(other.json()).toEqual(REUSED);
      }
    });
  });

  describe('answers other than 202 are not stored under the key', () => {
    it('a 400 (schema, not JSON, OSR-1xxx): the corrected request with the same key is accepted', async () => {
      const first = await post('fix-and-retry', JSON.stringify({ timestamp: 'yesterday' }));
      expect(first.statusCode).toBe(400);
      expect(first.json().messages[0]).toMatchObject({ key: SCHEMA_KEY, path: '/timestamp' });
      const notJson = await post('fix-and-retry', '{"timestamp": ');
      expect(notJson.statusCode).toBe(400);
      expect(notJson.json()).toEqual(
        envelope([{ key: SCHEMA_KEY, message: 'Request body is not valid JSON.', path: '' }]),
      );
      const syncFailure = await post('fix-and-retry', withInvalidEmail());
      expect(syncFailure.statusCode).toBe(400);
      expect(syncFailure.json().partnerMessages[0].key).toBe('OSR-1002');
      expect(await db().selectFrom('idempotency_keys').where('key', '=', 'fix-and-retry').execute()).toEqual([]);
      const fixed = await post('fix-and-retry');
      accepted(fixed);
      expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    });

    it('a 403 (read-only credential)', async () => {
      const refused = await post('read-only-first', body(), '0001', READER);
      expect(refused.statusCode).toBe(403);
      const first = await post('read-only-first');
      accepted(first);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
    });
  });

  describe('keys of different clients never collide', () => {
    it('another client with the same key, even the same path and body, gets a delivery of its own', async () => {
      const mine = accepted(await post('shared-key'));
      const count = await deliveryCount();
      const theirs = await post('shared-key', body(), '0001', RIVAL);
      expect(accepted(theirs)).not.toBe(mine);
      expect(theirs.headers['idempotent-replayed']).toBeUndefined();
      const theirsElsewhere = await post(
        'shared-key',
        JSON.stringify(moveInMustermann({ bu: '777777' })),
        '0001',
        RIVAL,
        '777777',
      );
      expect(theirsElsewhere.statusCode).toBe(422); // their own key, now used for another path
      expect(await deliveryCount()).toBe(count + 1);
      expect(accepted(await post('shared-key'))).toBe(mine);
      expect(accepted(await post('shared-key', body(), '0001', RIVAL))).toBe(theirs.json().dataDeliveryId);
    });
  });

  describe('retention', () => {
    it('a key is kept for 24 hours after the first request (default), then counts as absent', async () => {
      const first = accepted(await post('retention'));
      const row = await db()
        .selectFrom('idempotency_keys')
        .select(sql<string>`extract(epoch from expires_at - created_at)`.as('seconds'))
        .where('key', '=', 'retention')
        .executeTakeFirstOrThrow();
      expect(Number(row.seconds)).toBe(24 * 3600);
      // A replay does not extend it.
      accepted(await post('retention'));
      // 24 hours later (moved back in time here):
      await db()
        .updateTable('idempotency_keys')
        .set({ expires_at: sql`now() - interval '1 second'` })
        .where('key', '=', 'retention')
        .execute();
      const afterwards = await post('retention', body('0002'), '0002');
      const second = accepted(afterwards);
      expect(second).not.toBe(first);
      expect(afterwards.headers['idempotent-replayed']).toBeUndefined();
      // the key now stands for the new request
      expect(accepted(await post('retention', body('0002'), '0002'))).toBe(second);
      expect((await post('retention')).statusCode).toBe(422);
    });

    it('the retention is configurable (OSR_IDEMPOTENCY_RETENTION_HOURS → buildApp)', async () => {
      const app = await buildApp({
        database: h.database.handle,
        logger: createLogger('silent'),
        basePath: BASE,
        profile: DEFAULT_PROFILE,
        requestsPerMinute: 6000,
        idempotencyRetentionHours: 2,
      });
      try {
        accepted(await postDelivery(app, AUTH, BU, '0001', body(), { 'idempotency-key': 'two-hours' }));
      } finally {
        await app.close();
      }
      const row = await db()
        .selectFrom('idempotency_keys')
        .select(sql<string>`extract(epoch from expires_at - created_at)`.as('seconds'))
        .where('key', '=', 'two-hours')
        .executeTakeFirstOrThrow();
      expect(Number(row.seconds)).toBe(2 * 3600);
    });

    it('`osr purge` deletes expired keys and keeps the others', {
      skip: Boolean(skipReason),
    }, async () => {
      accepted(await post('purge-expired'));
      accepted(await post('purge-kept'));
      await db()
        .updateTable('idempotency_keys')
        .set({ expires_at: sql`now() - interval '1 second'` })
        .where('key', '=', 'purge-expired')
        .execute();
      const run = await osr(h.database.url as string, ['purge', '--older-than', '30']);
      expectOk(run);
      expect(run.stdout).toMatch(/^deleted 1 expired idempotency keys$/m);
      const keys = (await db().selectFrom('idempotency_keys').select('key').execute()).map((row) => row.key);
      expect(keys).toContain('purge-kept');
      expect(keys).not.toContain('purge-expired');
    });
  });

  describe('the key’s format and the order of decisions', () => {
    it.each([
      ['empty', ''],
      ['empty in quotes', '""'],
      ['256 characters', 'k'.repeat(256)],
      ['with a space', 'my key'],
      ['non-ASCII', 'schlüssel'],
    ])('%s: 400 OSR-SCHEMA at /headers/idempotency-key, nothing stored', async (_what, key) => {
      const count = await deliveryCount();
      const response = await post(key);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual(MALFORMED);
      expect(await deliveryCount()).toBe(count);
    });

    it('255 characters `!` to `~` are a key', async () => {
      const key = Array.from({ length: 255 }, (_, i) => String.fromCharCode(0x21 + (i % 94))).join('');
      const id = accepted(await post(key));
      expect(accepted(await post(`"${key}"`))).toBe(id);
    });

    it('sent twice (app.inject): 400, even with the same value', async () => {
      for (const values of [
        ['twice', 'twice'],
        ['twice-a', 'twice-b'],
      ]) {
        const response = await post(values);
        expect(response.statusCode).toBe(400);
        expect(response.json()).toEqual(TWICE);
      }
    });

    it('sent twice on the wire: 400 (Node would join the two values)', async () => {
      const payload = body();
      const answer = await rawRequest(
        port,
        `POST ${unitPath(BU, '0001')} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\n` +
          'Content-Type: application/json\r\nIdempotency-Key: wire\r\nIdempotency-Key: wire\r\n' +
          `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
      );
      expect(answer.statusLine).toBe('HTTP/1.1 400 Bad Request');
      expect(answer.body).toEqual(TWICE);
    });

    it('authentication and authorisation come first (401, 403), then the key, then the body', async () => {
      const noAuth = await h.app.inject({
        method: 'POST',
        url: unitPath(BU, '0001'),
        headers: { 'content-type': 'application/json', 'idempotency-key': '' },
        payload: '{',
      });
      expect(noAuth.statusCode).toBe(401);
      expect((await post('', '{', '0001', basic('erp', 'wrong'))).statusCode).toBe(401);
      expect((await post('', '{', '0001', READER)).statusCode).toBe(403);
      // a malformed key and a body that is not JSON: the key is reported, only the key
      const both = await post('bad key', '{');
      expect(both.statusCode).toBe(400);
      expect(both.json()).toEqual(MALFORMED);
    });

    it('a revoked credential gets 401, not the replay', async () => {
      accepted(await post('revoked', body(), '0001', SECOND));
      await db()
        .updateTable('credentials')
        .set({ revoked_at: new Date() })
        .where('username', '=', 'erp-second')
        .execute();
      expect((await post('revoked', body(), '0001', SECOND)).statusCode).toBe(401);
      expect(accepted(await post('revoked'))).toBeDefined();
    });
  });

  describe('concurrent requests with the same key', { skip: Boolean(skipReason) }, () => {
    it('50 identical requests at once over HTTP: exactly one delivery; each answer its 202 or 409', async () => {
      const count = await deliveryCount();
      const payload = body('0002');
      const answers = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const response = await fetch(`http://127.0.0.1:${port}${unitPath(BU, '0002')}`, {
            method: 'POST',
            headers: { authorization: AUTH, 'content-type': 'application/json', 'idempotency-key': 'fifty' },
            body: payload,
          });
          return {
            status: response.status,
            replayed: response.headers.get('idempotent-replayed'),
            body: await response.json(),
          };
        }),
      );
      expect(await deliveryCount()).toBe(count + 1);
      const stored = await db()
        .selectFrom('idempotency_keys')
        .select('delivery_id')
        .where('key', '=', 'fifty')
        .execute();
      expect(stored).toHaveLength(1);
      const id = stored[0]?.delivery_id;
      const fresh = answers.filter((answer) => answer.status === 202 && answer.replayed === null);
      expect(fresh).toHaveLength(1);
      for (const answer of answers) {
        if (answer.status === 202) expect(answer.body).toEqual({ dataDeliveryId: id });
        else expect(answer).toMatchObject({ status: 409, body: IN_PROGRESS });
      }
      const statuses = answers.map((answer) => answer.status);
      console.info(
        `[9.2] 50 at once: ${statuses.filter((s) => s === 202).length} × 202 (1 new), ${statuses.filter((s) => s === 409).length} × 409`,
      );
      // and afterwards, the replay
      expect(accepted(await post('fifty', payload, '0002'))).toBe(id);
    });

    it('while the first request is still being stored, the same key gets 409 at once; then the replay', async () => {
      // Hold the deliveries table from another connection: the first request waits inside its store.
      const blocker = new pg.Client({ connectionString: h.database.url });
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE deliveries IN EXCLUSIVE MODE');
        const first = post('in-progress');
        await waitForBlockedStore(db());
        const second = await post('in-progress');
        expect(second.statusCode).toBe(409);
        expect(second.json()).toEqual(IN_PROGRESS);
        const otherBody = await post('in-progress', body('0002'), '0002');
        expect(otherBody.statusCode).toBe(409);
        await blocker.query('COMMIT');
        const id = accepted(await first);
        expect(accepted(await post('in-progress'))).toBe(id);
        expect((await post('in-progress', body('0002'), '0002')).statusCode).toBe(422);
      } finally {
        await blocker.end();
      }
    });
  });
});

/**
 * Waits until a request's store (E1 with a key) waits for a lock in this test's database (the
 * worker's claim may wait too). Asked from outside the blocking transaction: within one,
 * pg_stat_activity would show the same snapshot every time.
 */
async function waitForBlockedStore(db: Harness['database']['handle']['db']): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%osr_accept_with_key%'`.execute(
      db,
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error('no request waited while storing its delivery');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
