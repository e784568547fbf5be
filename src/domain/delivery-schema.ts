import { z } from 'zod';

/**
 * The E1 request body (spec section 3): the single source of truth for validation, the
 * TypeScript types and the OpenAPI document. Fields that the spec marks "may be missing" are
 * optional here on purpose, so that the worker can report them with the asynchronous messages.
 * Every optional field accepts `null`, which means the same as missing. Unknown properties are
 * stripped (ignored).
 */

const text = (min: number, max: number) => z.string().min(min).max(max);
const optional = <T extends z.ZodType>(schema: T) => schema.nullish();

/**
 * A calendar date; zod's ISO date rejects impossible dates such as 2022-02-30. Year 0000 does not
 * exist in the calendar PostgreSQL stores, so dates start at 0001-01-01.
 */
export const calendarDate = z.iso.date().refine((date) => date >= '0001-01-01', 'Dates start at 0001-01-01.');

export const partnerReferenceSchema = z.object({ pmnumber: optional(text(1, 20)) });

export const roleSchema = z.object({
  change: optional(z.enum(['INSERT', 'UPDATE', 'DELETE'])),
  role: text(1, 10),
  from: optional(calendarDate),
  to: optional(calendarDate),
  partner: optional(partnerReferenceSchema),
});

export const phoneNumberSchema = z.object({
  number: text(0, 30),
  type: z.enum(['MOBILE', 'BUSINESS', 'PRIVATE']),
});

export const partnerSchema = z.object({
  reference: optional(partnerReferenceSchema),
  name: optional(text(0, 100)),
  firstname: optional(text(0, 100)),
  additionalname: optional(text(0, 100)),
  commercial: optional(z.enum(['COMMERCIAL', 'NON_COMMERCIAL'])),
  email: optional(text(0, 254)),
  taxnumber: optional(text(0, 20)),
  phonenumbers: optional(z.array(phoneNumberSchema).max(10)),
});

const unitReference = (mscMax: number) => z.object({ pmnumber: optional(text(1, 20)), mscnumber: text(1, mscMax) });

export const deliveryBodySchema = z.object({
  timestamp: z.iso.datetime({ offset: true }),
  billingunit: z.object({
    reference: unitReference(9),
    residentialunit: z.object({
      reference: unitReference(4),
      roles: optional(z.array(roleSchema).max(100)),
      partners: optional(z.array(partnerSchema).max(100)),
    }),
  }),
});

export type DeliveryBody = z.infer<typeof deliveryBodySchema>;
export type DeliveryRole = z.infer<typeof roleSchema>;
export type DeliveryPartner = z.infer<typeof partnerSchema>;

/** Formats of the path numbers (spec section 1). */
export const BILLING_UNIT_FORMAT = /^(\d{6}|099\d{6})$/;
export const RESIDENTIAL_UNIT_FORMAT = /^\d{1,4}$/;

/** `to` missing, null or 9999-12-31 all mean open-ended. */
export const OPEN_END = '9999-12-31';
export const normaliseTo = (to: string | null | undefined): string | null =>
  to == null || to === OPEN_END ? null : to;
