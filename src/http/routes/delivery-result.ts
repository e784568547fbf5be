import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findDelivery } from '../../db/repositories/deliveries.js';
import { deliveryVisibleTo } from '../../domain/access.js';
import { HTTP } from '../../domain/messages.js';
import { deliveryResultSchema } from '../../domain/response-schema.js';
import { principalOf, withCurrentCredential } from '../auth.js';
import { HttpError } from '../errors.js';
import { errorResponses } from '../openapi-examples.js';
import type { RouteContext } from './context.js';

/** A delivery id is a UUID (any case); the OpenAPI document shows the same pattern. */
export const DELIVERY_ID_FORMAT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

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
      async (request) => {
        const { bu, dataDeliveryId } = request.params;
        const notFound = () => HttpError.of(404, HTTP.deliveryNotFound);
        if (!DELIVERY_ID_FORMAT.test(dataDeliveryId)) throw notFound();
        const delivery = await withCurrentCredential(request, { write: false }, (principal) =>
          findDelivery(db, principal, dataDeliveryId.toLowerCase()),
        );
        const caller = { clientId: principalOf(request).clientId, billingUnitPath: bu };
        if (!delivery || !deliveryVisibleTo(delivery, caller)) throw notFound();
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
