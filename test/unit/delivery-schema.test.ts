import { describe, expect, it } from 'vitest';
import {
  BILLING_UNIT_FORMAT,
  deliveryBodySchema,
  normaliseTo,
  RESIDENTIAL_UNIT_FORMAT,
} from '../../src/domain/delivery-schema.js';
import { useCase1, useCase2, useCase3 } from '../support/spec.js';

type Obj = Record<string, unknown>;
interface RawRole {
  [key: string]: unknown;
  partner: Obj;
}
interface RawPartner {
  [key: string]: unknown;
  reference: Obj;
}
interface RawBody {
  [key: string]: unknown;
  timestamp?: unknown;
  billingunit: {
    [key: string]: unknown;
    reference: Obj;
    residentialunit: { [key: string]: unknown; reference: Obj; roles?: unknown; partners?: unknown };
  };
}

/** The use case 1 body; `mutate` edits a fresh copy before it is parsed. */
function candidate(mutate: (body: RawBody) => void = () => {}): unknown {
  const raw = useCase1() as unknown as RawBody;
  mutate(raw);
  return raw;
}

const roleOf = (b: RawBody, i = 0) => (b.billingunit.residentialunit.roles as RawRole[])[i] as RawRole;
const partnerOf = (b: RawBody, i = 0) => (b.billingunit.residentialunit.partners as RawPartner[])[i] as RawPartner;
const phoneOf = (b: RawBody) => (partnerOf(b).phonenumbers as Obj[])[0] as Obj;

const accepts = (value: unknown) => expect(deliveryBodySchema.safeParse(value).success).toBe(true);
const rejects = (value: unknown) => expect(deliveryBodySchema.safeParse(value).success).toBe(false);

describe('delivery body schema (spec section 3)', () => {
  it.each([
    ['use case 1', useCase1],
    ['use case 2', useCase2],
    ['use case 3', useCase3],
  ])('accepts the body of %s of the source document', (_name, useCase) => {
    accepts(useCase());
  });

  describe('dates', () => {
    it('rejects the impossible date 2022-02-30 in from', () => {
      rejects(candidate((b) => (roleOf(b).from = '2022-02-30')));
    });
    it('rejects the impossible date 2022-02-30 in to', () => {
      rejects(candidate((b) => (roleOf(b).to = '2022-02-30')));
    });
    it('rejects 2023-02-29 (not a leap year) and 2022-04-31, 2022-13-01', () => {
      rejects(candidate((b) => (roleOf(b).from = '2023-02-29')));
      rejects(candidate((b) => (roleOf(b).from = '2022-04-31')));
      rejects(candidate((b) => (roleOf(b).from = '2022-13-01')));
    });
    it('accepts the leap day 2024-02-29', () => {
      const result = deliveryBodySchema.parse(candidate((b) => (roleOf(b).to = '2024-02-29')));
      expect(result.billingunit.residentialunit.roles?.[0]?.to).toBe('2024-02-29');
    });
    it('accepts 9999-12-31 as to', () => {
      accepts(candidate((b) => (roleOf(b).to = '9999-12-31')));
    });
    it('rejects dates not in YYYY-MM-DD form', () => {
      rejects(candidate((b) => (roleOf(b).from = '2022-5-1')));
      rejects(candidate((b) => (roleOf(b).from = '01.05.2018')));
      rejects(candidate((b) => (roleOf(b).from = '2018-05-01T00:00:00Z')));
    });
    it('timestamp: accepts Z and offsets, rejects missing offset and non-dates', () => {
      accepts(candidate((b) => (b.timestamp = '2022-05-16T10:17:17+02:00')));
      accepts(candidate((b) => (b.timestamp = '2022-05-16T10:17:17.123Z')));
      rejects(candidate((b) => (b.timestamp = '2022-05-16T10:17:17')));
      rejects(candidate((b) => (b.timestamp = '2022-05-16')));
      rejects(candidate((b) => (b.timestamp = 'yesterday')));
      rejects(candidate((b) => delete b.timestamp));
    });
  });

  describe('null means missing', () => {
    it('accepts null for every optional field', () => {
      const parsed = deliveryBodySchema.parse(
        candidate((b) => {
          b.billingunit.reference.pmnumber = null;
          b.billingunit.residentialunit.reference.pmnumber = null;
          Object.assign(roleOf(b), { change: null, from: null, to: null, partner: null });
          Object.assign(partnerOf(b), {
            reference: null,
            name: null,
            firstname: null,
            additionalname: null,
            commercial: null,
            email: null,
            taxnumber: null,
            phonenumbers: null,
          });
          roleOf(b, 1).partner = { pmnumber: null };
        }),
      );
      const role = parsed.billingunit.residentialunit.roles?.[0];
      expect(role?.from ?? null).toBeNull();
      expect(role?.to ?? null).toBeNull();
      expect(role?.change ?? null).toBeNull();
      expect(role?.partner ?? null).toBeNull();
    });
    it('accepts roles: null and partners: null', () => {
      accepts(
        candidate((b) => {
          b.billingunit.residentialunit.roles = null;
          b.billingunit.residentialunit.partners = null;
        }),
      );
    });
    it('accepts a body without roles and partners', () => {
      accepts(
        candidate((b) => {
          delete b.billingunit.residentialunit.roles;
          delete b.billingunit.residentialunit.partners;
        }),
      );
    });
    it('does not accept null for required fields', () => {
      rejects(candidate((b) => (roleOf(b).role = null)));
      rejects(candidate((b) => (b.billingunit.reference.mscnumber = null)));
      rejects(candidate((b) => (b.billingunit.residentialunit.reference.mscnumber = null)));
      rejects(candidate((b) => (b.timestamp = null)));
    });
  });

  it('strips unknown properties at every level', () => {
    const parsed = deliveryBodySchema.parse(
      candidate((b) => {
        b.extra = 1;
        b.billingunit.extra = 'x';
        b.billingunit.reference.extra = true;
        b.billingunit.residentialunit.extra = [];
        roleOf(b).extra = { a: 1 };
        roleOf(b).partner.extra = 'y';
        partnerOf(b).extra = 'z';
        partnerOf(b).reference.extra = 'z';
        phoneOf(b).extra = 'z';
      }),
    );
    const json = JSON.stringify(parsed);
    expect(json).not.toContain('extra');
    expect(parsed).toStrictEqual(deliveryBodySchema.parse(useCase1()));
  });

  describe('types, enums and required fields', () => {
    it('change must be INSERT, UPDATE or DELETE (or missing)', () => {
      rejects(candidate((b) => (roleOf(b).change = 'MODIFY')));
      rejects(candidate((b) => (roleOf(b).change = 'insert')));
      accepts(candidate((b) => delete roleOf(b).change));
    });
    it('role is required', () => {
      rejects(candidate((b) => delete roleOf(b).role));
    });
    it('commercial must be COMMERCIAL or NON_COMMERCIAL', () => {
      accepts(candidate((b) => (partnerOf(b).commercial = 'COMMERCIAL')));
      rejects(candidate((b) => (partnerOf(b).commercial = 'PRIVATE')));
    });
    it('phone type must be MOBILE, BUSINESS or PRIVATE', () => {
      accepts(candidate((b) => (phoneOf(b).type = 'BUSINESS')));
      accepts(candidate((b) => (phoneOf(b).type = 'PRIVATE')));
      rejects(candidate((b) => (phoneOf(b).type = 'FAX')));
    });
    it('billing unit and residential unit mscnumbers are required', () => {
      rejects(candidate((b) => delete b.billingunit.reference.mscnumber));
      rejects(candidate((b) => delete b.billingunit.residentialunit.reference.mscnumber));
    });
    it('rejects wrong types', () => {
      rejects(candidate((b) => (roleOf(b).from = 20180501)));
      rejects(candidate((b) => (b.billingunit.reference.mscnumber = 654321)));
      rejects(candidate((b) => (b.billingunit.residentialunit.roles = {})));
      rejects(candidate((b) => (partnerOf(b).phonenumbers = 'x')));
    });
  });

  describe('length limits', () => {
    it('billingunit.reference.mscnumber: 1-9 chars', () => {
      accepts(candidate((b) => (b.billingunit.reference.mscnumber = '099654321')));
      rejects(candidate((b) => (b.billingunit.reference.mscnumber = '0996543210')));
      rejects(candidate((b) => (b.billingunit.reference.mscnumber = '')));
    });
    it('residentialunit.reference.mscnumber: 1-4 chars', () => {
      accepts(candidate((b) => (b.billingunit.residentialunit.reference.mscnumber = '1')));
      rejects(candidate((b) => (b.billingunit.residentialunit.reference.mscnumber = '00001')));
      rejects(candidate((b) => (b.billingunit.residentialunit.reference.mscnumber = '')));
    });
    it('unit pmnumbers: 1-20 chars', () => {
      accepts(candidate((b) => (b.billingunit.reference.pmnumber = 'x'.repeat(20))));
      rejects(candidate((b) => (b.billingunit.reference.pmnumber = 'x'.repeat(21))));
      rejects(candidate((b) => (b.billingunit.reference.pmnumber = '')));
      accepts(candidate((b) => (b.billingunit.residentialunit.reference.pmnumber = 'x'.repeat(20))));
      rejects(candidate((b) => (b.billingunit.residentialunit.reference.pmnumber = 'x'.repeat(21))));
    });
    it('role: 1-10 chars', () => {
      accepts(candidate((b) => (roleOf(b).role = 'x'.repeat(10))));
      rejects(candidate((b) => (roleOf(b).role = 'x'.repeat(11))));
      rejects(candidate((b) => (roleOf(b).role = '')));
    });
    it('partner pmnumbers (role partner and partner reference): 1-20 chars', () => {
      accepts(
        candidate((b) => {
          roleOf(b).partner.pmnumber = '1'.repeat(20);
          partnerOf(b).reference.pmnumber = '1'.repeat(20);
        }),
      );
      rejects(candidate((b) => (roleOf(b).partner.pmnumber = '1'.repeat(21))));
      rejects(candidate((b) => (partnerOf(b).reference.pmnumber = '1'.repeat(21))));
      rejects(candidate((b) => (partnerOf(b).reference.pmnumber = '')));
    });
    it('name, firstname, additionalname: at most 100 chars', () => {
      for (const field of ['name', 'firstname', 'additionalname']) {
        accepts(candidate((b) => (partnerOf(b)[field] = 'a'.repeat(100))));
        rejects(candidate((b) => (partnerOf(b)[field] = 'a'.repeat(101))));
      }
    });
    it('email: at most 254 chars', () => {
      const email = (n: number) => `${'a'.repeat(n - '@example.org'.length)}@example.org`;
      accepts(candidate((b) => (partnerOf(b).email = email(254))));
      rejects(candidate((b) => (partnerOf(b).email = email(255))));
    });
    it('taxnumber: at most 20 chars', () => {
      accepts(candidate((b) => (partnerOf(b).taxnumber = '1'.repeat(20))));
      rejects(candidate((b) => (partnerOf(b).taxnumber = '1'.repeat(21))));
    });
    it('phone number: at most 30 chars; at most 10 phone numbers', () => {
      accepts(candidate((b) => (phoneOf(b).number = '1'.repeat(30))));
      rejects(candidate((b) => (phoneOf(b).number = '1'.repeat(31))));
      const phones = (n: number) => Array.from({ length: n }, () => ({ number: '0176-55555555', type: 'MOBILE' }));
      accepts(candidate((b) => (partnerOf(b).phonenumbers = phones(10))));
      rejects(candidate((b) => (partnerOf(b).phonenumbers = phones(11))));
    });
    it('roles: at most 100 items', () => {
      const roles = (n: number) =>
        Array.from({ length: n }, () => ({
          change: 'INSERT',
          role: 'S-COR',
          from: '2022-06-01',
          partner: { pmnumber: '1' },
        }));
      accepts(candidate((b) => (b.billingunit.residentialunit.roles = roles(100))));
      rejects(candidate((b) => (b.billingunit.residentialunit.roles = roles(101))));
    });
    it('partners: at most 100 items', () => {
      const partners = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ reference: { pmnumber: String(i) }, name: 'N', firstname: 'F' }));
      accepts(candidate((b) => (b.billingunit.residentialunit.partners = partners(100))));
      rejects(candidate((b) => (b.billingunit.residentialunit.partners = partners(101))));
    });
  });

  describe('path formats (section 1) and open end', () => {
    it.each(['654321', '000000', '099654321'])('billing unit %s is well-formed', (bu) => {
      expect(BILLING_UNIT_FORMAT.test(bu)).toBe(true);
    });
    it.each(['65432', '6543210', '098654321', '0996543210', '65432a', '', ' 654321'])(
      'billing unit %j is malformed',
      (bu) => {
        expect(BILLING_UNIT_FORMAT.test(bu)).toBe(false);
      },
    );
    it.each(['1', '01', '001', '0001', '9999'])('residential unit %s is well-formed', (ru) => {
      expect(RESIDENTIAL_UNIT_FORMAT.test(ru)).toBe(true);
    });
    it.each(['', '00001', 'a1', '1 ', '-1'])('residential unit %j is malformed', (ru) => {
      expect(RESIDENTIAL_UNIT_FORMAT.test(ru)).toBe(false);
    });
    it('to missing, null or 9999-12-31 all mean open-ended', () => {
      expect(normaliseTo(undefined)).toBeNull();
      expect(normaliseTo(null)).toBeNull();
      expect(normaliseTo('9999-12-31')).toBeNull();
      expect(normaliseTo('2022-05-31')).toBe('2022-05-31');
    });
  });
});
