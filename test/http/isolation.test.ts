import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awaitResult,
  basic,
  deliver,
  getResult,
  getRoles,
  type Harness,
  postDelivery,
  seed,
  startHarness,
} from '../support/harness.js';
import { withoutPerRequestHeaders } from '../support/headers.js';
import { HTTP_ERROR, MESSAGE, moveInMustermann, useCase1 } from '../support/spec.js';

/**
 * Per-client isolation (spec sections 2 and 5): a client sees and changes only its own billing
 * units, and reads only its own deliveries. Another client's billing unit is indistinguishable
 * from one that does not exist.
 */

const A1 = basic('alpha-erp', 'alpha-password');
const A2 = basic('alpha-second', 'alpha-second-password');
const B1 = basic('beta-erp', 'beta-password');

const BU_A = '111111';
const BU_B = '222222';
const BU_UNKNOWN = '999999';

const D5 = MESSAGE.D5;
const DELIVERY_NOT_FOUND = HTTP_ERROR.deliveryNotFound;
const UNIT_NOT_FOUND = MESSAGE.UNIT_NOT_FOUND;

/** Same status, same headers (apart from the request id), byte-identical body. */
function expectIndistinguishable(actual: LightMyRequestResponse, reference: LightMyRequestResponse): void {
  expect(actual.statusCode).toBe(reference.statusCode);
  expect(actual.body).toBe(reference.body);
  expect(withoutPerRequestHeaders(actual.headers)).toEqual(withoutPerRequestHeaders(reference.headers));
}

/** A delivery result without the fields that differ per delivery. */
const comparable = (result: Record<string, unknown>) => {
  const { dataDeliveryId: _id, receivedAt: _received, processedAt: _processed, ...rest } = result;
  return rest;
};

describe('per-client isolation', () => {
  let h: Harness;
  let betaDeliveryId: string;
  let alphaDeliveryId: string;

  const unitState = async (bu: string, ru: string) => {
    const { db } = h.database.handle;
    const unit = await db
      .selectFrom('residential_units')
      .select('id')
      .where('billing_unit', '=', bu)
      .where('mscnumber', '=', ru)
      .executeTakeFirstOrThrow();
    const [roles, partners, history] = await Promise.all([
      db.selectFrom('roles').selectAll().where('residential_unit', '=', unit.id).orderBy('id').execute(),
      db.selectFrom('partners').selectAll().where('residential_unit', '=', unit.id).orderBy('pmnumber').execute(),
      db.selectFrom('change_history').selectAll().where('residential_unit', '=', unit.id).orderBy('id').execute(),
    ]);
    return { roles, partners, history };
  };

  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [
        { id: 'alpha', billingUnits: [{ mscnumber: BU_A, units: ['0001', '0002'] }] },
        { id: 'beta', billingUnits: [{ mscnumber: BU_B, units: ['0001', '0002'] }] },
      ],
      credentials: [
        { clientId: 'alpha', username: 'alpha-erp', password: 'alpha-password' },
        { clientId: 'alpha', username: 'alpha-second', password: 'alpha-second-password', readOnly: true },
        { clientId: 'beta', username: 'beta-erp', password: 'beta-password' },
      ],
    });
    const beta = await postDelivery(h.app, B1, BU_B, '0001', moveInMustermann({ bu: BU_B }));
    expect(beta.statusCode).toBe(202);
    betaDeliveryId = beta.json().dataDeliveryId;
    expect((await awaitResult(h.app, B1, BU_B, betaDeliveryId)).status).toBe('SUCCESS');
    const alpha = await postDelivery(h.app, A1, BU_A, '0001', moveInMustermann({ bu: BU_A }));
    expect(alpha.statusCode).toBe(202);
    alphaDeliveryId = alpha.json().dataDeliveryId;
    expect((await awaitResult(h.app, A1, BU_A, alphaDeliveryId)).status).toBe('SUCCESS');
  });
  afterAll(() => h?.close());

  describe('E2', () => {
    it('each client reads its own unit', async () => {
      expect((await getRoles(h.app, A1, BU_A, '0001')).statusCode).toBe(200);
      expect((await getRoles(h.app, B1, BU_B, '0001')).statusCode).toBe(200);
    });

    it("A on B's billing unit looks exactly like an unknown billing unit", async () => {
      const unknown = await getRoles(h.app, A1, BU_UNKNOWN, '0001');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toEqual({
        status: 'FAIL',
        messages: [UNIT_NOT_FOUND],
        roleMessages: null,
        partnerMessages: null,
      });
      // B's unit with roles, B's unit without roles, a unit B does not have
      for (const ru of ['0001', '0002', '0003']) {
        expectIndistinguishable(await getRoles(h.app, A1, BU_B, ru), unknown);
        expectIndistinguishable(await getRoles(h.app, A2, BU_B, ru), unknown);
      }
      // and the other way round
      expectIndistinguishable(await getRoles(h.app, B1, BU_A, '0001'), await getRoles(h.app, B1, BU_UNKNOWN, '0001'));
    });
  });

  describe('E1', () => {
    it("A's POST to B's unit is accepted but ends FAIL with OSR-2001, exactly like an unknown unit; B's data is unchanged", async () => {
      const betaRolesBefore = (await getRoles(h.app, B1, BU_B, '0001')).json();
      const betaStateBefore = await unitState(BU_B, '0001');
      expect(betaStateBefore.roles).toHaveLength(1);

      const onForeign = await postDelivery(h.app, A1, BU_B, '0001', useCase1({ bu: BU_B }));
      const onUnknown = await postDelivery(h.app, A1, BU_UNKNOWN, '0001', useCase1({ bu: BU_UNKNOWN }));
      expect(onForeign.statusCode, onForeign.body).toBe(202);
      expect(onUnknown.statusCode, onUnknown.body).toBe(202);
      expect(Object.keys(onForeign.json())).toEqual(['dataDeliveryId']);

      const foreignResult = await awaitResult(h.app, A1, BU_B, onForeign.json().dataDeliveryId);
      const unknownResult = await awaitResult(h.app, A1, BU_UNKNOWN, onUnknown.json().dataDeliveryId);
      expect(foreignResult).toMatchObject({
        status: 'FAIL',
        messages: [D5],
        roleMessages: null,
        partnerMessages: null,
      });
      expect(comparable(foreignResult)).toEqual(comparable(unknownResult));

      const betaRolesAfter = (await getRoles(h.app, B1, BU_B, '0001')).json();
      expect({ ...betaRolesAfter, timestamp: null }).toEqual({ ...betaRolesBefore, timestamp: null });
      expect(await unitState(BU_B, '0001')).toEqual(betaStateBefore);
    });

    it("A's POST to B's unit without roles creates nothing there either", async () => {
      const before = await unitState(BU_B, '0002');
      const result = await deliver(h.app, A1, BU_B, '0002', moveInMustermann({ bu: BU_B, ru: '0002' }));
      expect(result).toMatchObject({ status: 'FAIL', messages: [D5] });
      expect(await unitState(BU_B, '0002')).toEqual(before);
      expect((await getRoles(h.app, B1, BU_B, '0002')).json().messages).toEqual([MESSAGE.NO_ROLES]);
    });

    it("B's own deliveries are not disturbed by A's attempts: B still works on its unit", async () => {
      const result = await deliver(h.app, B1, BU_B, '0001', useCase1({ bu: BU_B }));
      expect(result.status).toBe('SUCCESS');
    });
  });

  describe('E3', () => {
    it("A cannot read B's delivery, neither under B's {bu} nor under its own; identical to an unknown id", async () => {
      expect((await getResult(h.app, B1, BU_B, betaDeliveryId)).statusCode).toBe(200);

      const unknownId = await getResult(h.app, A1, BU_B, randomUUID());
      expect(unknownId.statusCode).toBe(404);
      expect(unknownId.json()).toEqual({
        status: 'FAIL',
        messages: [DELIVERY_NOT_FOUND],
        roleMessages: null,
        partnerMessages: null,
      });
      for (const auth of [A1, A2]) {
        expectIndistinguishable(await getResult(h.app, auth, BU_B, betaDeliveryId), unknownId);
        expectIndistinguishable(await getResult(h.app, auth, BU_A, betaDeliveryId), unknownId);
        expectIndistinguishable(await getResult(h.app, auth, BU_UNKNOWN, betaDeliveryId), unknownId);
      }
    });

    it("A on B's billing unit looks exactly like an unknown billing unit", async () => {
      const id = randomUUID();
      expectIndistinguishable(await getResult(h.app, A1, BU_B, id), await getResult(h.app, A1, BU_UNKNOWN, id));
    });

    it("B cannot read A's deliveries, not even those A POSTed under B's own billing unit", async () => {
      const attempt = await postDelivery(h.app, A1, BU_B, '0001', moveInMustermann({ bu: BU_B }));
      expect(attempt.statusCode).toBe(202);
      const id = attempt.json().dataDeliveryId;
      expect((await awaitResult(h.app, A1, BU_B, id)).status).toBe('FAIL');
      const unknownId = await getResult(h.app, B1, BU_B, randomUUID());
      expectIndistinguishable(await getResult(h.app, B1, BU_B, id), unknownId);
      expectIndistinguishable(await getResult(h.app, B1, BU_A, alphaDeliveryId), unknownId);
    });

    it("a second credential of client A reads A's deliveries (also one made under B's or an unknown {bu})", async () => {
      const own = await getResult(h.app, A2, BU_A, alphaDeliveryId);
      expect(own.statusCode).toBe(200);
      expect(own.json()).toEqual((await getResult(h.app, A1, BU_A, alphaDeliveryId)).json());
      expect(own.json()).toMatchObject({ dataDeliveryId: alphaDeliveryId, status: 'SUCCESS' });

      for (const bu of [BU_B, BU_UNKNOWN]) {
        const response = await postDelivery(h.app, A1, bu, '0001', moveInMustermann({ bu }));
        expect(response.statusCode).toBe(202);
        const id = response.json().dataDeliveryId;
        const result = await awaitResult(h.app, A2, bu, id);
        expect(result).toMatchObject({ dataDeliveryId: id, status: 'FAIL', messages: [D5] });
      }
    });
  });
});
