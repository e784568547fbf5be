import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChanges } from '../../src/db/repositories/change-feed.js';
import { type ChangeFeedItem, changeFeedPageSchema, encodeFeedCursor } from '../../src/domain/change-feed.js';
import { DEFAULT_PROFILE } from '../../src/domain/process-delivery.js';
import { processNextBatch } from '../../src/worker/apply-delivery.js';
import { basic, getResult, type Harness, postDelivery, seed, startHarness } from '../support/harness.js';
import { delivery, MUSTERMANN, moveInMustermann, useCase1, useCase2, useCase3 } from '../support/spec.js';

/**
 * The change feed as the worker stores it and the repository reads it (spec 10.2): one entry per
 * applied role change of each SUCCESS delivery, in the order the deliveries committed and, within
 * one, the order of its changes; paging with cursors; cursors never handed out refused. The
 * worker's batches are run directly (no worker running), so the order is known.
 */

const BU = '654321';
const AUTH = basic('acme-erp', 'acme-password');
const OPEN = '9999-12-31';

describe('the change feed store', () => {
  let h: Harness;
  const db = () => h.database.handle.db;
  const post = async (ru: string, body: unknown) => {
    const response = await postDelivery(h.app, AUTH, BU, ru, body);
    expect(response.statusCode).toBe(202);
    return response.json().dataDeliveryId as string;
  };
  /** Runs batches until nothing is pending. */
  const drain = async () => {
    while ((await processNextBatch(db(), DEFAULT_PROFILE, 32)).processed.length > 0) {}
  };
  const all = async () => {
    const page = await readChanges(db(), undefined, 1000);
    if (!page) throw new Error('the feed refused no cursor');
    return page.changes;
  };
  /** What an entry says, without its cursor and time. */
  const said = (item: ChangeFeedItem) => {
    const { cursor: _cursor, appliedAt: _appliedAt, ...rest } = item;
    return rest;
  };
  const scor = (from: string, to: string, pmnumber: string) => ({ role: 'S-COR', from, to, partner: { pmnumber } });
  const shown = (partner: typeof MUSTERMANN) => ({
    reference: partner.reference,
    name: partner.name,
    firstname: partner.firstname,
    additionalname: null,
    commercial: partner.commercial,
    email: null,
    taxnumber: null,
    phonenumbers: partner.phonenumbers,
  });
  const partnerOf = (body: ReturnType<typeof useCase1>, pmnumber: string) =>
    shown(
      (body.billingunit.residentialunit.partners as (typeof MUSTERMANN)[]).find(
        (p) => p.reference.pmnumber === pmnumber,
      ) as typeof MUSTERMANN,
    );

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: BU, units: ['0001', '0002', '0003', '0004', '0005'] }] }],
      credentials: [{ clientId: 'acme', username: 'acme-erp', password: 'acme-password' }],
    });
  });
  afterAll(() => h?.close());

  it('is empty at first: no changes, next null', async () => {
    expect(await readChanges(db(), undefined, 100)).toEqual({ changes: [], next: null });
  });

  it('has one entry per applied change, in commit order, each exactly as 10.2 shows it', async () => {
    // Batch 1: the move-ins of units 0001 and 0002 (acceptance order); batch 2: use case 1 of 0001
    // (UPDATE, then INSERT); batch 3: use case 2; batch 4: use case 3 (DELETE). A FAIL adds nothing.
    const moveIn1 = await post('0001', moveInMustermann({ ru: '0001' }));
    const moveIn2 = await post('0002', moveInMustermann({ ru: '0002' }));
    const uc1 = await post('0001', useCase1({ ru: '0001' }));
    const again = await post('0002', moveInMustermann({ ru: '0002' })); // I2: FAIL
    await drain();
    const uc2 = await post('0001', useCase2({ ru: '0001' }));
    await drain();
    const uc3 = await post('0001', useCase3({ ru: '0001' }));
    await drain();
    expect((await getResult(h.app, AUTH, BU, again)).json().status).toBe('FAIL');

    const changes = await all();
    const unit = (ru: string, id: string) => ({
      dataDeliveryId: id,
      client: 'acme',
      billingUnit: BU,
      residentialUnit: ru,
    });
    const uc1Body = useCase1({ ru: '0001' });
    expect(changes.map(said)).toEqual([
      {
        ...unit('0001', moveIn1),
        change: 'INSERT',
        role: 'S-COR',
        before: null,
        after: scor('2018-05-01', OPEN, '12345611'),
        partner: shown(MUSTERMANN),
      },
      {
        ...unit('0002', moveIn2),
        change: 'INSERT',
        role: 'S-COR',
        before: null,
        after: scor('2018-05-01', OPEN, '12345611'),
        partner: shown(MUSTERMANN),
      },
      {
        ...unit('0001', uc1),
        change: 'UPDATE',
        role: 'S-COR',
        before: scor('2018-05-01', OPEN, '12345611'),
        after: scor('2018-05-01', '2022-05-31', '12345611'),
        partner: partnerOf(uc1Body, '12345611'),
      },
      {
        ...unit('0001', uc1),
        change: 'INSERT',
        role: 'S-COR',
        before: null,
        after: scor('2022-06-01', '2022-12-31', '12345612'),
        partner: partnerOf(uc1Body, '12345612'),
      },
      {
        ...unit('0001', uc2),
        change: 'UPDATE',
        role: 'S-COR',
        before: scor('2022-06-01', '2022-12-31', '12345612'),
        after: scor('2022-06-01', '2023-07-31', '12345612'),
        partner: partnerOf(useCase2({ ru: '0001' }), '12345612'),
      },
      {
        ...unit('0001', uc3),
        change: 'DELETE',
        role: 'S-COR',
        before: scor('2022-06-01', '2023-07-31', '12345612'),
        after: null,
        partner: null,
      },
    ]);
    // Members in the order of 10.2's example; appliedAt is the delivery's processedAt (E3).
    expect(Object.keys(changes[0] as object)).toEqual([
      'cursor',
      'dataDeliveryId',
      'client',
      'billingUnit',
      'residentialUnit',
      'appliedAt',
      'change',
      'role',
      'before',
      'after',
      'partner',
    ]);
    expect(Object.keys(changes[0]?.partner ?? {})).toEqual(Object.keys(shown(MUSTERMANN)));
    const result = (await getResult(h.app, AUTH, BU, uc3)).json();
    expect(changes[5]?.appliedAt).toBe(result.processedAt);
    expect(changeFeedPageSchema.parse({ changes, next: changes.at(-1)?.cursor })).toBeTruthy();
  });

  it('pages with limit and next, and next stays the given cursor when nothing follows', async () => {
    const everything = await all();
    const seen: ChangeFeedItem[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await readChanges(db(), after === undefined ? undefined : positionOf(after), 4);
      if (!page) throw new Error('refused a cursor it handed out');
      if (page.changes.length === 0) {
        expect(page.next).toBe(after);
        break;
      }
      expect(page.changes.length).toBeLessThanOrEqual(4);
      expect(page.next).toBe(page.changes.at(-1)?.cursor);
      seen.push(...page.changes);
      after = page.next as string;
    }
    expect(seen).toEqual(everything);
    // every entry's own cursor continues right after it
    const third = everything[2] as ChangeFeedItem;
    expect((await readChanges(db(), positionOf(third.cursor), 1))?.changes).toEqual([everything[3]]);
  });

  it('refuses positions it never handed out: beyond the last entry, and a number no entry got', async () => {
    const last = (await all()).at(-1) as ChangeFeedItem;
    const lastPosition = BigInt(positionOf(last.cursor));
    expect(await readChanges(db(), String(lastPosition + 1n), 10)).toBeUndefined();
    expect(await readChanges(db(), '9223372036854775807', 10)).toBeUndefined();
    // a number taken and never used (as by a transaction that rolled back)
    const { rows } = await sql<{ burnt: string }>`SELECT nextval('change_feed_position') AS burnt`.execute(db());
    await post('0003', moveInMustermann({ ru: '0003' }));
    await drain();
    const burnt = rows[0]?.burnt as string;
    expect(await readChanges(db(), burnt, 10)).toBeUndefined();
    const after = await readChanges(db(), positionOf(last.cursor), 10);
    expect(after?.changes.map((change) => change.residentialUnit)).toEqual(['0003']);
    expect(BigInt(positionOf(after?.changes[0]?.cursor as string))).toBe(BigInt(burnt) + 1n);
  });

  it('a batch stored delivery by delivery after an unexpected failure: the SUCCESSes in the feed, in order, the FAIL not', async () => {
    await sql`
      CREATE FUNCTION osr_test_feed_boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'boom (feed test trigger)';
      END $$;
      CREATE TRIGGER osr_test_feed_boom BEFORE INSERT ON roles FOR EACH ROW
      WHEN (NEW.partner_pmnumber = 'BOOM') EXECUTE FUNCTION osr_test_feed_boom();
    `.execute(db());
    try {
      const before = (await all()).length;
      const moveIn = (ru: string, pmnumber: string) =>
        delivery(
          [{ role: 'S-COR', change: 'INSERT', from: '2020-01-01', partner: { pmnumber } }],
          [{ ...MUSTERMANN, reference: { pmnumber } }],
          { ru },
        );
      const good1 = await post('0004', moveIn('0004', '12345611'));
      // Use case 1 on unit 0002, its INSERT moving in BOOM (whose role the trigger refuses): the
      // UPDATE before it is applied, then rolled back with the delivery.
      const boomed = JSON.parse(JSON.stringify(useCase1({ ru: '0002' }).billingunit).replaceAll('12345612', 'BOOM'));
      const bad = await post('0002', { ...useCase1({ ru: '0002' }), billingunit: boomed });
      const good2 = await post('0005', moveIn('0005', '12345611'));
      const batch = await processNextBatch(db(), DEFAULT_PROFILE, 32);
      expect(String((batch.batchError as Error | undefined)?.message)).toContain('boom (feed test trigger)');
      expect(batch.processed.map((p) => [p.id, p.status])).toEqual([
        [good1, 'SUCCESS'],
        [bad, 'FAIL'],
        [good2, 'SUCCESS'],
      ]);
      const added = (await all()).slice(before);
      expect(added.map((change) => [change.dataDeliveryId, change.change])).toEqual([
        [good1, 'INSERT'],
        [good2, 'INSERT'],
      ]);
    } finally {
      await sql`DROP TRIGGER IF EXISTS osr_test_feed_boom ON roles`.execute(db());
    }
  });

  it('keeps its entries: no delete, no change but the purge’s (partner to null, once)', async () => {
    const first = (await all())[0] as ChangeFeedItem;
    const position = positionOf(first.cursor);
    await expect(sql`DELETE FROM change_feed WHERE position = ${position}::bigint`.execute(db())).rejects.toThrow(
      /append-only/,
    );
    await expect(
      sql`UPDATE change_feed SET role = 'S-BIR', purged_at = now() WHERE position = ${position}::bigint`.execute(db()),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`UPDATE change_feed SET partner = NULL WHERE position = ${position}::bigint`.execute(db()),
    ).rejects.toThrow(/append-only/);
    expect((await all())[0]).toEqual(first);
  });
});

/** The position a cursor names (the tests know the format; clients do not). */
function positionOf(cursor: string): string {
  const [, position] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  expect(encodeFeedCursor(position as string)).toBe(cursor);
  return position as string;
}
