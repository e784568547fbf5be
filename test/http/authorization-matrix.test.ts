import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultContracts } from '../../src/domain/profiles.js';
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
import { delivery, MESSAGE, MUSTERMANN, moveInMustermann } from '../support/spec.js';
import { PROFILES } from '../system/support/system-seed.js';

/**
 * OWASP API1 (object level authorisation) as a matrix: for every endpoint, client A tries B's
 * billing units, residential units and delivery ids, unknown ones, and mismatched combinations.
 * A foreign object must be indistinguishable from an unknown one, and nothing of B changes. Once
 * per profile (spec 8.1): under `arge` the billing units have contracts for S-BIR and S-BVA too,
 * and every delivery (B's own and A's attempts) also carries a billing recipient.
 */
const A = basic('alpha', 'alpha-password');
const B = basic('beta', 'beta-password');

const comparable = (response: LightMyRequestResponse) => {
  const headers = withoutPerRequestHeaders(response.headers);
  const body = response.json();
  if (body.dataDeliveryId) body.dataDeliveryId = '<id>'; // E1: a new id per POST
  return {
    status: response.statusCode,
    headers: { ...headers, location: headers.location ? '<location>' : undefined },
    body,
  };
};

describe.each(PROFILES)(
  'authorisation matrix, OSR_PROFILE=$name (every endpoint × foreign / unknown / mismatched objects)',
  (profile) => {
    const contracts = defaultContracts(profile);
    /** Mustermann moves in; under arge he is also the billing recipient from the same day. */
    const moveIn = (unit: { bu: string; ru: string }) =>
      profile.supportedRoles.has('S-BIR')
        ? delivery(
            [
              {
                change: 'INSERT',
                role: 'S-COR',
                from: '2018-05-01',
                partner: { pmnumber: MUSTERMANN.reference.pmnumber },
              },
              {
                change: 'INSERT',
                role: 'S-BIR',
                from: '2018-05-01',
                partner: { pmnumber: MUSTERMANN.reference.pmnumber },
              },
            ],
            [MUSTERMANN],
            unit,
          )
        : moveInMustermann(unit);
    let h: Harness;
    let deliveryOfA: string;
    let deliveryOfB: string;
    let casesTried = 0;
    beforeAll(async () => {
      h = await startHarness({ profile });
      await seed(h, {
        clients: [
          {
            id: 'alpha',
            billingUnits: [
              { mscnumber: '111111', contracts, units: ['0001'] },
              { mscnumber: '111112', contracts, units: ['0001'] },
            ],
          },
          { id: 'beta', billingUnits: [{ mscnumber: '222222', contracts, units: ['0001', '0002'] }] },
        ],
        credentials: [
          { clientId: 'alpha', username: 'alpha', password: 'alpha-password' },
          { clientId: 'beta', username: 'beta', password: 'beta-password' },
        ],
      });
      const ofA = await deliver(h.app, A, '111111', '0001', moveIn({ bu: '111111', ru: '0001' }));
      const ofB = await deliver(h.app, B, '222222', '0001', moveIn({ bu: '222222', ru: '0001' }));
      expect([ofA.status, ofB.status, ofA.roleMessages, ofB.roleMessages]).toEqual(['SUCCESS', 'SUCCESS', null, null]);
      deliveryOfA = ofA.dataDeliveryId;
      deliveryOfB = ofB.dataDeliveryId;
    });
    afterAll(async () => {
      console.log(`[authorisation matrix, ${profile.name}] cases tried: ${casesTried}, leaks: 0`);
      await h?.close();
    });

    const stateOfB = async () => {
      const { db } = h.database.handle;
      return {
        roles: await db.selectFrom('roles').selectAll().orderBy('id').execute(),
        partners: await db.selectFrom('partners').selectAll().orderBy('pmnumber').execute(),
        units: (await getRoles(h.app, B, '222222', '0001')).json(),
      };
    };

    it('E2: foreign billing/residential units and mismatched pairs look exactly like unknown ones', async () => {
      const unknown = comparable(await getRoles(h.app, A, '999999', '0001'));
      const unknownUnit = comparable(await getRoles(h.app, A, '111111', '0999'));
      expect(unknown.status).toBe(404);
      for (const [bu, ru, reference] of [
        ['222222', '0001', unknown], // B's unit
        ['222222', '0002', unknown], // B's unit without roles
        ['222222', '0999', unknown], // B's billing unit, unknown unit
        ['111111', '0002', unknownUnit], // B's unit number under A's billing unit
        ['111112', '0002', unknownUnit],
      ] as const) {
        casesTried += 1;
        expect(comparable(await getRoles(h.app, A, bu, ru)), `${bu}/${ru}`).toEqual(reference);
      }
    });

    it('E3: foreign delivery ids, foreign or wrong {bu} look exactly like an unknown id', async () => {
      const unknown = comparable(await getResult(h.app, A, '111111', randomUUID()));
      expect(unknown.status).toBe(404);
      for (const [auth, bu, id] of [
        [A, '222222', deliveryOfB], // B's delivery under B's billing unit
        [A, '111111', deliveryOfB], // B's delivery under A's billing unit
        [A, '999999', deliveryOfB], // … under an unknown billing unit
        [A, '111112', deliveryOfA], // A's delivery under A's other billing unit
        [A, '222222', deliveryOfA], // A's delivery under B's billing unit
        [B, '111111', deliveryOfA], // and the other way round
        [B, '222222', deliveryOfA],
        [A, '111111', deliveryOfA.toUpperCase().replace(/-/g, '')], // not a UUID as written
      ] as const) {
        casesTried += 1;
        const response = comparable(await getResult(h.app, auth, bu, id));
        expect(response, `${bu}/${id}`).toEqual(unknown);
      }
      casesTried += 1;
      expect((await getResult(h.app, A, '111111', deliveryOfA)).statusCode).toBe(200);
    });

    it('E1: writes to foreign units are accepted like writes to unknown ones, fail the same way, change nothing', async () => {
      const before = await stateOfB();
      // under arge the billing recipients are part of what must not change
      const movedIn = profile.supportedRoles.has('S-BIR') ? ['S-COR', 'S-BIR'] : ['S-COR'];
      expect(new Set(before.roles.map((role) => role.role))).toEqual(new Set(movedIn));
      const post = async (bu: string, ru: string) => {
        const response = await postDelivery(h.app, A, bu, ru, moveIn({ bu, ru }));
        return {
          response: comparable(response),
          result: await awaitResult(h.app, A, bu, response.json().dataDeliveryId),
        };
      };
      const strip = (result: Record<string, unknown>) => ({
        ...result,
        dataDeliveryId: '<id>',
        receivedAt: '<t>',
        processedAt: '<t>',
      });
      const unknownBillingUnit = await post('999999', '0001');
      const unknownUnit = await post('111111', '0999');
      expect(unknownBillingUnit.result.messages[0].key).toBe(MESSAGE.D5.key);
      expect(unknownUnit.result.messages[0].key).toBe(MESSAGE.D6.key);
      for (const [bu, ru, reference] of [
        ['222222', '0001', unknownBillingUnit],
        ['222222', '0002', unknownBillingUnit],
        ['111111', '0002', unknownUnit], // B's unit number under A's billing unit
      ] as const) {
        casesTried += 1;
        const attempt = await post(bu, ru);
        expect(attempt.response).toEqual(reference.response);
        expect(strip(attempt.result)).toEqual(strip(reference.result));
      }
      expect(
        await stateOfB().then(({ roles, partners, units }) => ({ roles, partners, units: { ...units, timestamp: 0 } })),
      ).toEqual({
        ...before,
        units: { ...before.units, timestamp: 0 },
      });
    });

    it('no other method on a delivery URL changes anything (not a route: 404)', async () => {
      casesTried += 1;
      const response = await h.app.inject({
        method: 'POST',
        url: `/arge/on-site-roles/v1/billingunits/222222/on-site-roles/data-delivery/${deliveryOfB}`,
        headers: { authorization: A, 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(response.statusCode).toBe(404);
    });

    it('failed logins are throttled per source address too (100 in 15 minutes), other addresses are not', async () => {
      const attempt = (username: string, password: string, remoteAddress: string) =>
        h.app.inject({
          method: 'GET',
          url: '/arge/on-site-roles/v1/billingunits/111111/residentialunits/0001/on-site-roles',
          headers: { authorization: basic(username, password) },
          remoteAddress,
        });
      for (let i = 0; i < 100; i++) {
        expect((await attempt(`guess-${i}`, 'wrong', '10.0.0.66')).statusCode).toBe(401);
      }
      const blocked = await attempt('alpha', 'alpha-password', '10.0.0.66');
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect((await attempt('alpha', 'alpha-password', '10.0.0.67')).statusCode).toBe(200);
    });

    it('unknown user and wrong password take the same time (one scrypt run each), within noise', async () => {
      const time = async (username: string, password: string, remoteAddress: string) => {
        const started = process.hrtime.bigint();
        const response = await h.app.inject({
          method: 'GET',
          url: '/arge/on-site-roles/v1/billingunits/111111/residentialunits/0001/on-site-roles',
          headers: { authorization: basic(username, password) },
          remoteAddress,
        });
        expect(response.statusCode).toBe(401);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      const unknown: number[] = [];
      const wrong: number[] = [];
      for (let i = 0; i < 8; i++) {
        // alternate, on fresh addresses and usernames, so neither throttle nor warm-up favours one
        unknown.push(await time(`nobody-${i}`, 'x', `10.1.0.${i}`));
        wrong.push(await time(i % 2 ? 'alpha' : 'beta', `wrong-${i}`, `10.2.0.${i}`));
      }
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
      const ratio = median(unknown) / median(wrong);
      console.log(
        `[timing] median unknown user ${median(unknown).toFixed(1)} ms, wrong password ${median(wrong).toFixed(1)} ms`,
      );
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    });
  },
);
