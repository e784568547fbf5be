import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findDeliveryResult } from '../../db/repositories/deliveries.js';
import { HTTP } from '../../domain/messages.js';
import { deliveryResultSchema } from '../../domain/response-schema.js';
import { withCurrentCredential } from '../auth.js';
import { sendError } from '../errors.js';
import { errorResponses } from '../openapi-examples.js';
import type { RouteContext } from './context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** E3: processing status and messages of one delivery of the caller's client under `{bu}`. */
export const deliveryResultRoute =
  ({ db }: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/billingunits/:bu/on-site-roles/data-delivery/:dataDeliveryId',
      {
        schema: {
          summary: 'Processing status and messages of one data delivery',
          operationId: 'getDeliveryResult',
          tags: ['on-site-roles'],
          params: z.object({ bu: z.string(), dataDeliveryId: z.string() }),
          response: { 200: deliveryResultSchema, ...errorResponses([401, 404, 429, 500, 503]) },
        },
      },
      async (request, reply) => {
        const { bu, dataDeliveryId } = request.params;
        const notFound = () => sendError(reply, 404, { messages: [{ ...HTTP.deliveryNotFound }] });
        if (!UUID.test(dataDeliveryId)) return notFound();
        const delivery = await withCurrentCredential(request, { write: false }, (principal) =>
          findDeliveryResult(db, principal, { id: dataDeliveryId.toLowerCase(), billingUnit: bu }),
        );
        if (!delivery) return notFound();
        return {
          dataDeliveryId: delivery.id,
          status: delivery.status,
          receivedAt: delivery.receivedAt.toISOString(),
          processedAt: delivery.processedAt?.toISOString() ?? null,
          roleMessages: delivery.roleMessages,
          partnerMessages: delivery.partnerMessages,
          messages: delivery.messages,
        };
      },
    );
  };
