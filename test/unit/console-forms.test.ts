import { describe, expect, it } from 'vitest';
import { describeHistoryValue, messageRows, partnerName } from '../../src/console/format.js';
import { isCalendarDate, parseDeliverySearch, parseUnitSearch, safeNext } from '../../src/console/forms.js';

describe('the console forms', () => {
  it('reads the deliveries filters: days received in UTC, both included, and the page', () => {
    const search = parseDeliverySearch({
      status: 'fail',
      client: ' acme ',
      billingUnit: '654321',
      residentialUnit: '0001',
      from: '2026-11-01',
      to: '2026-11-30',
      older: '42',
    });
    expect(search.errors).toEqual({});
    expect(search.filter).toEqual({
      status: 'FAIL',
      clientId: 'acme',
      billingUnit: '654321',
      residentialUnit: '0001',
      receivedFrom: new Date('2026-11-01T00:00:00Z'),
      receivedBefore: new Date('2026-12-01T00:00:00Z'),
    });
    expect(search.page).toEqual({ olderThan: '42', newerThan: undefined });
    expect(parseDeliverySearch({}).filter).toEqual({
      status: undefined,
      clientId: undefined,
      billingUnit: undefined,
      residentialUnit: undefined,
      receivedFrom: undefined,
      receivedBefore: undefined,
    });
  });

  it('says next to each field what is wrong with it; a field given twice counts once', () => {
    const { errors, values } = parseDeliverySearch({
      status: 'LOST',
      billingUnit: '12345',
      residentialUnit: '00001',
      from: '2023-02-30',
      to: 'yesterday',
      older: '1;DROP',
      client: ['acme', 'other'],
    });
    expect(Object.keys(errors).sort()).toEqual(['billingUnit', 'from', 'older', 'residentialUnit', 'status', 'to']);
    expect(values.client).toBe('acme');
    expect(parseDeliverySearch({ from: '2026-11-30', to: '2026-11-01' }).errors).toEqual({
      to: 'Not before the first day.',
    });
  });

  it('reads a unit search', () => {
    expect(parseUnitSearch({ billingUnit: '654321', residentialUnit: '0001' }).errors).toEqual({});
    expect(parseUnitSearch({ billingUnit: '099123456' }).errors).toEqual({});
    expect(Object.keys(parseUnitSearch({ billingUnit: 'x', residentialUnit: '12345' }).errors)).toEqual([
      'billingUnit',
      'residentialUnit',
    ]);
    expect(parseUnitSearch({ residentialUnit: '0001' }).errors).toEqual({ billingUnit: 'Enter the billing unit too.' });
  });

  it('goes on after signing in only to a console page', () => {
    expect(safeNext('/console/units/654321/0001')).toBe('/console/units/654321/0001');
    expect(safeNext('/console/deliveries?status=FAIL')).toBe('/console/deliveries?status=FAIL');
    for (const elsewhere of [
      'https://evil.example/',
      '//evil.example/console',
      '/console//evil',
      '/consoled',
      '/msc/v1/changes',
      '/console\\x',
      '',
    ]) {
      expect(safeNext(elsewhere)).toBe('/console');
    }
  });

  it('knows calendar dates', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2023-2-28')).toBe(false);
  });

  it('writes history entries, names and messages as the pages show them', () => {
    expect(describeHistoryValue('role', { role: 'S-COR', from: '2018-05-01', to: null, pmnumber: '12345611' })).toBe(
      'S-COR 2018-05-01 – open, partner 12345611',
    );
    expect(describeHistoryValue('partner', { pmnumber: '12345611', name: 'Mustermann', firstname: 'Max' })).toBe(
      'partner 12345611 (Mustermann, Max)',
    );
    expect(describeHistoryValue('partner', { pmnumber: '12345611' })).toBe('partner 12345611');
    expect(partnerName({ name: 'Mustermann', firstname: 'Max', additionalname: 'Maria' })).toBe(
      'Mustermann, Max Maria',
    );
    expect(partnerName({ name: 'ACME GmbH', firstname: null })).toBe('ACME GmbH');
    expect(
      messageRows({
        messages: [{ key: 'OSR-KALO', message: 'No supported role to process.' }],
        roleMessages: [
          {
            role: 'S-COR',
            from: '2022-06-01',
            to: '2022-12-31',
            partner: { pmnumber: '12345612', mscnumber: null },
            key: 'OSR-KALO',
            message: 'There is no matching role in the delete target.',
          },
        ],
        partnerMessages: null,
      }),
    ).toEqual([
      { level: 'delivery', subject: '', key: 'OSR-KALO', message: 'No supported role to process.' },
      {
        level: 'role',
        subject: 'S-COR 2022-06-01 partner 12345612',
        key: 'OSR-KALO',
        message: 'There is no matching role in the delete target.',
      },
    ]);
  });
});
