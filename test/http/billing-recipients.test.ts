import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBillingUnit } from '../../src/db/repositories/billing-units.js';
import { profileNamed } from '../../src/domain/profiles.js';
import { basic, deliver, getRoles, type Harness, seed, startHarness } from '../support/harness.js';
import { delivery, KALO, type LooseRole, MESSAGE, OPEN, plainMessage, roleEcho } from '../support/spec.js';

/**
 * The `arge` profile over HTTP, through the real worker on PostgreSQL (spec section 8): every row
 * of the tables in 8.3 and 8.4 from the input the spec describes, with its message and role echo;
 * a FAIL changes nothing (E2's whole answer and the change history are identical before and
 * after), a SUCCESS shows in E2 and the history. The pure rules have a unit test per row
 * (test/unit/billing-recipient-rules.test.ts); these are the same rows end to end.
 *
 * Row of 8.3 / 8.4 → test (each test's title starts with its row id; the last test checks that
 * every row has one):
 *
 *   BR-I1    INSERT N, N.from ≤ closed-until                         OSR-2005
 *   BR-I-ok  INSERT N, otherwise: N is added                         SUCCESS
 *   BR-U1    UPDATE U, no role of U's type matches                   OSR-2007
 *   BR-U2    UPDATE U, `to` changes and a+1 ≤ closed-until           OSR-2005
 *   BR-U-ok  UPDATE U, otherwise: target.to := U.to, partner stored  SUCCESS
 *   BR-X1    DELETE X, no role of X's type matches                   OSR-KALO
 *   BR-X2    DELETE X, target.from ≤ closed-until                    OSR-2005
 *   BR-X3    DELETE X, the unit's only billing-recipient role        OSR-KALO
 *   BR-X-ok  DELETE X, otherwise: the role is removed                SUCCESS
 *   BR-T1    8.4: two periods share a day                            OSR-2003
 *   BR-T2    8.4: a period starts more than a day after the others   OSR-2004
 *   BR-T1+T2 8.4: both (OSR-2003 first)                              OSR-2003, OSR-2004
 */
const ROW_IDS = [
  'BR-I1',
  'BR-I-ok',
  'BR-U1',
  'BR-U2',
  'BR-U-ok',
  'BR-X1',
  'BR-X2',
  'BR-X3',
  'BR-X-ok',
  'BR-T1',
  'BR-T2',
  'BR-T1+T2',
] as const;
type RowId = (typeof ROW_IDS)[number];

const AUTH = basic('acme-erp', 'acme-password');
/** Open billing unit, and one closed until 2021-12-31 (by the repository `osr billingunit close` uses). */
const OPEN_BU = '654321';
const CLOSED_BU = '654322';
const CLOSED_UNTIL = '2021-12-31';
/** Closed only during the one test that uses it (after its first delivery). */
const LATER_CLOSED_BU = '654323';
const TENANT = 'T1';
const OWNER = 'O1';
const partner = (pmnumber: string, name: string, extra: Record<string, unknown> = {}) => ({
  reference: { pmnumber },
  name,
  firstname: 'Max',
  commercial: 'NON_COMMERCIAL',
  ...extra,
});
const PARTNERS = [partner(TENANT, 'Mieter'), partner(OWNER, 'Eigentümer')];
const role = (change: string, type: string, from: string, to: string | undefined, pmnumber: string): LooseRole => ({
  change,
  role: type,
  from,
  ...(to === undefined ? {} : { to }),
  partner: { pmnumber },
});
/** E2's role entry. */
const shown = (type: string, from: string, to: string | null, pmnumber: string) => ({
  role: type,
  from,
  to: to ?? OPEN,
  partner: { pmnumber },
});
/** The tenant is billing recipient since 2020 (open), in each test's own unit. */
const TENANT_SINCE_2020 = role('INSERT', 'S-BIR', '2020-01-01', undefined, TENANT);
/** 8.4's example: the tenant leaves on 2022-05-31, the owner follows on 2022-06-01. */
const MOVE_OUT = [
  role('UPDATE', 'S-BIR', '2020-01-01', '2022-05-31', TENANT),
  role('INSERT', 'S-BVA', '2022-06-01', undefined, OWNER),
];

describe('billing recipients S-BIR / S-BVA over HTTP (OSR_PROFILE=arge)', () => {
  let h: Harness;
  let next = 1;
  const covered = new Set<RowId>();
  /** A test for one row of 8.3/8.4: its title starts with the row id. */
  const row = (id: RowId, title: string, test: () => Promise<void>) => {
    covered.add(id);
    it(`${id}: ${title}`, test);
  };

  const send = (bu: string, ru: string, roles: LooseRole[], partners: unknown[] = PARTNERS) =>
    deliver(h.app, AUTH, bu, ru, delivery(roles, partners, { bu, ru }));
  const newUnit = () => String(next++).padStart(4, '0');
  /** A unit of its own where the tenant is billing recipient since 2020 (open-ended). */
  const tenantUnit = async (bu = OPEN_BU) => {
    const ru = newUnit();
    expect((await send(bu, ru, [TENANT_SINCE_2020])).status).toBe('SUCCESS');
    return ru;
  };
  /** Such units in CLOSED_BU, made before it was closed (a test takes one each). */
  const closedTenantUnits: string[] = [];
  const closedTenantUnit = () => {
    const ru = closedTenantUnits.pop();
    if (ru === undefined) throw new Error('make more units in CLOSED_BU before closing it');
    return ru;
  };
  const e2 = async (bu: string, ru: string) => {
    const response = await getRoles(h.app, AUTH, bu, ru);
    return { status: response.statusCode, body: { ...response.json(), timestamp: '<now>' } };
  };
  const roles = async (bu: string, ru: string) => (await e2(bu, ru)).body.billingunit.residentialunit.roles;
  const history = async () => h.database.handle.db.selectFrom('change_history').selectAll().orderBy('id').execute();
  /** The unit's role changes in the history, oldest first. */
  const roleHistory = async (bu: string, ru: string) =>
    h.database.handle.db
      .selectFrom('change_history')
      .innerJoin('residential_units', 'residential_units.id', 'change_history.residential_unit')
      .select(['change', 'before', 'after'])
      .where('residential_units.billing_unit', '=', bu)
      .where('residential_units.mscnumber', '=', ru)
      .where('entity', '=', 'role')
      .orderBy('change_history.id')
      .execute();

  /** Delivers, expects FAIL with exactly these lists, and that neither E2 nor the history changed. */
  const expectFail = async (
    bu: string,
    ru: string,
    delivered: LooseRole[],
    expected: { messages: unknown[] | null; roleMessages: unknown[] | null },
    partners: unknown[] = PARTNERS,
  ) => {
    const before = { e2: await e2(bu, ru), history: await history() };
    const result = await send(bu, ru, delivered, partners);
    expect(result).toMatchObject({ status: 'FAIL', partnerMessages: null, ...expected });
    expect(result.messages).toStrictEqual(expected.messages);
    expect(result.roleMessages).toStrictEqual(expected.roleMessages);
    expect({ e2: await e2(bu, ru), history: await history() }).toStrictEqual(before);
  };
  /** Delivers and expects SUCCESS without any message. */
  const expectSuccess = async (bu: string, ru: string, delivered: LooseRole[], partners: unknown[] = PARTNERS) => {
    const result = await send(bu, ru, delivered, partners);
    expect(result).toMatchObject({ status: 'SUCCESS', messages: null, roleMessages: null, partnerMessages: null });
  };

  beforeAll(async () => {
    h = await startHarness({ profile: profileNamed('arge') });
    const units = Array.from({ length: 30 }, (_, i) => String(i + 1).padStart(4, '0'));
    await seed(h, {
      clients: [
        {
          id: 'acme',
          billingUnits: [
            { mscnumber: OPEN_BU, contracts: ['S-COR', 'S-BIR', 'S-BVA'], units },
            { mscnumber: CLOSED_BU, contracts: ['S-COR', 'S-BIR', 'S-BVA'], units },
            { mscnumber: LATER_CLOSED_BU, contracts: ['S-COR', 'S-BIR', 'S-BVA'], units },
          ],
        },
      ],
      credentials: [{ clientId: 'acme', username: 'acme-erp', password: 'acme-password' }],
    });
    for (let i = 0; i < 4; i++) closedTenantUnits.push(await tenantUnit(CLOSED_BU));
    expect(await closeBillingUnit(h.database.handle.db, CLOSED_BU, CLOSED_UNTIL)).toBe('set');
  });
  afterAll(() => h?.close());

  describe('8.3 INSERT', () => {
    row('BR-I-ok', 'a lone INSERT into a unit without roles: SUCCESS, E2 shows it, the history has it', async () => {
      const ru = newUnit();
      expect((await e2(OPEN_BU, ru)).status).toBe(404); // no roles yet
      await expectSuccess(OPEN_BU, ru, [TENANT_SINCE_2020]);
      const answer = await e2(OPEN_BU, ru);
      expect(answer.status).toBe(200);
      expect(answer.body.billingunit.residentialunit).toMatchObject({
        roles: [shown('S-BIR', '2020-01-01', null, TENANT)],
        partners: [{ reference: { pmnumber: TENANT }, name: 'Mieter', firstname: 'Max' }],
      });
      expect(await roleHistory(OPEN_BU, ru)).toStrictEqual([
        {
          change: 'INSERT',
          before: null,
          after: { role: 'S-BIR', from: '2020-01-01', to: null, pmnumber: TENANT },
        },
      ]);
    });

    row('BR-I-ok', 'a lone INSERT of the owner the day after the last period ends: SUCCESS', async () => {
      const ru = newUnit();
      await expectSuccess(OPEN_BU, ru, [role('INSERT', 'S-BIR', '2020-01-01', '2022-05-31', TENANT)]);
      await expectSuccess(OPEN_BU, ru, [role('INSERT', 'S-BVA', '2022-06-01', undefined, OWNER)]);
      expect(await roles(OPEN_BU, ru)).toStrictEqual([
        shown('S-BIR', '2020-01-01', '2022-05-31', TENANT),
        shown('S-BVA', '2022-06-01', null, OWNER),
      ]);
    });

    row('BR-I-ok', 'a lone INSERT the day after closed-until: SUCCESS', async () => {
      const ru = newUnit();
      await expectSuccess(CLOSED_BU, ru, [role('INSERT', 'S-BVA', '2022-01-01', undefined, OWNER)]);
      expect(await roles(CLOSED_BU, ru)).toStrictEqual([shown('S-BVA', '2022-01-01', null, OWNER)]);
    });

    row('BR-I1', 'an INSERT on closed-until itself (OSR-2005)', async () => {
      const ru = newUnit();
      const insert = role('INSERT', 'S-BVA', CLOSED_UNTIL, undefined, OWNER);
      await expectFail(CLOSED_BU, ru, [insert], { messages: null, roleMessages: [roleEcho(insert, 'BR-I1')] });
    });

    row('BR-I1', 'an INSERT before closed-until, into a unit with roles (OSR-2005)', async () => {
      const ru = newUnit();
      await expectSuccess(CLOSED_BU, ru, [role('INSERT', 'S-BVA', '2022-01-01', undefined, OWNER)]);
      const insert = role('INSERT', 'S-BIR', '2020-01-01', '2021-12-31', TENANT);
      await expectFail(CLOSED_BU, ru, [insert], { messages: null, roleMessages: [roleEcho(insert, 'BR-I1')] });
    });
  });

  describe('8.3 UPDATE', () => {
    row(
      'BR-U-ok',
      'the tenant moves out, the owner follows (8.4 example): SUCCESS, E2 lists both by from',
      async () => {
        const ru = await tenantUnit();
        await expectSuccess(OPEN_BU, ru, MOVE_OUT);
        expect(await roles(OPEN_BU, ru)).toStrictEqual([
          shown('S-BIR', '2020-01-01', '2022-05-31', TENANT),
          shown('S-BVA', '2022-06-01', null, OWNER),
        ]);
      },
    );

    row('BR-U-ok', 'an UPDATE stores the delivered partner data (E2 shows it), and the new to', async () => {
      const ru = await tenantUnit();
      const renamed = partner(TENANT, 'Neuname', { email: 'neu@example.org' });
      await expectSuccess(OPEN_BU, ru, [role('UPDATE', 'S-BIR', '2020-01-01', '2030-12-31', TENANT)], [renamed]);
      const { residentialunit } = (await e2(OPEN_BU, ru)).body.billingunit;
      expect(residentialunit.roles).toStrictEqual([shown('S-BIR', '2020-01-01', '2030-12-31', TENANT)]);
      expect(residentialunit.partners).toMatchObject([
        { reference: { pmnumber: TENANT }, name: 'Neuname', email: 'neu@example.org' },
      ]);
    });

    row(
      'BR-U-ok',
      'an UPDATE that keeps to (partner data only) is not refused, however closed the period',
      async () => {
        const ru = newUnit();
        await expectSuccess(LATER_CLOSED_BU, ru, [role('INSERT', 'S-BIR', '2020-01-01', '2020-12-31', TENANT)]);
        expect(await closeBillingUnit(h.database.handle.db, LATER_CLOSED_BU, '2030-12-31')).toBe('set');
        const renamed = partner(TENANT, 'Neuname');
        await expectSuccess(
          LATER_CLOSED_BU,
          ru,
          [role('UPDATE', 'S-BIR', '2020-01-01', '2020-12-31', TENANT)],
          [renamed],
        );
        expect((await e2(LATER_CLOSED_BU, ru)).body.billingunit.residentialunit.partners).toMatchObject([
          { reference: { pmnumber: TENANT }, name: 'Neuname' },
        ]);
      },
    );

    row('BR-U1', 'an UPDATE whose target is not identified (another from; OSR-2007)', async () => {
      const ru = await tenantUnit();
      const update = role('UPDATE', 'S-BIR', '2020-02-01', '2022-05-31', TENANT);
      await expectFail(OPEN_BU, ru, [update], { messages: null, roleMessages: [roleEcho(update, 'BR-U1')] });
    });

    row('BR-U1', 'an UPDATE naming the other billing-recipient type (OSR-2007)', async () => {
      const ru = await tenantUnit();
      const update = role('UPDATE', 'S-BVA', '2020-01-01', '2022-05-31', TENANT);
      await expectFail(OPEN_BU, ru, [update], { messages: null, roleMessages: [roleEcho(update, 'BR-U1')] });
    });

    row('BR-U2', 'an UPDATE whose changed days reach into the closed period (OSR-2005)', async () => {
      const ru = closedTenantUnit();
      const update = role('UPDATE', 'S-BIR', '2020-01-01', '2021-06-30', TENANT);
      await expectFail(CLOSED_BU, ru, [update], { messages: null, roleMessages: [roleEcho(update, 'BR-U2')] });
    });

    row('BR-U2', 'an UPDATE ending the period the day before closed-until (a+1 = closed-until; OSR-2005)', async () => {
      const ru = closedTenantUnit();
      const update = role('UPDATE', 'S-BIR', '2020-01-01', '2021-12-30', TENANT);
      await expectFail(CLOSED_BU, ru, [update], { messages: null, roleMessages: [roleEcho(update, 'BR-U2')] });
    });

    row('BR-U-ok', 'an UPDATE ending the period on closed-until itself (changed days after it): SUCCESS', async () => {
      const ru = closedTenantUnit();
      await expectSuccess(CLOSED_BU, ru, [
        role('UPDATE', 'S-BIR', '2020-01-01', CLOSED_UNTIL, TENANT),
        role('INSERT', 'S-BVA', '2022-01-01', undefined, OWNER),
      ]);
      expect(await roles(CLOSED_BU, ru)).toStrictEqual([
        shown('S-BIR', '2020-01-01', CLOSED_UNTIL, TENANT),
        shown('S-BVA', '2022-01-01', null, OWNER),
      ]);
    });
  });

  describe('8.3 DELETE', () => {
    row('BR-X-ok', 'a DELETE of the latest billing recipient (the owner does not follow after all)', async () => {
      const ru = await tenantUnit();
      await expectSuccess(OPEN_BU, ru, MOVE_OUT);
      await expectSuccess(OPEN_BU, ru, [role('DELETE', 'S-BVA', '2022-06-01', undefined, OWNER)]);
      expect(await roles(OPEN_BU, ru)).toStrictEqual([shown('S-BIR', '2020-01-01', '2022-05-31', TENANT)]);
      expect((await roleHistory(OPEN_BU, ru)).at(-1)).toStrictEqual({
        change: 'DELETE',
        before: { role: 'S-BVA', from: '2022-06-01', to: null, pmnumber: OWNER },
        after: null,
      });
    });

    row('BR-X1', 'a DELETE whose target is not found (OSR-KALO)', async () => {
      const ru = await tenantUnit();
      const remove = role('DELETE', 'S-BVA', '2020-01-01', undefined, TENANT);
      await expectFail(OPEN_BU, ru, [remove], { messages: null, roleMessages: [roleEcho(remove, 'BR-X1')] });
      expect(MESSAGE['BR-X1'].key).toBe(KALO);
    });

    row('BR-X2', 'a DELETE of a role that starts in the closed period (OSR-2005)', async () => {
      const ru = closedTenantUnit();
      const remove = role('DELETE', 'S-BIR', '2020-01-01', undefined, TENANT);
      await expectFail(CLOSED_BU, ru, [remove], { messages: null, roleMessages: [roleEcho(remove, 'BR-X2')] });
    });

    row('BR-X3', 'deleting the only billing-recipient role (OSR-KALO)', async () => {
      const ru = await tenantUnit();
      const remove = role('DELETE', 'S-BIR', '2020-01-01', undefined, TENANT);
      await expectFail(OPEN_BU, ru, [remove], { messages: null, roleMessages: [roleEcho(remove, 'BR-X3')] });
    });
  });

  describe('8.4 the timeline check', () => {
    row('BR-T2', 'the owner follows a month late: a gap (OSR-2004)', async () => {
      const ru = await tenantUnit();
      await expectFail(
        OPEN_BU,
        ru,
        [
          role('UPDATE', 'S-BIR', '2020-01-01', '2022-05-31', TENANT),
          role('INSERT', 'S-BVA', '2022-07-01', undefined, OWNER),
        ],
        { messages: [plainMessage('BR-T2')], roleMessages: null },
      );
    });

    row('BR-T1', 'the owner starts before the tenant ends: an overlap (OSR-2003)', async () => {
      const ru = await tenantUnit();
      await expectFail(
        OPEN_BU,
        ru,
        [
          role('UPDATE', 'S-BIR', '2020-01-01', '2022-05-31', TENANT),
          role('INSERT', 'S-BVA', '2022-05-01', undefined, OWNER),
        ],
        { messages: [plainMessage('BR-T1')], roleMessages: null },
      );
    });

    row('BR-T1', 'a period after an open-ended one (OSR-2003)', async () => {
      const ru = await tenantUnit();
      await expectFail(OPEN_BU, ru, [role('INSERT', 'S-BVA', '2030-01-01', undefined, OWNER)], {
        messages: [plainMessage('BR-T1')],
        roleMessages: null,
      });
    });

    row('BR-T1+T2', 'an overlap and a gap in one delivery: both, OSR-2003 first', async () => {
      const ru = await tenantUnit();
      await expectFail(
        OPEN_BU,
        ru,
        [
          role('UPDATE', 'S-BIR', '2020-01-01', '2022-05-31', TENANT),
          role('INSERT', 'S-BVA', '2022-05-01', '2022-12-31', OWNER), // overlaps the tenant
          role('INSERT', 'S-BIR', '2024-01-01', undefined, 'T2'), // leaves 2023 empty
        ],
        { messages: [plainMessage('BR-T1'), plainMessage('BR-T2')], roleMessages: null },
        [...PARTNERS, partner('T2', 'Nachmieter')],
      );
    });
  });

  it('every row of the tables in 8.3 and 8.4 has a test here', () => {
    expect([...covered].sort()).toStrictEqual([...ROW_IDS].sort());
  });
});
