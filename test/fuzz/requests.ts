import fc from 'fast-check';

/**
 * Generators of hostile and odd requests for E1–E3: valid deliveries with odd-but-valid values
 * (unicode, maximum lengths, leap days, 9999-12-31, nulls), mutated deliveries, arbitrary JSON,
 * non-JSON bodies, odd path parameters and headers.
 */

const unicodeText = (max: number) =>
  fc.oneof(
    fc.string({ maxLength: max, unit: 'grapheme' }),
    fc.string({ maxLength: max, unit: 'binary' }),
    fc.constantFrom('Müller-Lüdenscheidt', 'Ölçek', 'Ñandú', '李小龙', '👩‍👩‍👧', 'O\u0027Brien', '"quoted"', '\\'),
  );

const maybeNull = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof(arbitrary, fc.constant(null), fc.constant(undefined));

const date = fc.oneof(
  fc.constantFrom('2024-02-29', '2023-02-29', '2022-02-30', '9999-12-31', '0001-01-01', '0000-01-01', '2022-13-01', ''),
  fc
    .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
);

const pmnumber = fc.oneof(fc.stringMatching(/^\d{1,8}$/), unicodeText(25));

const role = fc.record(
  {
    change: maybeNull(fc.constantFrom('INSERT', 'UPDATE', 'DELETE', 'insert', 'MODIFY')),
    role: fc.oneof(fc.constantFrom('S-COR', 'S-BIR', 'S-BVA', 'X'), unicodeText(12)),
    from: maybeNull(date),
    to: maybeNull(date),
    partner: maybeNull(fc.record({ pmnumber: maybeNull(pmnumber) }, { requiredKeys: [] })),
  },
  { requiredKeys: ['role'] },
);

const partner = fc.record(
  {
    reference: maybeNull(fc.record({ pmnumber: maybeNull(pmnumber) }, { requiredKeys: [] })),
    name: maybeNull(unicodeText(105)),
    firstname: maybeNull(unicodeText(105)),
    additionalname: maybeNull(unicodeText(105)),
    commercial: maybeNull(fc.constantFrom('COMMERCIAL', 'NON_COMMERCIAL', 'BOTH')),
    email: maybeNull(fc.oneof(fc.emailAddress(), unicodeText(30))),
    taxnumber: maybeNull(unicodeText(22)),
    phonenumbers: maybeNull(
      fc.array(
        fc.record({
          number: fc.oneof(fc.stringMatching(/^\+?[0-9 ()/-]{3,25}$/), unicodeText(32)),
          type: fc.constantFrom('MOBILE', 'BUSINESS', 'PRIVATE', 'FAX'),
        }),
        { maxLength: 11 },
      ),
    ),
  },
  { requiredKeys: [] },
);

const unitPath = fc.oneof(
  fc.constantFrom('654321', '0001', '099654321', '1234', '0', '00001', '12345'),
  fc.stringMatching(/^\d{1,10}$/),
  fc.string({ minLength: 1, maxLength: 12 }),
);

/** A delivery for the path (bu, ru); the body's own numbers usually match, sometimes not. */
const delivery = (bu: string, ru: string) =>
  fc.record({
    timestamp: fc.oneof(
      fc.constantFrom('2022-05-16T10:17:17Z', '2024-02-29T23:59:59.999+14:00', '2022-05-16', 'now'),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    billingunit: fc.record({
      reference: fc.record({ pmnumber: maybeNull(unicodeText(21)), mscnumber: fc.oneof(fc.constant(bu), unitPath) }),
      residentialunit: fc.record({
        reference: fc.record({ pmnumber: maybeNull(unicodeText(21)), mscnumber: fc.oneof(fc.constant(ru), unitPath) }),
        roles: maybeNull(fc.array(role, { maxLength: 4 })),
        partners: maybeNull(fc.array(partner, { maxLength: 4 })),
      }),
    }),
  });

/** Deliveries that pass the schema and OSR-1xxx, with odd-but-valid values, for the worker. */
const validText = (min: number, max: number) =>
  fc
    .oneof(
      fc.string({ minLength: min, maxLength: max, unit: 'grapheme' }),
      fc.constantFrom('Müller-Lüdenscheidt', 'Ñandú', '李小龙', '👩‍👩‍👧', "O'Brien").filter((t) => t.length <= max),
      fc.constant('x'.repeat(max)),
    )
    .filter((t) => t.length >= min && t.length <= max && !t.includes('\u0000'));
const validDate = fc.oneof(
  fc.constantFrom('2024-02-29', '2000-02-29', '9999-12-31', '0001-01-01', '2018-05-01', '2022-06-01'),
  fc
    .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2040-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
);
export interface FuzzOptions {
  /** Valid deliveries mostly change S-BIR/S-BVA (for a server with the arge profile). */
  billingRecipients?: boolean;
}

/** What valid deliveries look like beyond their shape. */
interface ValidStyle {
  roleTypes: readonly string[];
  from: fc.Arbitrary<string>;
  /** A partner's name and first name. */
  name: fc.Arbitrary<string | null | undefined>;
}

/**
 * Mostly S-COR, as KALO sees them. With billing recipients (the arge profile, spec section 8)
 * mostly S-BIR and S-BVA, which share one timeline, with partners that have names and `from`
 * dates mostly from a small pool around the fuzzed billing unit's closed-until (2010-12-31), so
 * that changes name each other's roles and the rules of 8.3 and 8.4 are reached, not only R7.
 */
const VALID_STYLES: Record<'residents' | 'billingRecipients', ValidStyle> = {
  residents: {
    roleTypes: ['S-COR', 'S-COR', 'S-COR', 'S-BIR'],
    from: validDate,
    name: maybeNull(validText(1, 100)),
  },
  billingRecipients: {
    roleTypes: ['S-COR', 'S-BIR', 'S-BIR', 'S-BVA', 'S-BVA'],
    from: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('2010-06-30', '2010-12-31', '2011-01-01', '2011-06-30', '2011-07-01') },
      { weight: 1, arbitrary: validDate },
    ),
    name: fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom('Müller', 'Ñandú', 'Li') },
      { weight: 1, arbitrary: maybeNull(validText(1, 100)) },
    ),
  },
};

const validDelivery = (bu: string, ru: string, pmnumbers: string[], style: ValidStyle) =>
  fc.record({
    timestamp: fc.constant('2024-02-29T12:00:00+01:00'),
    billingunit: fc.record({
      reference: fc.record({ pmnumber: maybeNull(validText(1, 20)), mscnumber: fc.constant(bu) }),
      residentialunit: fc.record({
        reference: fc.record({ pmnumber: maybeNull(validText(1, 20)), mscnumber: fc.constant(ru) }),
        roles: fc.array(
          fc.record({
            change: fc.constantFrom('INSERT', 'UPDATE', 'DELETE'),
            role: fc.constantFrom(...style.roleTypes),
            from: style.from,
            to: maybeNull(validDate),
            partner: fc.record({ pmnumber: fc.constantFrom(...pmnumbers) }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        partners: fc.constant(null).chain(() =>
          fc.tuple(
            ...pmnumbers.map((pm) =>
              fc.record({
                reference: fc.constant({ pmnumber: pm }),
                name: style.name,
                firstname: style.name,
                additionalname: maybeNull(validText(0, 100)),
                commercial: maybeNull(fc.constantFrom('COMMERCIAL', 'NON_COMMERCIAL')),
                email: maybeNull(fc.constantFrom('max@example.org', 'a.b+c@sub.example.de')),
                taxnumber: maybeNull(validText(0, 20)),
                phonenumbers: fc.array(
                  fc.record({
                    number: fc.constantFrom('0176-55555555', '+49 (30) 123/456', '12345'),
                    type: fc.constantFrom('MOBILE', 'BUSINESS', 'PRIVATE'),
                  }),
                  { maxLength: 10 },
                ),
              }),
            ),
          ),
        ),
      }),
    }),
  });

const cleaned = (value: unknown) => JSON.parse(JSON.stringify(value)); // drops undefined fields

export interface FuzzRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  payload?: string;
  remoteAddress?: string;
}

export const fuzzRequest = (
  base: string,
  auth: string,
  { billingRecipients = false }: FuzzOptions = {},
): fc.Arbitrary<FuzzRequest> => {
  const style = VALID_STYLES[billingRecipients ? 'billingRecipients' : 'residents'];
  const e1 = fc
    .tuple(fc.oneof(fc.constant('654321'), unitPath), fc.oneof(fc.constant('0001'), unitPath))
    .chain(([bu, ru]) =>
      fc.record({
        bu: fc.constant(bu),
        ru: fc.constant(ru),
        payload: fc.oneof(
          {
            weight: 4,
            arbitrary: validDelivery(bu, ru, ['P1', 'P2'], style).map((body) => JSON.stringify(cleaned(body))),
          },
          { weight: 3, arbitrary: delivery(bu, ru).map((body) => JSON.stringify(cleaned(body))) },
          { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
          { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
        ),
        contentType: fc.oneof(
          { weight: 8, arbitrary: fc.constant('application/json') },
          {
            weight: 1,
            arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/xml', ''),
          },
        ),
      }),
    );
  const headers = fc.record(
    {
      authorization: fc.oneof(
        { weight: 12, arbitrary: fc.constant(auth) },
        { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `Basic ${Buffer.from(s).toString('base64')}`) },
        { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: 'grapheme-ascii' }) },
      ),
      'x-request-id': fc.string({ maxLength: 140, unit: 'grapheme-ascii' }),
    },
    { requiredKeys: ['authorization'] },
  );
  const segment = (text: string) => encodeURIComponent(text);
  // Many source addresses, so the failed-login throttle (100 per address) does not end the run.
  return fc
    .tuple(
      fc.ipV4(),
      fc.oneof(
        {
          weight: 6,
          arbitrary: fc.tuple(e1, headers).map(
            ([r, h]): FuzzRequest => ({
              method: 'POST',
              url: `${base}/billingunits/${segment(r.bu)}/residentialunits/${segment(r.ru)}/on-site-roles`,
              headers: { ...h, ...(r.contentType ? { 'content-type': r.contentType } : {}) },
              payload: r.payload,
            }),
          ),
        },
        {
          weight: 2,
          arbitrary: fc.tuple(unitPath, unitPath, headers).map(
            ([bu, ru, h]): FuzzRequest => ({
              method: 'GET',
              url: `${base}/billingunits/${segment(bu)}/residentialunits/${segment(ru)}/on-site-roles`,
              headers: h,
            }),
          ),
        },
        {
          weight: 2,
          arbitrary: fc.tuple(unitPath, fc.oneof(fc.uuid(), fc.string({ maxLength: 40 })), headers).map(
            ([bu, id, h]): FuzzRequest => ({
              method: 'GET',
              url: `${base}/billingunits/${segment(bu)}/on-site-roles/data-delivery/${segment(id)}`,
              headers: h,
            }),
          ),
        },
      ),
    )
    .map(([remoteAddress, request]) => ({ ...request, remoteAddress }));
};
