import { describe, expect, it } from 'vitest';
import { checkDeliverySynchronously, isValidEmail, isValidPhoneNumber } from '../../src/domain/sync-checks.js';
import { OPEN, partnerEcho, roleEcho, useCase1, useCase2, useCase3 } from '../support/spec.js';
import { body, parseBody, partner, role, shown } from './fixtures.js';

const ok = { roleMessages: [], partnerMessages: [] };

describe('checkDeliverySynchronously (spec section 4)', () => {
  it.each([
    ['use case 1', useCase1],
    ['use case 2', useCase2],
    ['use case 3', useCase3],
  ])('%s of the source document passes', (_name, useCase) => {
    expect(checkDeliverySynchronously(parseBody(useCase()))).toStrictEqual(ok);
  });

  it('passes a body without roles and partners', () => {
    expect(checkDeliverySynchronously(body({}))).toStrictEqual(ok);
    expect(checkDeliverySynchronously(body({ roles: null, partners: null }))).toStrictEqual(ok);
  });

  describe('OSR-1001: partner referenced in a role not sent', () => {
    it('reports a role whose partner.pmnumber is not among the partners, with the role echo', () => {
      const result = checkDeliverySynchronously(
        body({
          roles: [role('INSERT', '2022-06-01', '2022-12-31', '999'), role('UPDATE', '2018-05-01', '2022-05-31', '1')],
          partners: [partner('1')],
        }),
      );
      expect(result).toStrictEqual({
        roleMessages: [roleEcho(shown('S-COR', '2022-06-01', '2022-12-31', '999'), 'OSR-1001')],
        partnerMessages: [],
      });
    });

    it('reports it when there are no partners at all (open to rendered 9999-12-31)', () => {
      const result = checkDeliverySynchronously(body({ roles: [role('INSERT', '2022-06-01', undefined, '1')] }));
      expect(result.roleMessages).toStrictEqual([roleEcho(shown('S-COR', '2022-06-01', OPEN, '1'), 'OSR-1001')]);
    });

    it('applies to every role type, not only S-COR', () => {
      const result = checkDeliverySynchronously(
        body({ roles: [role('INSERT', '2022-06-01', undefined, '7', 'S-XYZ')], partners: [partner('1')] }),
      );
      expect(result.roleMessages).toStrictEqual([roleEcho(shown('S-XYZ', '2022-06-01', OPEN, '7'), 'OSR-1001')]);
    });

    it('leaves a role without partner, or without pmnumber, to R3/R4', () => {
      const roles = [
        role('INSERT', '2022-06-01', undefined, undefined),
        { ...role('INSERT', '2022-06-01', undefined, undefined), partner: {} },
        { ...role('INSERT', '2022-06-01', undefined, undefined), partner: { pmnumber: null } },
        { ...role('INSERT', '2022-06-01', undefined, undefined), partner: null },
      ];
      expect(checkDeliverySynchronously(body({ roles, partners: [partner('1')] }))).toStrictEqual(ok);
    });

    it('does not match against a partner without reference', () => {
      const result = checkDeliverySynchronously(
        body({ roles: [role('INSERT', '2022-06-01', undefined, '1')], partners: [partner(undefined)] }),
      );
      expect(result.roleMessages).toStrictEqual([roleEcho(shown('S-COR', '2022-06-01', OPEN, '1'), 'OSR-1001')]);
    });
  });

  describe('OSR-1004: from missing for billing recipient changes', () => {
    it.each(['S-BIR', 'S-BVA'])('reports %s without from (from: null in the echo)', (type) => {
      const result = checkDeliverySynchronously(
        body({ roles: [role('INSERT', undefined, '2022-12-31', '1', type)], partners: [partner('1')] }),
      );
      expect(result).toStrictEqual({
        roleMessages: [roleEcho(shown(type, null, '2022-12-31', '1'), 'OSR-1004')],
        partnerMessages: [],
      });
    });

    it('treats from: null as missing', () => {
      const result = checkDeliverySynchronously(
        body({
          roles: [{ ...role('UPDATE', undefined, undefined, '1', 'S-BVA'), from: null }],
          partners: [partner('1')],
        }),
      );
      expect(result.roleMessages).toStrictEqual([roleEcho(shown('S-BVA', null, OPEN, '1'), 'OSR-1004')]);
    });

    it('does not report S-BIR/S-BVA with from, nor S-COR without from (that is R5)', () => {
      const roles = [
        role('INSERT', '2022-06-01', undefined, '1', 'S-BIR'),
        role('INSERT', '2022-06-01', undefined, '1', 'S-BVA'),
        role('INSERT', undefined, undefined, '1', 'S-COR'),
      ];
      expect(checkDeliverySynchronously(body({ roles, partners: [partner('1')] }))).toStrictEqual(ok);
    });

    it('reports OSR-1001 and OSR-1004 on the same role', () => {
      const result = checkDeliverySynchronously(
        body({ roles: [role('INSERT', undefined, undefined, '9', 'S-BIR')], partners: [partner('1')] }),
      );
      expect(result.roleMessages).toHaveLength(2);
      expect(result.roleMessages).toEqual(
        expect.arrayContaining([
          roleEcho(shown('S-BIR', null, OPEN, '9'), 'OSR-1001'),
          roleEcho(shown('S-BIR', null, OPEN, '9'), 'OSR-1004'),
        ]),
      );
    });

    it('reports a missing partner as {pmnumber: null, mscnumber: null} in the echo', () => {
      const result = checkDeliverySynchronously(
        body({ roles: [role('DELETE', undefined, undefined, undefined, 'S-BIR')] }),
      );
      expect(result.roleMessages).toStrictEqual([roleEcho(shown('S-BIR', null, OPEN, null), 'OSR-1004')]);
    });
  });

  describe('OSR-1002: invalid email', () => {
    it('reports the partner with the partner echo', () => {
      const result = checkDeliverySynchronously(
        body({ partners: [partner('1', { email: 'max@example.org' }), partner('2', { email: 'not-an-address' })] }),
      );
      expect(result).toStrictEqual({
        roleMessages: [],
        partnerMessages: [partnerEcho('2', 'OSR-1002')],
      });
    });

    it('ignores a missing or null email', () => {
      expect(
        checkDeliverySynchronously(body({ partners: [partner('1'), partner('2', { email: null })] })),
      ).toStrictEqual(ok);
    });

    it('echoes pmnumber null for a partner without reference', () => {
      const result = checkDeliverySynchronously(body({ partners: [partner(undefined, { email: 'a@b@c' })] }));
      expect(result.partnerMessages).toStrictEqual([partnerEcho(null, 'OSR-1002')]);
    });
  });

  describe('OSR-1003: invalid phone number', () => {
    it('reports the partner with the partner echo', () => {
      const result = checkDeliverySynchronously(
        body({
          partners: [
            partner('1', { phonenumbers: [{ number: '0176-55555555', type: 'MOBILE' }] }),
            partner('2', {
              phonenumbers: [
                { number: '0176 55555555', type: 'PRIVATE' },
                { number: '1234', type: 'BUSINESS' },
              ],
            }),
          ],
        }),
      );
      expect(result).toStrictEqual({
        roleMessages: [],
        partnerMessages: [partnerEcho('2', 'OSR-1003')],
      });
    });

    it('accepts a partner without phone numbers', () => {
      expect(
        checkDeliverySynchronously(
          body({ partners: [partner('1', { phonenumbers: [] }), partner('2', { phonenumbers: null })] }),
        ),
      ).toStrictEqual(ok);
    });
  });

  it('reports every failure, not only the first', () => {
    const result = checkDeliverySynchronously(
      body({
        roles: [
          role('INSERT', '2022-06-01', undefined, '9'),
          role('INSERT', undefined, undefined, '1', 'S-BIR'),
          role('UPDATE', undefined, '2022-12-31', '8', 'S-BVA'),
        ],
        partners: [
          partner('1', { email: 'bad', phonenumbers: [{ number: 'abc', type: 'MOBILE' }] }),
          partner('2', { phonenumbers: [{ number: '+', type: 'MOBILE' }] }),
          partner('3', { email: 'x@y' }),
        ],
      }),
    );
    expect(result.roleMessages).toHaveLength(4);
    expect(result.roleMessages).toEqual(
      expect.arrayContaining([
        roleEcho(shown('S-COR', '2022-06-01', OPEN, '9'), 'OSR-1001'),
        roleEcho(shown('S-BIR', null, OPEN, '1'), 'OSR-1004'),
        roleEcho(shown('S-BVA', null, '2022-12-31', '8'), 'OSR-1001'),
        roleEcho(shown('S-BVA', null, '2022-12-31', '8'), 'OSR-1004'),
      ]),
    );
    expect(result.partnerMessages).toHaveLength(3);
    expect(result.partnerMessages).toEqual(
      expect.arrayContaining([
        partnerEcho('1', 'OSR-1002'),
        partnerEcho('1', 'OSR-1003'),
        partnerEcho('2', 'OSR-1003'),
      ]),
    );
  });
});

describe('isValidEmail (WHATWG/HTML valid e-mail address)', () => {
  it.each([
    'max@example.org',
    'Max.Mustermann@Example.ORG',
    'a.b+tag@sub.example.co.uk',
    "!#$%&'*+/=?^_`{|}~-@example.org",
    'user@localhost',
    'a..b@example.org',
    '.a@example.org',
    '1@2.3',
    'x@a-b.de',
    `a@${'b'.repeat(63)}.de`,
  ])('accepts %j', (email) => {
    expect(isValidEmail(email)).toBe(true);
  });

  it.each([
    '',
    'plain',
    '@example.org',
    'max@',
    'max@@example.org',
    'max@example..org',
    'max@.example.org',
    'max@example.org.',
    'max@-example.org',
    'max@example-.org',
    'max@ex_ample.org',
    'max @example.org',
    ' max@example.org',
    'max@example.org ',
    'max@example.org\n',
    'jörg@example.de',
    'max@exämple.de',
    '"max"@example.org',
    'max(comment)@example.org',
    'max@[127.0.0.1]',
    `a@${'b'.repeat(64)}.de`,
  ])('rejects %j', (email) => {
    expect(isValidEmail(email)).toBe(false);
  });
});

describe('isValidPhoneNumber (optional leading +, digits, spaces, - / ( ), 5..20 digits)', () => {
  it.each([
    '0176-55555555',
    '0176 55555555',
    '+49 176 55555555',
    '+49 (0)176/555-555',
    '(030) 123 45',
    '12345',
    '+12345',
    '1-2-3-4-5',
    ' 12345',
    '12345 ',
    '1'.repeat(20),
    `+${'1'.repeat(20)}`,
    '1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0',
  ])('accepts %j', (number) => {
    expect(isValidPhoneNumber(number)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['+', 'no digits'],
    ['1234', '4 digits'],
    ['+1234', '4 digits with +'],
    ['12-34', '4 digits with separator'],
    ['1'.repeat(21), '21 digits'],
    [`+${'1'.repeat(21)}`, '21 digits with +'],
    ['++4917655555', 'two pluses'],
    ['49+17655555', 'plus not leading'],
    [' +4917655555', 'plus after a space'],
    ['0176.55555555', 'dot'],
    ['0176_55555555', 'underscore'],
    ['0176 5555 ext 12', 'letters'],
    ['0176-5555555#', 'hash'],
    ['0176[5555555]', 'brackets'],
    ['0176\t55555555', 'tab'],
    ['0176555555\n', 'newline'],
    ['١٢٣٤٥٦٧', 'non-ASCII digits'],
    ['０１７６５５５５５', 'full-width digits'],
  ])('rejects %j (%s)', (number) => {
    expect(isValidPhoneNumber(number)).toBe(false);
  });
});
