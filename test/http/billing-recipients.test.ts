import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileNamed } from '../../src/domain/profiles.js';
import { basic, deliver, getRoles, type Harness, seed, startHarness } from '../support/harness.js';
import { delivery, KALO, type LooseRole, MESSAGE, plainMessage, roleEcho } from '../support/spec.js';

/**
 * The `arge` profile over HTTP, through the real worker on PostgreSQL (spec section 8): each
 * message of 8.3/8.4 comes from the input the spec describes, with its echo, and a FAIL changes
 * nothing (E2 and the history are identical before and after). The pure rules have a unit test
 * per row (test/unit/billing-recipient-rules.test.ts); these are the same rows end to end.
 */
const AUTH = basic('acme-erp', 'acme-password');
const BU = '654321';
const TENANT = 'T1';
const OWNER = 'O1';
const partner = (pmnumber: string, name: string) => ({
  reference: { pmnumber },
  name,
  firstname: 'Max',
  commercial: 'NON_COMMERCIAL',
});
const PARTNERS = [partner(TENANT, 'Mieter'), partner(OWNER, 'Eigentümer')];
const role = (change: string, type: string, from: string, to: string | undefined, pmnumber: string): LooseRole => ({
  change,
  role: type,
  from,
  ...(to === undefined ? {} : { to }),
  partner: { pmnumber },
});
/** The tenant is billing recipient since 2020 (open), in each test's own unit. */
const TENANT_SINCE_2020 = role('INSERT', 'S-BIR', '2020-01-01', undefined, TENANT);

describe('billing recipients S-BIR / S-BVA (OSR_PROFILE=arge)', () => {
  let h: Harness;
  let next = 1;
  const freshUnit = async () => {
    const ru = String(next++).padStart(4, '0');
    const first = await deliver(h.app, AUTH, BU, ru, delivery([TENANT_SINCE_2020], PARTNERS, { ru }));
    expect(first.status).toBe('SUCCESS');
    return ru;
  };
  const state = async (ru: string) => ({
    roles: (await getRoles(h.app, AUTH, BU, ru)).json().billingunit.residentialunit,
    history: (await sql<{ n: number }>`SELECT count(*)::int AS n FROM change_history`.execute(h.database.handle.db))
      .rows[0]?.n,
  });
  /** Delivers, expects FAIL with exactly these lists, and that nothing changed. */
  const expectFail = async (ru: string, roles: LooseRole[], expected: Record<string, unknown>) => {
    const before = await state(ru);
    const result = await deliver(h.app, AUTH, BU, ru, delivery(roles, PARTNERS, { ru }));
    expect(result).toMatchObject({ status: 'FAIL', partnerMessages: null, ...expected });
    const after = await state(ru);
    expect({ ...after.roles, timestamp: undefined }).toEqual({ ...before.roles, timestamp: undefined });
    expect(after.history).toBe(before.history);
  };

  beforeAll(async () => {
    h = await startHarness({ profile: profileNamed('arge') });
    await seed(h, {
      clients: [
        {
          id: 'acme',
          billingUnits: [
            {
              mscnumber: BU,
              contracts: ['S-COR', 'S-BIR', 'S-BVA'],
              units: Array.from({ length: 20 }, (_, i) => String(i + 1).padStart(4, '0')),
            },
          ],
        },
      ],
      credentials: [{ clientId: 'acme', username: 'acme-erp', password: 'acme-password' }],
    });
  });
  afterAll(() => h?.close());

  it('the tenant moves out, the unit stands empty: S-BIR ends, S-BVA for the owner follows (SUCCESS); E2 lists both by from', async () => {
    const ru = await freshUnit();
    const moveOut = [
      role('UPDATE', 'S-BIR', '2020-01-01', '2022-05-31', TENANT),
      role('INSERT', 'S-BVA', '2022-06-01', undefined, OWNER),
    ];
    const result = await deliver(h.app, AUTH, BU, ru, delivery(moveOut, PARTNERS, { ru }));
    expect(result).toMatchObject({ status: 'SUCCESS', messages: null, roleMessages: null });
    expect((await getRoles(h.app, AUTH, BU, ru)).json().billingunit.residentialunit.roles).toEqual([
      { role: 'S-BIR', from: '2020-01-01', to: '2022-05-31', partner: { pmnumber: TENANT } },
      { role: 'S-BVA', from: '2022-06-01', to: '9999-12-31', partner: { pmnumber: OWNER } },
    ]);
  });

  it('a DELETE of the latest billing recipient (the owner after all does not follow): SUCCESS, E2 lists the rest', async () => {
    const ru = await freshUnit();
    const moveOut = [
      role('UPDATE', 'S-BIR', '2020-01-01', '2022-05-31', TENANT),
      role('INSERT', 'S-BVA', '2022-06-01', undefined, OWNER),
    ];
    expect((await deliver(h.app, AUTH, BU, ru, delivery(moveOut, PARTNERS, { ru }))).status).toBe('SUCCESS');
    const remove = role('DELETE', 'S-BVA', '2022-06-01', undefined, OWNER);
    const result = await deliver(h.app, AUTH, BU, ru, delivery([remove], PARTNERS, { ru }));
    expect(result).toMatchObject({ status: 'SUCCESS', messages: null, roleMessages: null });
    expect((await getRoles(h.app, AUTH, BU, ru)).json().billingunit.residentialunit.roles).toEqual([
      { role: 'S-BIR', from: '2020-01-01', to: '2022-05-31', partner: { pmnumber: TENANT } },
    ]);
  });

  it('8.4 OSR-2004: the owner follows a month late (a gap)', async () => {
    const ru = await freshUnit();
    await expectFail(
      ru,
      [
        role('UPDATE', 'S-BIR', '2020-01-01', '2022-05-31', TENANT),
        role('INSERT', 'S-BVA', '2022-07-01', undefined, OWNER),
      ],
      { messages: [plainMessage('BR-T2')], roleMessages: null },
    );
  });

  it('8.4 OSR-2003: the owner starts before the tenant ends (an overlap)', async () => {
    const ru = await freshUnit();
    await expectFail(
      ru,
      [
        role('UPDATE', 'S-BIR', '2020-01-01', '2022-05-31', TENANT),
        role('INSERT', 'S-BVA', '2022-05-01', undefined, OWNER),
      ],
      { messages: [plainMessage('BR-T1')], roleMessages: null },
    );
  });

  it('8.3 OSR-2007: an UPDATE whose target is not identified', async () => {
    const ru = await freshUnit();
    const update = role('UPDATE', 'S-BIR', '2020-02-01', '2022-05-31', TENANT);
    await expectFail(ru, [update], { messages: null, roleMessages: [roleEcho(update, 'BR-U1')] });
  });

  it('8.3 OSR-KALO: a DELETE whose target is not found', async () => {
    const ru = await freshUnit();
    const remove = role('DELETE', 'S-BVA', '2020-01-01', undefined, TENANT);
    await expectFail(ru, [remove], { messages: null, roleMessages: [roleEcho(remove, 'BR-X1')] });
    expect(MESSAGE['BR-X1'].key).toBe(KALO);
  });

  it('8.3 OSR-KALO: deleting the only billing-recipient role', async () => {
    const ru = await freshUnit();
    const remove = role('DELETE', 'S-BIR', '2020-01-01', undefined, TENANT);
    await expectFail(ru, [remove], { messages: null, roleMessages: [roleEcho(remove, 'BR-X3')] });
  });

  describe('8.3 OSR-2005: closed billing periods (billing unit closed until 2021-12-31)', () => {
    let ru: string;
    beforeAll(async () => {
      ru = await freshUnit();
      await h.database.handle.db
        .updateTable('billing_units')
        .set({ closed_until: '2021-12-31' })
        .where('mscnumber', '=', BU)
        .execute();
    });
    afterAll(async () => {
      await h.database.handle.db
        .updateTable('billing_units')
        .set({ closed_until: null })
        .where('mscnumber', '=', BU)
        .execute();
    });

    it('an INSERT on the closed day', async () => {
      const insert = role('INSERT', 'S-BVA', '2021-12-31', undefined, OWNER);
      await expectFail(ru, [insert], { messages: null, roleMessages: [roleEcho(insert, 'BR-I1')] });
    });

    it('an UPDATE whose changed days reach into the closed period', async () => {
      const update = role('UPDATE', 'S-BIR', '2020-01-01', '2021-06-30', TENANT);
      await expectFail(ru, [update], { messages: null, roleMessages: [roleEcho(update, 'BR-U2')] });
    });

    it('a DELETE of a role that starts in the closed period', async () => {
      const remove = role('DELETE', 'S-BIR', '2020-01-01', undefined, TENANT);
      await expectFail(ru, [remove], { messages: null, roleMessages: [roleEcho(remove, 'BR-X2')] });
    });

    it('changes after closed-until still succeed: the tenant leaves on 2022-05-31, the owner follows', async () => {
      const result = await deliver(
        h.app,
        AUTH,
        BU,
        ru,
        delivery(
          [
            role('UPDATE', 'S-BIR', '2020-01-01', '2022-05-31', TENANT),
            role('INSERT', 'S-BVA', '2022-06-01', undefined, OWNER),
          ],
          PARTNERS,
          { ru },
        ),
      );
      expect(result.status).toBe('SUCCESS');
    });
  });
});
