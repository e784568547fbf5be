import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadCurrentRoles } from '../../db/repositories/units.js';
import { BILLING_UNIT_FORMAT, OPEN_END, RESIDENTIAL_UNIT_FORMAT } from '../../domain/delivery-schema.js';
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
    const roleTypes = [...profile.supportedRoles];
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
          loadCurrentRoles(db, principal, { billingUnit: bu, residentialUnit: ru, roleTypes }),
        );
        if (!unit.found) return sendError(reply, 404, { messages: [vendor('residentialUnitNotFound')] });
        if (unit.roles.length === 0) return sendError(reply, 404, { messages: [vendor('noRolesInUnit')] });
        return {
          timestamp: new Date().toISOString(),
          billingunit: {
            reference: { pmnumber: unit.billingUnitPmnumber, mscnumber: bu },
            residentialunit: {
              reference: { pmnumber: unit.residentialUnitPmnumber, mscnumber: ru },
              roles: unit.roles.map((role) => ({
                role: role.role,
                from: role.from,
                to: role.to ?? OPEN_END,
                partner: { pmnumber: role.pmnumber },
              })),
              partners: unit.partners,
            },
          },
        };
      },
    );
  };
