import { z } from 'zod';
import { calendarDate } from './delivery-schema.js';

/** Response bodies (spec section 6); used for serialisation, contract tests and OpenAPI. */

const echoReference = z.object({ pmnumber: z.string().nullable(), mscnumber: z.null() });

export const plainMessageSchema = z.object({
  key: z.string(),
  message: z.string(),
  path: z.string().optional(),
});

export const roleMessageSchema = z.object({
  role: z.string().nullable(),
  from: z.string().nullable(),
  to: z.string(),
  partner: echoReference,
  key: z.string(),
  message: z.string(),
});

export const partnerMessageSchema = z.object({
  partner: echoReference,
  key: z.string(),
  message: z.string(),
});

export type PlainMessage = z.infer<typeof plainMessageSchema>;
export type RoleMessage = z.infer<typeof roleMessageSchema>;
export type PartnerMessage = z.infer<typeof partnerMessageSchema>;

const messageLists = {
  roleMessages: z.array(roleMessageSchema).nullable(),
  partnerMessages: z.array(partnerMessageSchema).nullable(),
  messages: z.array(plainMessageSchema).nullable(),
};

/** Members in the order of spec section 6: status, messages, roleMessages, partnerMessages. */
export const errorEnvelopeSchema = z.object({
  status: z.literal('FAIL'),
  messages: messageLists.messages,
  roleMessages: messageLists.roleMessages,
  partnerMessages: messageLists.partnerMessages,
});
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

export const acceptedSchema = z.object({ dataDeliveryId: z.uuid() });

export const deliveryStatusSchema = z.enum(['PENDING', 'SUCCESS', 'FAIL']);
export type DeliveryStatus = z.infer<typeof deliveryStatusSchema>;

export const deliveryResultSchema = z.object({
  dataDeliveryId: z.uuid(),
  status: deliveryStatusSchema,
  receivedAt: z.string(),
  processedAt: z.string().nullable(),
  ...messageLists,
});

/** A partner as E2 shows it (and the change feed, spec 10.2). */
export const storedPartnerSchema = z.object({
  reference: z.object({ pmnumber: z.string() }),
  name: z.string().nullable(),
  firstname: z.string().nullable(),
  additionalname: z.string().nullable(),
  commercial: z.enum(['COMMERCIAL', 'NON_COMMERCIAL']),
  email: z.string().nullable(),
  taxnumber: z.string().nullable(),
  phonenumbers: z.array(z.object({ number: z.string(), type: z.enum(['MOBILE', 'BUSINESS', 'PRIVATE']) })),
});

export const currentRolesSchema = z.object({
  timestamp: z.string(),
  billingunit: z.object({
    reference: z.object({ pmnumber: z.string().nullable(), mscnumber: z.string() }),
    residentialunit: z.object({
      reference: z.object({ pmnumber: z.string().nullable(), mscnumber: z.string() }),
      roles: z.array(
        z.object({
          role: z.string(),
          from: calendarDate,
          to: calendarDate,
          partner: z.object({ pmnumber: z.string() }),
        }),
      ),
      partners: z.array(storedPartnerSchema),
    }),
  }),
});
export type CurrentRoles = z.infer<typeof currentRolesSchema>;
export type StoredPartner = z.infer<typeof storedPartnerSchema>;
