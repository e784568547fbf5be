import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acceptDelivery } from '../../db/repositories/deliveries.js';
import { deliveryBodySchema } from '../../domain/delivery-schema.js';
import { acceptedSchema } from '../../domain/response-schema.js';
import { checkDeliverySynchronously } from '../../domain/sync-checks.js';
import { addLogBindings } from '../../logger.js';
import { requireWriteAccess, withCurrentCredential } from '../auth.js';
import { answers, HttpError } from '../errors.js';
import { errorResponses } from '../openapi-examples.js';
import { unstorableReason } from '../unstorable-strings.js';
import type { RouteContext } from './context.js';

/** E1: accept a data delivery (schema, OSR-1xxx), store it PENDING, answer 202 with its id. */
export const submitDeliveryRoute =
  ({ db, basePath, metrics, wakeWorkers }: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/billingunits/:bu/residentialunits/:ru/on-site-roles',
      {
        onRequest: requireWriteAccess,
        schema: {
          summary: 'Submit a data delivery of role changes for one residential unit',
          operationId: 'submitDelivery',
          tags: ['on-site-roles'],
          params: z.object({ bu: z.string(), ru: z.string() }),
          body: deliveryBodySchema,
          response: { 202: acceptedSchema, ...errorResponses([400, 401, 403, 413, 415, 429, 500, 503]) },
        },
      },
      async (request, reply) => {
        const { bu, ru } = request.params;
        // {bu}/{ru} are stored as sent for the worker's D1/D2; one with U+0000 (%00) cannot be, so
        // it is refused like any other URL that is not text (e.g. a bad percent-encoding).
        if (unstorableReason(bu) || unstorableReason(ru)) throw answers.malformed('Malformed request URL.');
        const rejected = checkDeliverySynchronously(request.body);
        if (rejected.roleMessages.length > 0 || rejected.partnerMessages.length > 0) {
          throw new HttpError(400, rejected);
        }
        const id = randomUUID();
        await withCurrentCredential(request, { write: true }, (principal) =>
          acceptDelivery(db, principal, {
            id,
            billingUnit: bu,
            residentialUnit: ru,
            body: request.body,
            requestId: request.id,
          }),
        );
        // The request's log line names the delivery (the worker's line names this request's id).
        addLogBindings(request.log, { dataDeliveryId: id });
        wakeWorkers();
        metrics.deliveriesAccepted.inc();
        return reply
          .code(202)
          .header('Location', `${basePath}/billingunits/${encodeURIComponent(bu)}/on-site-roles/data-delivery/${id}`)
          .send({ dataDeliveryId: id });
      },
    );
  };
