import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentRolesSchema, deliveryResultSchema } from '../../src/domain/response-schema.js';
import { basic, deliver, getRoles, type Harness, seed, startHarness } from '../support/harness.js';
import { MESSAGE, moveInMustermann, useCase1, useCase2, useCase3 } from '../support/spec.js';

const AUTH = basic('erp', 'erp-password');

describe('use cases 1–3 end to end (POST → poll E3 → GET E2)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001'] }] }],
      credentials: [{ clientId: 'acme', username: 'erp', password: 'erp-password' }],
    });
  });
  afterAll(() => h.close());

  const roles = async () => {
    const response = await getRoles(h.app, AUTH, '654321', '0001');
    expect(response.statusCode).toBe(200);
    const body = currentRolesSchema.parse(response.json());
    return body.billingunit.residentialunit;
  };

  it('starts with Mustermann living in the unit without an end date', async () => {
    const result = await deliver(h.app, AUTH, '654321', '0001', moveInMustermann());
    expect(deliveryResultSchema.parse(result).status).toBe('SUCCESS');
    expect(result).toMatchObject({ roleMessages: null, partnerMessages: null, messages: null });
    expect((await roles()).roles).toEqual([
      { role: 'S-COR', from: '2018-05-01', to: '9999-12-31', partner: { pmnumber: '12345611' } },
    ]);
  });

  it('UC1: Mustermann moves out, Musterfrau moves in (UPDATE then INSERT in one delivery)', async () => {
    const result = await deliver(h.app, AUTH, '654321', '0001', useCase1());
    expect(result.status).toBe('SUCCESS');
    expect(typeof result.processedAt).toBe('string');
    const unit = await roles();
    expect(unit.roles).toEqual([
      { role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: '12345611' } },
      { role: 'S-COR', from: '2022-06-01', to: '2022-12-31', partner: { pmnumber: '12345612' } },
    ]);
    expect(unit.partners.map((p) => [p.reference.pmnumber, p.name, p.firstname])).toEqual([
      ['12345611', 'Mustermann', 'Max'],
      ['12345612', 'Musterfrau', 'Meike'],
    ]);
    expect(unit.reference).toEqual({ pmnumber: '1234561', mscnumber: '0001' });
  });

  it('UC2: Musterfrau gets a later move-out date, and her delivered partner data is stored', async () => {
    const result = await deliver(h.app, AUTH, '654321', '0001', useCase2());
    expect(result.status).toBe('SUCCESS');
    const unit = await roles();
    expect(unit.roles[1]).toEqual({
      role: 'S-COR',
      from: '2022-06-01',
      to: '2023-07-31',
      partner: { pmnumber: '12345612' },
    });
    expect(unit.partners.find((p) => p.reference.pmnumber === '12345612')?.name).toBe('Mustermann');
  });

  it('UC3: the move-in of Musterfrau is deleted; Mustermann is the active role again', async () => {
    const result = await deliver(h.app, AUTH, '654321', '0001', useCase3());
    expect(result.status).toBe('SUCCESS');
    const unit = await roles();
    expect(unit.roles).toEqual([
      { role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: '12345611' } },
    ]);
    expect(unit.partners.map((p) => p.reference.pmnumber)).toEqual(['12345611']);
  });

  it('a FAIL delivery changes nothing, even when its first change would have succeeded', async () => {
    const before = await roles();
    const result = await deliver(h.app, AUTH, '654321', '0001', {
      ...useCase1(),
      billingunit: {
        ...useCase1().billingunit,
        residentialunit: {
          ...useCase1().billingunit.residentialunit,
          roles: [
            // would succeed: Mustermann's end date changes
            {
              change: 'UPDATE',
              role: 'S-COR',
              from: '2018-05-01',
              to: '2022-04-30',
              partner: { pmnumber: '12345611' },
            },
            // fails: I1, before the active role
            {
              change: 'INSERT',
              role: 'S-COR',
              from: '2017-01-01',
              to: '2017-12-31',
              partner: { pmnumber: '12345612' },
            },
          ],
        },
      },
    });
    expect(result).toMatchObject({
      status: 'FAIL',
      roleMessages: [
        {
          role: 'S-COR',
          from: '2017-01-01',
          to: '2017-12-31',
          partner: { pmnumber: '12345612', mscnumber: null },
          ...MESSAGE.I1,
        },
      ],
    });
    const after = await roles();
    expect(after.roles).toEqual(before.roles);
    expect(after.partners).toEqual(before.partners);
  });

  it('applied each delivery with the one-statement write (no fallback to change-by-change)', () => {
    expect(h.logs.matching('one-statement write failed')).toEqual([]);
  });

  it('keeps every applied change in the append-only history, with delivery and credential', async () => {
    const { db } = h.database.handle;
    const history = await db.selectFrom('change_history').selectAll().orderBy('id').execute();
    expect(history.filter((entry) => entry.entity === 'role').map((entry) => entry.change)).toEqual([
      'INSERT', // move-in
      'UPDATE', // UC1
      'INSERT',
      'UPDATE', // UC2
      'DELETE', // UC3
    ]);
    expect(new Set(history.map((entry) => entry.credential))).toEqual(new Set(['erp']));
    const deleted = history.find((entry) => entry.change === 'DELETE');
    expect(deleted?.before).toEqual({ role: 'S-COR', from: '2022-06-01', to: '2023-07-31', pmnumber: '12345612' });
    expect(deleted?.after).toBeNull();
    await expect(db.deleteFrom('change_history').execute()).rejects.toThrow(/append-only/);
    await expect(db.updateTable('change_history').set({ credential: 'x' }).execute()).rejects.toThrow(/append-only/);
  });
});
