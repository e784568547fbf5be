import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { uviRecipientsPage } from '../../db/repositories/uvi-recipients.js';
import { BILLING_UNIT_FORMAT, calendarDate } from '../../domain/delivery-schema.js';
import { parseUviQuery, UVI_DEFAULT_LIMIT, UVI_MAX_LIMIT } from '../../domain/uvi-recipients.js';
import { answers } from '../errors.js';
import type { MscRoutePlugin } from '../msc-routes.js';
import { errorResponses } from '../openapi-examples.js';

/**
 * 10.3: `GET /msc/v1/uvi-recipients?month=YYYY-MM`, who gets each unit's monthly consumption
 * information. A thin shell: the query is validated by parseUviQuery and the recipients decided
 * by uviRecipients (src/domain/uvi-recipients.ts), the page read by uviRecipientsPage.
 */

const partnerSchema = z.object({
  pmnumber: z.string(),
  name: z.string().nullable(),
  firstname: z.string().nullable(),
  additionalname: z.string().nullable(),
  commercial: z.string().nullable(),
});

export const uviRecipientsSchema = z.object({
  month: z.string(),
  units: z.array(
    z.object({
      billingUnit: z.string(),
      residentialUnit: z.string(),
      recipients: z.array(
        z.object({
          partner: partnerSchema,
          from: calendarDate,
          to: calendarDate,
          days: z.number().int().min(1).max(31),
          fullMonth: z.boolean(),
        }),
      ),
    }),
  ),
  next: z.string().nullable(),
});

/**
 * The query as the document shows it (src/http/openapi-msc.ts describes each parameter).
 * Documentation only: parseUviQuery validates (its messages, every violation with `path`
 * `/query/<name>`, a repeated parameter refused), so the route's own validator lets the query
 * through as it came.
 */
const querySchema = z.object({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/),
  billingUnit: z.string().regex(BILLING_UNIT_FORMAT).optional(),
  after: z.string().optional(),
  limit: z.number().int().min(1).max(UVI_MAX_LIMIT).default(UVI_DEFAULT_LIMIT).optional(),
});

const queryAsItCame: FastifySchemaCompiler<unknown> = () => (data) => ({ value: data });

export const uviRecipientsRoute: MscRoutePlugin =
  ({ db }) =>
  async (app) => {
    app.get(
      '/uvi-recipients',
      {
        schema: {
          summary: 'UVI recipients of one month: the S-COR roles of each residential unit',
          operationId: 'getUviRecipients',
          tags: ['msc'],
          security: [{ mscBasicAuth: [] }],
          querystring: querySchema,
          response: { 200: uviRecipientsSchema, ...errorResponses([400, 401, 429, 500, 503]) },
        },
        validatorCompiler: queryAsItCame,
      },
      async (request) => {
        const parsed = parseUviQuery(request.query as Record<string, unknown>);
        if (!parsed.ok) throw answers.schema(parsed.violations);
        const { month, billingUnit, after, limit } = parsed.query;
        return uviRecipientsPage(db, { month, billingUnit, after, limit });
      },
    );
  };
