import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { lookUpUnit } from '../../db/repositories/units.js';
import { ownsBillingUnit } from '../../domain/access.js';
import { keyedMessage, type MessageId } from '../../domain/messages.js';
import { currentRolesSchema } from '../../domain/response-schema.js';
import { renderCurrentRoles } from '../../domain/unit-document.js';
import { unitPathFormatMessages } from '../../domain/unit-path.js';
import { principalOf, withCurrentCredential } from '../auth.js';
import { matchesEntityTag, unitEntityTag } from '../entity-tags.js';
import { HttpError } from '../errors.js';
import { errorResponses } from '../openapi-examples.js';
import type { RouteContext } from './context.js';

const notModifiedSchema = z
  .null()
  .describe('Not Modified: `If-None-Match` names the current `ETag`; no body (the unit was read as usual).');

/**
 * E2: the unit's current roles and the partners they reference (no history). Answers carry a weak
 * `ETag`; a request whose `If-None-Match` names the current one gets 304 without a body (the unit
 * is still read and the credential re-checked: only the answer is saved).
 */
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
          response: {
            200: currentRolesSchema,
            304: notModifiedSchema,
            ...errorResponses([400, 401, 404, 429, 500, 503]),
          },
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
        // Everything of the answer but its `timestamp` (the time of the answer): a weak tag.
        const etag = unitEntityTag([bu, unit.billingUnit?.pmnumber, ru, unit.residentialUnit.pmnumber, document]);
        reply.header('ETag', etag);
        if (matchesEntityTag(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
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
