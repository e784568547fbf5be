import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChanges } from '../../src/db/repositories/change-feed.js';
import { CLI_TIMEOUT_MS, expectOk, osr } from '../support/cli.js';
import { multiConnectionSkipReason } from '../support/database.js';
import { basic, deliver, getRoles, type Harness, seed, startHarness } from '../support/harness.js';
import { moveInMustermann, useCase1, useCase2 } from '../support/spec.js';

/**
 * Spec 10.4: `osr purge --older-than <days>` takes the partner data (names, e-mail, phone, tax
 * number) out of change-history and change-feed entries applied more than that many days ago. The
 * change itself stays, the feed then shows `partner: null`, and what E2 shows (the unit's
 * partners and document) is never touched.
 */

const BU = '654321';
const AUTH = basic('acme-erp', 'acme-password');
const DAY_MS = 86_400_000;
const PERSONAL = /Mustermann|Musterfrau|Max|Meike|0176/;

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] osr purge as a child process: ${skipReason}`);

describe.skipIf(Boolean(skipReason))(
  'osr purge and the partner data of history and feed',
  { timeout: CLI_TIMEOUT_MS },
  () => {
    let h: Harness;
    let url: string;
    let oldDelivery: string;
    let recentDelivery: string;
    const db = () => h.database.handle.db;
    const history = (deliveryId: string) =>
      db()
        .selectFrom('change_history')
        .select(['entity', 'change', 'before', 'after', 'purged_at'])
        .where('delivery_id', '=', deliveryId)
        .orderBy('id')
        .execute();
    const feedOf = async (deliveryId: string) =>
      ((await readChanges(db(), undefined, 1000))?.changes ?? []).filter((c) => c.dataDeliveryId === deliveryId);
    const e2 = async () => {
      const response = await getRoles(h.app, AUTH, BU, '0001');
      return { ...response.json(), timestamp: '<now>' };
    };
    const partnersTable = () => db().selectFrom('partners').selectAll().orderBy('pmnumber').execute();
    const purge = async (days: string) => {
      const run = await osr(url, ['purge', '--older-than', days]);
      expectOk(run);
      return run.stdout;
    };

    beforeAll(async () => {
      h = await startHarness();
      url = h.database.url as string;
      await seed(h, {
        clients: [{ id: 'acme', billingUnits: [{ mscnumber: BU, units: ['0001'] }] }],
        credentials: [{ clientId: 'acme', username: 'acme-erp', password: 'acme-password' }],
      });
      oldDelivery = (await deliver(h.app, AUTH, BU, '0001', moveInMustermann())).dataDeliveryId;
      recentDelivery = (await deliver(h.app, AUTH, BU, '0001', useCase1())).dataDeliveryId;
      // The move-in was applied 40 days ago (both tables refuse such a change: their triggers are
      // off for this one transaction).
      await db()
        .transaction()
        .execute(async (trx) => {
          await sql`SET LOCAL session_replication_role = replica`.execute(trx);
          const then = new Date(Date.now() - 40 * DAY_MS);
          await trx
            .updateTable('change_history')
            .set({ changed_at: then })
            .where('delivery_id', '=', oldDelivery)
            .execute();
          await trx
            .updateTable('change_feed')
            .set({ applied_at: then })
            .where('delivery_id', '=', oldDelivery)
            .execute();
        });
    });
    afterAll(() => h?.close());

    it('takes the partner data out of entries older than the retention, keeps the changes, leaves E2 alone', async () => {
      const historyBefore = await history(oldDelivery);
      const recentHistoryBefore = await history(recentDelivery);
      const [oldFeedBefore] = await feedOf(oldDelivery);
      const recentFeedBefore = await feedOf(recentDelivery);
      const e2Before = await e2();
      const partnersBefore = await partnersTable();
      expect(JSON.stringify(historyBefore)).toMatch(PERSONAL);
      expect(oldFeedBefore?.partner?.name).toBe('Mustermann');

      const output = await purge('30');
      expect(output).toMatch(
        /^purged partner data from 1 change-history entries and 1 change-feed entries applied more than 30 days ago \(current roles and partners kept\)$/m,
      );

      // History: the role entry as it was; the partner entry keeps pmnumber and commercial only.
      const historyAfter = await history(oldDelivery);
      expect(historyAfter).toEqual([
        { ...(historyBefore[0] as object), purged_at: null },
        {
          entity: 'partner',
          change: 'INSERT',
          before: null,
          after: { pmnumber: '12345611', commercial: 'NON_COMMERCIAL' },
          purged_at: expect.any(Date),
        },
      ]);
      expect(JSON.stringify(historyAfter)).not.toMatch(PERSONAL);
      // Feed: the same change, partner null.
      expect(await feedOf(oldDelivery)).toEqual([{ ...oldFeedBefore, partner: null }]);
      // Newer entries, E2 and the partners table untouched.
      expect(await history(recentDelivery)).toEqual(recentHistoryBefore);
      expect(await feedOf(recentDelivery)).toEqual(recentFeedBefore);
      expect(await e2()).toEqual(e2Before);
      expect(JSON.stringify(await e2())).toMatch(/Mustermann/);
      expect(await partnersTable()).toEqual(partnersBefore);

      // Once is enough: a second run finds nothing.
      expect(await purge('30')).toMatch(/from 0 change-history entries and 0 change-feed entries/);
    });

    it('--older-than 0 purges every entry applied before now; E2 still shows the current partners', async () => {
      const e2Before = await e2();
      const partnersBefore = await partnersTable();
      // use case 1: two partner entries (Mustermann updated, Musterfrau inserted), two feed entries
      expect(await purge('0')).toMatch(/from 2 change-history entries and 2 change-feed entries/);
      const everything = (await readChanges(db(), undefined, 1000))?.changes ?? [];
      expect(everything.map((change) => [change.change, change.partner])).toEqual([
        ['INSERT', null],
        ['UPDATE', null],
        ['INSERT', null],
      ]);
      expect(everything.map((change) => change.after?.partner.pmnumber)).toEqual(['12345611', '12345611', '12345612']);
      expect(JSON.stringify(await db().selectFrom('change_history').selectAll().execute())).not.toMatch(PERSONAL);
      expect(await e2()).toEqual(e2Before);
      expect(await partnersTable()).toEqual(partnersBefore);
    });

    it('history stays append-only: only taking members out, once, is allowed', async () => {
      const uc2 = (await deliver(h.app, AUTH, BU, '0001', useCase2())).dataDeliveryId;
      const entry = (await history(uc2)).find((e) => e.entity === 'partner');
      const [row] = await db()
        .selectFrom('change_history')
        .select('id')
        .where('delivery_id', '=', uc2)
        .where('entity', '=', 'partner')
        .execute();
      const id = row?.id as string;
      const refused = (statement: ReturnType<typeof sql>) =>
        expect(statement.execute(db())).rejects.toThrow(/append-only/);
      await refused(
        sql`UPDATE change_history SET after = after || '{"note": "x"}', purged_at = now() WHERE id = ${id}`,
      );
      await refused(sql`UPDATE change_history SET change = 'DELETE', purged_at = now() WHERE id = ${id}`);
      await refused(sql`UPDATE change_history SET after = after - 'name' WHERE id = ${id}`); // without purged_at
      await refused(sql`DELETE FROM change_history WHERE id = ${id}`);
      expect((await history(uc2)).find((e) => e.entity === 'partner')).toEqual(entry);
      // the purge's own change, once
      await sql`UPDATE change_history SET after = after - 'name', purged_at = now() WHERE id = ${id}`.execute(db());
      await refused(sql`UPDATE change_history SET after = after - 'firstname', purged_at = now() WHERE id = ${id}`);
    });
  },
);
