import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadCurrentRoles } from '../../db/repositories/units.js';
import { BILLING_UNIT_FORMAT, RESIDENTIAL_UNIT_FORMAT } from '../../domain/delivery-schema.js';
import { VENDOR, type VendorMessage } from '../../domain/messages.js';
import { currentRolesSchema } from '../../domain/response-schema.js';
import { withCurrentCredential } from '../auth.js';
import { sendError } from '../errors.js';
import { errorResponses } from '../openapi-examples.js';
import type { RouteContext } from './context.js';

/** E2: the unit's current roles and the partners they reference (no history). */
export const currentRolesRoute =
  ({ db, profile }: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/billingunits/:bu/residentialunits/:ru/on-site-roles',
      {
        schema: {
          summary: 'Current roles and partners of one residential unit',
          operationId: 'getCurrentRoles',
          tags: ['on-site-roles'],
          params: z.object({ bu: z.string(), ru: z.string() }),
          response: { 200: currentRolesSchema, ...errorResponses([400, 401, 404, 429, 500, 503]) },
        },
      },
      async (request, reply) => {
        const { bu, ru } = request.params;
        const vendor = (name: VendorMessage) => ({ key: profile.vendorKey, message: VENDOR[name] });
        const formatProblems = [
          ...(BILLING_UNIT_FORMAT.test(bu) ? [] : [vendor('billingUnitFormat')]),
          ...(RESIDENTIAL_UNIT_FORMAT.test(ru) ? [] : [vendor('residentialUnitFormat')]),
        ];
        if (formatProblems.length > 0) return sendError(reply, 400, { messages: formatProblems });

        const unit = await withCurrentCredential(request, { write: false }, (principal) =>
          loadCurrentRoles(db, principal, { billingUnit: bu, residentialUnit: ru }),
        );
        if (!unit.found) return sendError(reply, 404, { messages: [vendor('residentialUnitNotFound')] });
        if (unit.rolesDocument === null) return sendError(reply, 404, { messages: [vendor('noRolesInUnit')] });
        // The stored document is already the JSON of `roles` and `partners` (currentRolesSchema's
        // order): sent as it is, without parsing and re-serialising it per request. (A JSON string
        // with a JSON content type is not serialised again; the cast says so to the type provider.)
        const reference = (pmnumber: string | null, mscnumber: string) => JSON.stringify({ pmnumber, mscnumber });
        const body =
          `{"timestamp":${JSON.stringify(new Date().toISOString())},` +
          `"billingunit":{"reference":${reference(unit.billingUnitPmnumber, bu)},` +
          `"residentialunit":{"reference":${reference(unit.residentialUnitPmnumber, ru)},${unit.rolesDocument}}}}`;
        return reply.type('application/json').send(body as never);
      },
    );
  };
