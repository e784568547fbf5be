import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { lookUpUnit } from '../../db/repositories/units.js';
import { ownsBillingUnit } from '../../domain/access.js';
import { keyedMessage, type MessageId } from '../../domain/messages.js';
import { currentRolesSchema } from '../../domain/response-schema.js';
import { renderCurrentRoles } from '../../domain/unit-document.js';
import { unitPathFormatMessages } from '../../domain/unit-path.js';
import { principalOf, withCurrentCredential } from '../auth.js';
import { HttpError } from '../errors.js';
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
        const vendor = (id: MessageId) => keyedMessage(id, profile.vendorKey);
        const formatProblems = unitPathFormatMessages(bu, ru, profile.vendorKey);
        if (formatProblems.length > 0) throw new HttpError(400, { messages: formatProblems });

        const unit = await withCurrentCredential(request, { write: false }, (principal) =>
          lookUpUnit(db, principal, { billingUnit: bu, residentialUnit: ru }),
        );
        const owned = ownsBillingUnit(unit.billingUnit, principalOf(request).clientId);
        if (!owned || !unit.residentialUnit) {
          throw new HttpError(404, { messages: [vendor('UNIT_NOT_FOUND')] });
        }
        const document = unit.residentialUnit.rolesDocument;
        if (document === null) throw new HttpError(404, { messages: [vendor('NO_ROLES')] });
        // The stored document is already the JSON of `roles` and `partners`: sent as it is. (A JSON
        // string with a JSON content type is not serialised again; the cast says so to the type provider.)
        const body = renderCurrentRoles({
          timestamp: new Date(),
          billingUnit: { mscnumber: bu, pmnumber: unit.billingUnit?.pmnumber ?? null },
          residentialUnit: { mscnumber: ru, pmnumber: unit.residentialUnit.pmnumber },
          document,
        });
        return reply.type('application/json').send(body as never);
      },
    );
  };
