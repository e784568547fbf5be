import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryResultSchema } from '../../src/domain/response-schema.js';
import { basic, deliver, getRoles, type Harness, seed, startHarness } from '../support/harness.js';
import {
  type RuleId as Code,
  delivery,
  roleEcho as echo,
  type LooseRole,
  MESSAGE,
  MUSTERFRAU,
  MUSTERMANN,
  moveInMustermann,
  OPEN,
  partnerEcho,
  plainMessage as plain,
  useCase1,
} from '../support/spec.js';

/**
 * Every asynchronous message of spec tables 5.1 (D1–D8), 5.2 (R1–R10) and 5.3 (I/U/X and the
 * unexpected-error texts), driven through HTTP only: POST E1 → poll E3 → compare E2 before/after.
 * Message texts come from test/support/spec.ts (copied from the spec, not imported from src).
 */

const AUTH = basic('erp', 'erp-password');
const GLOBEX = basic('globex-erp', 'globex-password');
const BU = '654321'; // acme, contracts [S-COR], units 0001..0150
const BU_NO_CONTRACT = '111111'; // acme, contracts []
const BU_OTHER_CONTRACT = '111112'; // acme, contracts [S-BIR]
const BU_SIBLING = '333333'; // acme, unit 0500 (not part of 654321)
const BU_FOREIGN = '222222'; // globex, unit 0001
const PM1 = MUSTERMANN.reference.pmnumber; // 12345611
const PM2 = MUSTERFRAU.reference.pmnumber; // 12345612

type Unit = { bu: string; ru: string };

const body = (unit: Unit, roles: LooseRole[], partners: unknown[] = [MUSTERMANN, MUSTERFRAU]) =>
  delivery(roles, partners, unit);

/** An S-COR role; `undefined` fields are left out of the JSON (missing). */
const scor = (
  change: string | undefined,
  from: string | undefined,
  to: string | undefined,
  pmnumber = PM1,
): LooseRole => ({
  change,
  role: 'S-COR',
  from,
  to,
  partner: { pmnumber },
});

const closeMustermann = scor('UPDATE', '2018-05-01', '2022-05-31');
const BOOM = { reference: { pmnumber: 'BOOM' }, name: 'Boom', firstname: 'Bernd', commercial: 'NON_COMMERCIAL' };

/** Starting states of a residential unit, built with successful deliveries. */
type State = 'empty' | 'open' | 'closed' | 'successor';
const STATE_DESCRIPTION: Record<State, string> = {
  empty: 'no role',
  open: 'Mustermann open since 2018-05-01',
  closed: 'Mustermann 2018-05-01..2022-05-31',
  successor: 'Mustermann 2018-05-01..2022-05-31, then Musterfrau 2022-06-01..2022-12-31 (active)',
};

/** Each list: the exact expected entries ([] or missing: null in E3), or an asymmetric matcher. */
interface Expected {
  messages?: unknown;
  roleMessages?: unknown;
  partnerMessages?: unknown;
}

type Target = { auth: string; bu: string; ru: string };

describe('asynchronous messages (spec 5.1–5.3) through POST E1 → poll E3', () => {
  let h: Harness;
  const nextUnit = new Map<string, number>();
  /** A residential unit of `bu` that no other test has touched. */
  const freshUnit = (bu = BU): Unit => {
    const n = (nextUnit.get(bu) ?? 0) + 1;
    nextUnit.set(bu, n);
    return { bu, ru: String(n).padStart(4, '0') };
  };
  const range = (count: number) => Array.from({ length: count }, (_, i) => String(i + 1).padStart(4, '0'));

  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [
        {
          id: 'acme',
          billingUnits: [
            { mscnumber: BU, units: range(150) },
            { mscnumber: BU_NO_CONTRACT, contracts: [], units: range(5) },
            { mscnumber: BU_OTHER_CONTRACT, contracts: ['S-BIR'], units: range(5) },
            { mscnumber: BU_SIBLING, units: ['0500'] },
          ],
        },
        { id: 'globex', billingUnits: [{ mscnumber: BU_FOREIGN, units: ['0001'] }] },
      ],
      credentials: [
        { clientId: 'acme', username: 'erp', password: 'erp-password' },
        { clientId: 'globex', username: 'globex-erp', password: 'globex-password' },
      ],
    });
    // Roles in units that D5/D6 deliveries must not touch.
    for (const [auth, unit] of [
      [GLOBEX, { bu: BU_FOREIGN, ru: '0001' }],
      [AUTH, { bu: BU_SIBLING, ru: '0500' }],
    ] as const) {
      expect((await deliver(h.app, auth, unit.bu, unit.ru, moveInMustermann(unit))).status).toBe('SUCCESS');
    }
  });
  afterAll(() => h.close());

  async function prepare(unit: Unit, state: State) {
    const steps = {
      empty: [],
      open: [moveInMustermann(unit)],
      closed: [body(unit, [scor('INSERT', '2018-05-01', '2022-05-31')], [MUSTERMANN])],
      successor: [moveInMustermann(unit), useCase1(unit)],
    }[state];
    for (const step of steps) {
      const result = await deliver(h.app, AUTH, unit.bu, unit.ru, step);
      expect(result, `precondition ${state}`).toMatchObject({ status: 'SUCCESS' });
    }
  }

  /** What E2 shows for each target (without its timestamp), plus row counts of what applying writes. */
  async function snapshot(targets: Target[]) {
    const views: unknown[] = [];
    for (const target of targets) {
      const response = await getRoles(h.app, target.auth, target.bu, target.ru);
      const shown = { ...response.json() } as Record<string, unknown>;
      delete shown.timestamp;
      views.push({ target: `${target.bu}/${target.ru}`, status: response.statusCode, body: shown });
    }
    const { rows } = await sql<{ roles: number; partners: number; history: number }>`
      SELECT (SELECT count(*) FROM roles)::int AS roles,
             (SELECT count(*) FROM partners)::int AS partners,
             (SELECT count(*) FROM change_history)::int AS history
    `.execute(h.database.handle.db);
    return { views, rows: rows[0] };
  }

  const byJson = (list: unknown[] | null) =>
    list && [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

  /** POST, poll E3, expect FAIL with exactly these lists, and that E2 (and the stored rows) did not change. */
  async function expectFail(
    path: Unit,
    payload: unknown,
    expected: Expected,
    { witnesses = [] as Target[], anyOrder = false } = {},
  ) {
    const targets = [{ auth: AUTH, ...path }, ...witnesses];
    const before = await snapshot(targets);
    const result = await deliver(h.app, AUTH, path.bu, path.ru, payload);
    expect(() => deliveryResultSchema.parse(result)).not.toThrow();
    const order = anyOrder ? byJson : (list: unknown[] | null) => list;
    const list = (value: unknown) =>
      Array.isArray(value) ? order(value.length > 0 ? value : null) : value === undefined ? null : value;
    expect({
      ...result,
      messages: order(result.messages),
      roleMessages: order(result.roleMessages),
      partnerMessages: order(result.partnerMessages),
    }).toEqual({
      dataDeliveryId: expect.any(String),
      status: 'FAIL',
      receivedAt: expect.any(String),
      processedAt: expect.any(String),
      messages: list(expected.messages),
      roleMessages: list(expected.roleMessages),
      partnerMessages: list(expected.partnerMessages),
    });
    expect(await snapshot(targets), 'E2 and stored rows unchanged after FAIL').toEqual(before);
    return result;
  }

  async function rolesShown(unit: Unit) {
    const response = await getRoles(h.app, AUTH, unit.bu, unit.ru);
    return response.statusCode === 200 ? response.json().billingunit.residentialunit.roles : response.json().messages;
  }

  describe('5.1 D1–D6: checked in order, the first failure ends processing (list: messages)', () => {
    // `ru` gets the fresh unit's number; the fresh unit has Mustermann open since 2018-05-01 and the
    // delivery would close that role, so an applied change would show in its E2.
    const cases: {
      name: string;
      path: (fresh: string) => Unit;
      body?: (fresh: string) => Partial<Unit>;
      code: Code;
      witnesses?: Target[];
      roles?: LooseRole[];
      partners?: unknown[];
    }[] = [
      { name: 'D1: {bu} with 5 digits', path: (ru) => ({ bu: '12345', ru }), code: 'D1' },
      { name: 'D1: {bu} not numeric', path: (ru) => ({ bu: 'abc', ru }), code: 'D1' },
      { name: 'D1: {bu} with 9 digits not starting with 099', path: (ru) => ({ bu: '123456789', ru }), code: 'D1' },
      { name: 'D1 before D2: both {bu} and {ru} malformed', path: () => ({ bu: 'abc', ru: 'x' }), code: 'D1' },
      { name: 'D2: {ru} not numeric', path: () => ({ bu: BU, ru: 'abc' }), code: 'D2' },
      { name: 'D2: {ru} with a letter', path: () => ({ bu: BU, ru: '1a' }), code: 'D2' },
      {
        name: 'D2 before D4: {ru} with 5 digits (body mscnumber can hold at most 4 chars)',
        path: () => ({ bu: BU, ru: '12345' }),
        body: () => ({ ru: '1234' }),
        code: 'D2',
      },
      {
        name: 'D3: body billing unit ≠ {bu}',
        path: (ru) => ({ bu: BU, ru }),
        body: () => ({ bu: '654322' }),
        code: 'D3',
      },
      {
        name: 'D3 before D4: both body numbers differ from the URL',
        path: (ru) => ({ bu: BU, ru }),
        body: () => ({ bu: '654322', ru: '9' }),
        code: 'D3',
      },
      {
        name: 'D4: body residential unit ≠ {ru} (compared as strings: "5" ≠ "0005")',
        path: (ru) => ({ bu: BU, ru }),
        body: (ru) => ({ ru: String(Number(ru)) }),
        code: 'D4',
      },
      {
        name: 'D4 before D5: unknown billing unit and body residential unit ≠ {ru}',
        path: () => ({ bu: '999999', ru: '0001' }),
        body: () => ({ ru: '0002' }),
        code: 'D4',
      },
      { name: 'D5: billing unit unknown', path: (ru) => ({ bu: '999999', ru }), code: 'D5' },
      { name: 'D5: billing unit unknown (099 format)', path: (ru) => ({ bu: '099999999', ru }), code: 'D5' },
      {
        name: 'D5: billing unit of another client',
        path: () => ({ bu: BU_FOREIGN, ru: '0001' }),
        code: 'D5',
        witnesses: [{ auth: GLOBEX, bu: BU_FOREIGN, ru: '0001' }],
      },
      {
        name: 'D5 before D6: billing unit and residential unit unknown',
        path: () => ({ bu: '999999', ru: '9999' }),
        code: 'D5',
      },
      { name: 'D6: residential unit unknown', path: () => ({ bu: BU, ru: '0999' }), code: 'D6' },
      { name: 'D6: residential unit unknown ("1" is not "0001")', path: () => ({ bu: BU, ru: '1' }), code: 'D6' },
      {
        name: 'D6: residential unit of another billing unit of the same client',
        path: () => ({ bu: BU, ru: '0500' }),
        code: 'D6',
        witnesses: [{ auth: AUTH, bu: BU_SIBLING, ru: '0500' }],
      },
      {
        name: 'D6 ends processing: D7 and R2 of the same delivery are not reported',
        path: () => ({ bu: BU, ru: '0999' }),
        code: 'D6',
        roles: [{ role: 'S-COR', from: '2018-05-01', partner: { pmnumber: PM1 } }],
        partners: [MUSTERMANN, MUSTERMANN],
      },
    ];

    it.each(cases)('$name', async (c) => {
      const fresh = freshUnit();
      await prepare(fresh, 'open');
      const path = c.path(fresh.ru);
      const bodyUnit = { ...path, ...c.body?.(fresh.ru) };
      await expectFail(
        path,
        body(bodyUnit, c.roles ?? [closeMustermann], c.partners ?? [MUSTERMANN]),
        { messages: [plain(c.code)] },
        { witnesses: [{ auth: AUTH, ...fresh }, ...(c.witnesses ?? [])] },
      );
    });
  });

  describe('5.1 D7: duplicated partner pmnumber (list: partnerMessages, partner echo)', () => {
    const cases = [
      { name: 'the referenced partner sent twice, identical', partners: [MUSTERMANN, MUSTERMANN], duplicate: PM1 },
      {
        name: 'the referenced partner sent twice, with other data',
        partners: [MUSTERMANN, { ...MUSTERMANN, name: 'Andersname' }],
        duplicate: PM1,
      },
      { name: 'an unreferenced partner sent twice', partners: [MUSTERMANN, MUSTERFRAU, MUSTERFRAU], duplicate: PM2 },
    ];
    it.each(cases)('$name', async (c) => {
      const unit = freshUnit();
      const result = await expectFail(unit, body(unit, [scor('INSERT', '2018-05-01', undefined)], c.partners), {
        // the spec does not say whether each copy or only the later one is reported: accept both
        partnerMessages: expect.arrayContaining([partnerEcho(c.duplicate, 'D7')]),
      });
      expect(result.partnerMessages.length).toBeLessThanOrEqual(2);
      for (const message of result.partnerMessages) expect(message).toEqual(partnerEcho(c.duplicate, 'D7'));
    });
  });

  describe('5.1 D8: no role of a supported type (list: messages; R1 stays in roleMessages)', () => {
    const sbir: LooseRole = { change: 'INSERT', role: 'S-BIR', from: '2020-01-01', partner: { pmnumber: PM1 } };
    const unknownType: LooseRole = { role: 'X-FOO' };
    const cases: { name: string; roles: LooseRole[] | null | undefined; r1: LooseRole[] }[] = [
      { name: 'only an S-BIR role', roles: [sbir], r1: [sbir] },
      { name: 'only an unknown role type without change, from or partner', roles: [unknownType], r1: [unknownType] },
      { name: 'roles: []', roles: [], r1: [] },
      { name: 'roles: null', roles: null, r1: [] },
      { name: 'roles missing', roles: undefined, r1: [] },
    ];
    it.each(cases)('$name', async (c) => {
      const unit = freshUnit();
      const payload = body(unit, c.roles ?? [], [MUSTERMANN]);
      const residential = payload.billingunit.residentialunit as Record<string, unknown>;
      if (c.roles === null) residential.roles = null;
      if (c.roles === undefined) delete residential.roles;
      await expectFail(unit, payload, { messages: [plain('D8')], roleMessages: c.r1.map((role) => echo(role, 'R1')) });
    });
  });

  describe('5.2 R2–R10: each check on its own (list: roleMessages, role echo)', () => {
    const nameless = (patch: Record<string, unknown>) => ({ ...MUSTERMANN, ...patch });
    const cases: {
      name: string;
      state?: State;
      bu?: string;
      roles: LooseRole[];
      partners?: unknown[];
      reported: [index: number, code: Code][];
    }[] = [
      {
        name: 'R2: change missing',
        roles: [{ role: 'S-COR', from: '2018-05-01', partner: { pmnumber: PM1 } }],
        reported: [[0, 'R2']],
      },
      {
        name: 'R2: change null',
        roles: [{ change: null, role: 'S-COR', from: '2018-05-01', to: '2019-01-01', partner: { pmnumber: PM1 } }],
        reported: [[0, 'R2']],
      },
      {
        name: 'R3: partner missing',
        roles: [{ change: 'INSERT', role: 'S-COR', from: '2018-05-01' }],
        reported: [[0, 'R3']],
      },
      {
        name: 'R3: partner null',
        roles: [{ change: 'INSERT', role: 'S-COR', from: '2018-05-01', partner: null }],
        reported: [[0, 'R3']],
      },
      {
        name: 'R4: partner without pmnumber',
        roles: [{ change: 'INSERT', role: 'S-COR', from: '2018-05-01', partner: {} }],
        reported: [[0, 'R4']],
      },
      {
        name: 'R4: partner.pmnumber null',
        roles: [{ change: 'INSERT', role: 'S-COR', from: '2018-05-01', partner: { pmnumber: null } }],
        reported: [[0, 'R4']],
      },
      { name: 'R5: from missing (INSERT)', roles: [scor('INSERT', undefined, '2022-05-31')], reported: [[0, 'R5']] },
      {
        name: 'R5: from null (UPDATE)',
        state: 'open',
        roles: [{ change: 'UPDATE', role: 'S-COR', from: null, to: '2022-05-31', partner: { pmnumber: PM1 } }],
        reported: [[0, 'R5']],
      },
      {
        name: 'R5: from missing (DELETE)',
        state: 'open',
        roles: [scor('DELETE', undefined, undefined)],
        reported: [[0, 'R5']],
      },
      { name: 'R6: INSERT with from = to', roles: [scor('INSERT', '2020-05-01', '2020-05-01')], reported: [[0, 'R6']] },
      { name: 'R6: INSERT with from > to', roles: [scor('INSERT', '2020-05-02', '2020-05-01')], reported: [[0, 'R6']] },
      {
        name: 'R6: UPDATE with from > to',
        state: 'open',
        roles: [scor('UPDATE', '2018-05-01', '2017-12-31')],
        reported: [[0, 'R6']],
      },
      {
        name: 'R7: partner name missing',
        roles: [scor('INSERT', '2018-05-01', undefined)],
        partners: [nameless({ name: undefined })],
        reported: [[0, 'R7']],
      },
      {
        name: 'R7: partner name null',
        roles: [scor('INSERT', '2018-05-01', undefined)],
        partners: [nameless({ name: null })],
        reported: [[0, 'R7']],
      },
      {
        name: 'R7: partner name empty',
        roles: [scor('INSERT', '2018-05-01', undefined)],
        partners: [nameless({ name: '' })],
        reported: [[0, 'R7']],
      },
      {
        name: 'R7: partner name blank (COMMERCIAL partner)',
        roles: [scor('INSERT', '2018-05-01', undefined)],
        partners: [nameless({ name: '   ', commercial: 'COMMERCIAL' })],
        reported: [[0, 'R7']],
      },
      {
        name: 'R7: partner name blank on UPDATE',
        state: 'open',
        roles: [closeMustermann],
        partners: [nameless({ name: ' ' })],
        reported: [[0, 'R7']],
      },
      {
        name: 'R8: NON_COMMERCIAL partner firstname missing',
        roles: [scor('INSERT', '2018-05-01', undefined)],
        partners: [nameless({ firstname: undefined })],
        reported: [[0, 'R8']],
      },
      {
        name: 'R8: NON_COMMERCIAL partner firstname null',
        roles: [scor('INSERT', '2018-05-01', undefined)],
        partners: [nameless({ firstname: null })],
        reported: [[0, 'R8']],
      },
      {
        name: 'R8: NON_COMMERCIAL partner firstname empty',
        roles: [scor('INSERT', '2018-05-01', undefined)],
        partners: [nameless({ firstname: '' })],
        reported: [[0, 'R8']],
      },
      {
        name: 'R8: partner without commercial (default NON_COMMERCIAL), firstname blank',
        roles: [scor('INSERT', '2018-05-01', undefined)],
        partners: [nameless({ commercial: undefined, firstname: '  ' })],
        reported: [[0, 'R8']],
      },
      {
        name: 'R8: on UPDATE',
        state: 'open',
        roles: [closeMustermann],
        partners: [nameless({ firstname: null })],
        reported: [[0, 'R8']],
      },
      {
        name: 'R9: two INSERTs with overlapping periods (reported on the later one)',
        roles: [scor('INSERT', '2020-01-01', '2020-12-31'), scor('INSERT', '2020-06-01', '2021-05-31', PM2)],
        reported: [[1, 'R9']],
      },
      {
        name: 'R9: the first INSERT is open-ended',
        roles: [scor('INSERT', '2020-01-01', undefined), scor('INSERT', '2021-01-01', '2021-12-31', PM2)],
        reported: [[1, 'R9']],
      },
      {
        name: 'R9: periods touch on one day (to is inclusive)',
        roles: [scor('INSERT', '2020-01-01', '2020-12-31'), scor('INSERT', '2020-12-31', '2021-12-31', PM2)],
        reported: [[1, 'R9']],
      },
      {
        name: 'R10: billing unit with no contracts',
        bu: BU_NO_CONTRACT,
        roles: [scor('INSERT', '2018-05-01', undefined)],
        reported: [[0, 'R10']],
      },
      {
        name: 'R10: billing unit with a contract for another role type only',
        bu: BU_OTHER_CONTRACT,
        roles: [scor('INSERT', '2018-05-01', undefined)],
        reported: [[0, 'R10']],
      },
    ];

    it.each(cases)('$name', async (c) => {
      const unit = freshUnit(c.bu);
      await prepare(unit, c.state ?? 'empty');
      await expectFail(unit, body(unit, c.roles, c.partners ?? [MUSTERMANN, MUSTERFRAU]), {
        roleMessages: c.reported.map(([index, code]) => echo(c.roles[index] as LooseRole, code)),
      });
    });

    it('echoes the role literally: from null when missing, to 9999-12-31 when missing/null/open, partner nulls', async () => {
      const unit = freshUnit();
      const roles: LooseRole[] = [
        { change: 'INSERT', role: 'S-COR', partner: { pmnumber: PM1 } },
        { change: 'INSERT', role: 'S-COR', from: '2030-01-01', to: null },
        { change: 'UPDATE', role: 'S-COR', from: '2040-01-01', to: '9999-12-31', partner: {} },
      ];
      await expectFail(unit, body(unit, roles), {
        roleMessages: [
          {
            role: 'S-COR',
            from: null,
            to: '9999-12-31',
            partner: { pmnumber: '12345611', mscnumber: null },
            ...MESSAGE.R5,
          },
          {
            role: 'S-COR',
            from: '2030-01-01',
            to: '9999-12-31',
            partner: { pmnumber: null, mscnumber: null },
            ...MESSAGE.R3,
          },
          {
            role: 'S-COR',
            from: '2040-01-01',
            to: '9999-12-31',
            partner: { pmnumber: null, mscnumber: null },
            ...MESSAGE.R4,
          },
        ],
      });
    });
  });

  describe('5.2 R1: unsupported role types are reported as information, skipped, and the delivery succeeds', () => {
    const insertMustermann = scor('INSERT', '2018-05-01', undefined);
    const cases: { name: string; roles: LooseRole[]; unsupported: number[] }[] = [
      {
        name: 'S-BVA next to an S-COR move-in',
        roles: [insertMustermann, { change: 'INSERT', role: 'S-BVA', from: '2018-05-01', partner: { pmnumber: PM2 } }],
        unsupported: [1],
      },
      {
        name: 'an unknown role type without change, from and partner gets R1 only (no R2/R3/R5)',
        roles: [{ role: 'X-FOO' }, insertMustermann],
        unsupported: [0],
      },
      {
        name: 'two unsupported roles around the S-COR move-in, R1 in role order',
        roles: [
          { change: 'UPDATE', role: 'S-BIR', from: '2019-01-01', to: '2019-12-31', partner: { pmnumber: PM2 } },
          insertMustermann,
          { change: 'DELETE', role: 'S-BVA', from: '2000-02-02' },
        ],
        unsupported: [0, 2],
      },
    ];
    it.each(cases)('$name', async (c) => {
      const unit = freshUnit();
      const result = await deliver(h.app, AUTH, unit.bu, unit.ru, body(unit, c.roles));
      expect(result).toEqual({
        dataDeliveryId: expect.any(String),
        status: 'SUCCESS',
        receivedAt: expect.any(String),
        processedAt: expect.any(String),
        messages: null,
        partnerMessages: null,
        roleMessages: c.unsupported.map((index) => echo(c.roles[index] as LooseRole, 'R1')),
      });
      // only the S-COR role was applied; the unsupported ones were neither applied nor stored
      expect(await rolesShown(unit)).toEqual([
        { role: 'S-COR', from: '2018-05-01', to: OPEN, partner: { pmnumber: PM1 } },
      ]);
    });
  });

  describe('5.2 checks that must not fire (the delivery succeeds without messages)', () => {
    const cases: { name: string; state: State; roles: LooseRole[]; partners?: unknown[] }[] = [
      {
        name: 'R6 not on DELETE (X.to is ignored)',
        state: 'open',
        roles: [scor('DELETE', '2018-05-01', '2017-01-01')],
      },
      {
        name: 'R7/R8 not on DELETE',
        state: 'open',
        roles: [scor('DELETE', '2018-05-01', undefined)],
        partners: [{ ...MUSTERMANN, name: null, firstname: null }],
      },
      {
        name: 'R8 not for a COMMERCIAL partner',
        state: 'empty',
        roles: [scor('INSERT', '2018-05-01', undefined)],
        partners: [{ ...MUSTERMANN, commercial: 'COMMERCIAL', firstname: null }],
      },
      {
        name: 'R9 not for adjacent INSERTs',
        state: 'empty',
        roles: [scor('INSERT', '2020-01-01', '2020-12-31'), scor('INSERT', '2021-01-01', undefined, PM2)],
      },
      { name: 'R6 not for to = 9999-12-31 (open)', state: 'empty', roles: [scor('INSERT', '2018-05-01', OPEN)] },
    ];
    it.each(cases)('$name', async (c) => {
      const unit = freshUnit();
      await prepare(unit, c.state);
      const result = await deliver(
        h.app,
        AUTH,
        unit.bu,
        unit.ru,
        body(unit, c.roles, c.partners ?? [MUSTERMANN, MUSTERFRAU]),
      );
      expect(result).toMatchObject({ status: 'SUCCESS', messages: null, roleMessages: null, partnerMessages: null });
    });
  });

  describe('step 2: every failure is reported, not only the first', () => {
    const sbva: LooseRole = { change: 'INSERT', role: 'S-BVA', from: '2018-05-01', partner: { pmnumber: PM1 } };
    const cases: {
      name: string;
      bu?: string;
      roles: LooseRole[];
      partners?: unknown[];
      reported: [index: number, code: Code][];
      messages?: Code[];
      partnerMessages?: [pmnumber: string, code: Code][];
    }[] = [
      {
        name: 'one role: change and from missing (R2 + R5)',
        roles: [{ role: 'S-COR', to: '2022-05-31', partner: { pmnumber: PM1 } }],
        reported: [
          [0, 'R2'],
          [0, 'R5'],
        ],
      },
      {
        name: 'one role: change, partner and from missing (R2 + R3 + R5)',
        roles: [{ role: 'S-COR' }],
        reported: [
          [0, 'R2'],
          [0, 'R3'],
          [0, 'R5'],
        ],
      },
      {
        name: 'one role: pmnumber missing and from > to (R4 + R6)',
        roles: [{ change: 'INSERT', role: 'S-COR', from: '2020-02-01', to: '2020-01-01', partner: {} }],
        reported: [
          [0, 'R4'],
          [0, 'R6'],
        ],
      },
      {
        name: 'one role: partner without name and firstname (R7 + R8)',
        roles: [scor('INSERT', '2018-05-01', undefined)],
        partners: [{ ...MUSTERMANN, name: '', firstname: undefined }],
        reported: [
          [0, 'R7'],
          [0, 'R8'],
        ],
      },
      {
        name: 'one role: from missing and no contract (R5 + R10)',
        bu: BU_NO_CONTRACT,
        roles: [scor('INSERT', undefined, undefined)],
        reported: [
          [0, 'R5'],
          [0, 'R10'],
        ],
      },
      {
        name: 'several roles and partners: D7 + R1 + R2 + R9 + R6',
        roles: [
          sbva,
          { role: 'S-COR', from: '2018-01-01', partner: { pmnumber: PM1 } },
          scor('INSERT', '2020-01-01', '2020-12-31', PM2),
          scor('INSERT', '2020-12-01', '2021-06-30', PM1),
          scor('UPDATE', '2021-01-01', '2020-01-01', PM2),
        ],
        partners: [MUSTERMANN, MUSTERFRAU, { ...MUSTERFRAU, name: 'Doppelt' }],
        reported: [
          [0, 'R1'],
          [1, 'R2'],
          [3, 'R9'],
          [4, 'R6'],
        ],
        partnerMessages: [[PM2, 'D7']],
      },
      {
        name: 'D8 + D7 + R1 together',
        roles: [sbva],
        partners: [MUSTERMANN, MUSTERMANN],
        reported: [[0, 'R1']],
        messages: ['D8'],
        partnerMessages: [[PM1, 'D7']],
      },
    ];
    it.each(cases)('$name', async (c) => {
      const unit = freshUnit(c.bu);
      await expectFail(
        unit,
        body(unit, c.roles, c.partners ?? [MUSTERMANN, MUSTERFRAU]),
        {
          messages: (c.messages ?? []).map(plain),
          roleMessages: c.reported.map(([index, code]) => echo(c.roles[index] as LooseRole, code)),
          partnerMessages: (c.partnerMessages ?? []).map(([pmnumber, code]) => partnerEcho(pmnumber, code)),
        },
        { anyOrder: true },
      );
    });
  });

  // The whole I/U/X table, with the cases that decide the order of its rules, is
  // test/unit/timeline-rules.test.ts; over HTTP one row per rule and one success per change.
  describe('5.3 applying S-COR changes: I1–I3, U1–U3, X1–X3 (first failure ends, everything rolled back)', () => {
    const cases: { name: string; state: State; roles: LooseRole[]; failing: [index: number, code: Code] }[] = [
      {
        name: 'I1: INSERT before the active role',
        state: 'open',
        roles: [scor('INSERT', '2017-01-01', '2017-12-31', PM2)],
        failing: [0, 'I1'],
      },
      {
        name: 'I2: active role is open-ended',
        state: 'open',
        roles: [scor('INSERT', '2022-06-01', undefined, PM2)],
        failing: [0, 'I2'],
      },
      {
        name: 'I3: new from = active to',
        state: 'closed',
        roles: [scor('INSERT', '2022-05-31', '2022-12-31', PM2)],
        failing: [0, 'I3'],
      },
      {
        name: 'I3 after an applied UPDATE in the same delivery (later changes see earlier ones); the UPDATE is rolled back',
        state: 'open',
        roles: [closeMustermann, scor('INSERT', '2022-05-31', undefined, PM2)],
        failing: [1, 'I3'],
      },
      { name: 'U1: the unit has no S-COR role', state: 'empty', roles: [closeMustermann], failing: [0, 'U1'] },
      {
        name: 'U2: active role has the pmnumber, with another from',
        state: 'open',
        roles: [scor('UPDATE', '2019-01-01', '2022-05-31')],
        failing: [0, 'U2'],
      },
      {
        name: 'U3: the matching role is the predecessor, not the active one',
        state: 'successor',
        roles: [scor('UPDATE', '2018-05-01', '2022-04-30')],
        failing: [0, 'U3'],
      },
      {
        name: 'X1: neither the role nor the active pmnumber matches',
        state: 'open',
        roles: [scor('DELETE', '2018-05-01', undefined, PM2)],
        failing: [0, 'X1'],
      },
      {
        name: 'X2: active role has the pmnumber, with another from',
        state: 'open',
        roles: [scor('DELETE', '2019-01-01', '2022-05-31')],
        failing: [0, 'X2'],
      },
      {
        name: 'X3: the matching role is the predecessor, not the active one',
        state: 'successor',
        roles: [scor('DELETE', '2018-05-01', '2022-05-31')],
        failing: [0, 'X3'],
      },
    ];
    it.each(cases)('$name', async (c) => {
      const unit = freshUnit();
      await prepare(unit, c.state);
      const [index, code] = c.failing;
      await expectFail(unit, body(unit, c.roles), { roleMessages: [echo(c.roles[index] as LooseRole, code)] });
    });

    const successes: { name: string; state: State; roles: LooseRole[]; shown: unknown[] }[] = [
      {
        name: 'INSERT after the ended active role',
        state: 'closed',
        roles: [scor('INSERT', '2022-06-01', undefined, PM2)],
        shown: [
          { role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: PM1 } },
          { role: 'S-COR', from: '2022-06-01', to: OPEN, partner: { pmnumber: PM2 } },
        ],
      },
      {
        name: 'UPDATE of the active role',
        state: 'open',
        roles: [closeMustermann],
        shown: [{ role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: PM1 } }],
      },
      {
        name: 'DELETE of the active role: its predecessor is active again',
        state: 'successor',
        roles: [scor('DELETE', '2022-06-01', undefined, PM2)],
        shown: [{ role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: PM1 } }],
      },
    ];
    it.each(successes)('$name → SUCCESS without messages, E2 shows the result', async (c) => {
      const unit = freshUnit();
      await prepare(unit, c.state);
      const result = await deliver(h.app, AUTH, unit.bu, unit.ru, body(unit, c.roles));
      expect(result).toMatchObject({ status: 'SUCCESS', messages: null, roleMessages: null, partnerMessages: null });
      expect(await rolesShown(unit)).toEqual(c.shown);
    });

    it('starting states are what the cases assume', async () => {
      // guards the preconditions themselves (STATE_DESCRIPTION)
      const shown: Record<string, unknown> = {};
      for (const state of ['open', 'closed', 'successor'] as const) {
        const unit = freshUnit();
        await prepare(unit, state);
        shown[STATE_DESCRIPTION[state]] = await rolesShown(unit);
      }
      expect(shown).toEqual({
        [STATE_DESCRIPTION.open]: [{ role: 'S-COR', from: '2018-05-01', to: OPEN, partner: { pmnumber: PM1 } }],
        [STATE_DESCRIPTION.closed]: [
          { role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: PM1 } },
        ],
        [STATE_DESCRIPTION.successor]: [
          { role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: PM1 } },
          { role: 'S-COR', from: '2022-06-01', to: '2022-12-31', partner: { pmnumber: PM2 } },
        ],
      });
    });
  });

  describe('5.3 unexpected failure while applying (database trigger raises for partner BOOM)', () => {
    beforeAll(async () => {
      await sql`
        CREATE FUNCTION osr_test_boom() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'boom (test trigger)';
        END $$
      `.execute(h.database.handle.db);
    });

    const cases: {
      operation: 'INSERT' | 'UPDATE' | 'DELETE';
      state: State;
      /** Delivered (successfully) before the trigger exists. */
      setup?: LooseRole[];
      roles: LooseRole[];
      failing: [index: number, code: Code];
      afterwards: LooseRole[];
      partnersAfterwards: unknown[];
      rolesAfterwards: unknown[];
    }[] = [
      {
        // the UPDATE before it is applied first and must be rolled back
        operation: 'INSERT',
        state: 'open',
        roles: [closeMustermann, scor('INSERT', '2022-06-01', undefined, 'BOOM')],
        failing: [1, 'INSERT_UNEXPECTED'],
        afterwards: [closeMustermann, scor('INSERT', '2022-06-01', '2022-12-31', PM2)],
        partnersAfterwards: [MUSTERMANN, MUSTERFRAU],
        rolesAfterwards: [
          { role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: PM1 } },
          { role: 'S-COR', from: '2022-06-01', to: '2022-12-31', partner: { pmnumber: PM2 } },
        ],
      },
      {
        // BOOM's role exists before; UPDATE is written as an UPDATE of the stored row
        operation: 'UPDATE',
        state: 'closed',
        setup: [scor('INSERT', '2022-06-01', undefined, 'BOOM')],
        roles: [scor('UPDATE', '2022-06-01', '2022-12-31', 'BOOM')],
        failing: [0, 'UPDATE_UNEXPECTED'],
        afterwards: [scor('DELETE', '2022-06-01', undefined, 'BOOM')],
        partnersAfterwards: [BOOM],
        rolesAfterwards: [{ role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: PM1 } }],
      },
      {
        operation: 'DELETE',
        state: 'closed',
        setup: [scor('INSERT', '2022-06-01', '2022-12-31', 'BOOM')],
        roles: [scor('DELETE', '2022-06-01', undefined, 'BOOM')],
        failing: [0, 'DELETE_UNEXPECTED'],
        afterwards: [scor('UPDATE', '2022-06-01', '2023-06-30', 'BOOM')],
        partnersAfterwards: [BOOM],
        rolesAfterwards: [
          { role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: PM1 } },
          { role: 'S-COR', from: '2022-06-01', to: '2023-06-30', partner: { pmnumber: 'BOOM' } },
        ],
      },
    ];

    it.each(cases)(
      '$operation of a role fails → FAIL with the "contact the support" message, nothing applied; the unit still works',
      async (c) => {
        const { db } = h.database.handle;
        const unit = freshUnit();
        await prepare(unit, c.state);
        if (c.setup) {
          const prepared = await deliver(h.app, AUTH, unit.bu, unit.ru, body(unit, c.setup, [BOOM]));
          expect(prepared.status).toBe('SUCCESS');
        }
        const row = c.operation === 'INSERT' ? 'NEW' : 'OLD';
        const trigger = `osr_test_boom_${c.operation.toLowerCase()}`;
        await sql
          .raw(
            `CREATE TRIGGER ${trigger} BEFORE ${c.operation} ON roles FOR EACH ROW ` +
              `WHEN (${row}.partner_pmnumber = 'BOOM') EXECUTE FUNCTION osr_test_boom()`,
          )
          .execute(db);
        try {
          const [index, code] = c.failing;
          await expectFail(unit, body(unit, c.roles, [MUSTERMANN, MUSTERFRAU, BOOM]), {
            roleMessages: [echo(c.roles[index] as LooseRole, code)],
          });
          // the error itself went to the log (without the delivered personal data: checked on close)
          expect(
            h.logs.matching('delivery failed unexpectedly').some((line) => line.includes('boom (test trigger)')),
          ).toBe(true);
          // the trigger is still there: an ordinary delivery for the same unit succeeds
          const later = await deliver(h.app, AUTH, unit.bu, unit.ru, body(unit, c.afterwards, c.partnersAfterwards));
          expect(later).toMatchObject({ status: 'SUCCESS', messages: null, roleMessages: null, partnerMessages: null });
          expect(await rolesShown(unit)).toEqual(c.rolesAfterwards);
        } finally {
          await sql.raw(`DROP TRIGGER IF EXISTS ${trigger} ON roles`).execute(db);
        }
      },
    );
  });
});
