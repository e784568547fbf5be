import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { findDelivery, type StoredDelivery } from '../../db/repositories/deliveries.js';
import type { Database } from '../../db/schema.js';
import { deliveryVisibleTo } from '../../domain/access.js';
import { HTTP } from '../../domain/messages.js';
import { deliveryResultSchema } from '../../domain/response-schema.js';
import { principalOf, withCurrentCredential } from '../auth.js';
import type { DeliveryWaiters } from '../delivery-waiters.js';
import { HttpError } from '../errors.js';
import { holdRequest } from '../hold-request.js';
import { errorResponses } from '../openapi-examples.js';
import { preferredWaitSeconds } from '../prefer-wait.js';
import type { RouteContext } from './context.js';

/** A delivery id is a UUID (any case); the OpenAPI document shows the same pattern. */
export const DELIVERY_ID_FORMAT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** E3: processing status and messages of one delivery of the caller's client under `{bu}`. */
export const deliveryResultRoute =
  ({ db }: RouteContext, waiters: DeliveryWaiters): FastifyPluginAsyncZod =>
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
        if (!DELIVERY_ID_FORMAT.test(dataDeliveryId)) throw notFound();
        const id = dataDeliveryId.toLowerCase();
        const waitSeconds = preferredWaitSeconds(request.headers.prefer);
        // Spec 9.1. Taken before the first read, so that no notification falls between that read
        // and the registration: a delivery the read shows PENDING commits later, and its
        // notification finds this waiter. Full or shutting down: answered at once.
        const waiter = waitSeconds === undefined ? undefined : waiters.wait(id, waitSeconds * 1_000);
        try {
          const delivery = await visibleDelivery(request, db, bu, id);
          if (delivery.status !== 'PENDING' || !waiter) return resultOf(delivery);
          const end = await holdRequest(request, reply, waiter);
          reply.header('Preference-Applied', `wait=${waitSeconds}`);
          if (end === 'cancelled') return resultOf(delivery); // the client went away
          // Else the server's close would wait for this kept-alive connection to idle out.
          if (end === 'shutdown') reply.header('Connection', 'close');
          // Processed, timed out or shutting down: the state at this moment, read as usual.
          return resultOf(await visibleDelivery(request, db, bu, id));
        } finally {
          waiter?.cancel();
        }
      },
    );
  };

const notFound = () => HttpError.of(404, HTTP.deliveryNotFound);

/** The delivery, if it is the caller's under `{bu}` (the credential re-checked); else 404. */
async function visibleDelivery(
  request: FastifyRequest,
  db: Kysely<Database>,
  bu: string,
  id: string,
): Promise<StoredDelivery> {
  const delivery = await withCurrentCredential(request, { write: false }, (principal) =>
    findDelivery(db, principal, id),
  );
  const caller = { clientId: principalOf(request).clientId, billingUnitPath: bu };
  if (!delivery || !deliveryVisibleTo(delivery, caller)) throw notFound();
  return delivery;
}

const resultOf = (delivery: StoredDelivery) => ({
  dataDeliveryId: delivery.id,
  status: delivery.status,
  receivedAt: delivery.receivedAt.toISOString(),
  processedAt: delivery.processedAt?.toISOString() ?? null,
  roleMessages: delivery.roleMessages,
  partnerMessages: delivery.partnerMessages,
  messages: delivery.messages,
});
