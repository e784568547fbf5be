import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { checked, credentialIsCurrent } from '../../db/repositories/credentials.js';
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
import type { ProcessedResults } from '../processed-results.js';
import type { RouteContext } from './context.js';

/** A delivery id is a UUID (any case); the OpenAPI document shows the same pattern. */
export const DELIVERY_ID_FORMAT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * E3: processing status and messages of one delivery of the caller's client under `{bu}`. A
 * processed delivery's answer is read once and then served from memory (ProcessedResults), with
 * only the caller's credential re-checked.
 */
export const deliveryResultRoute =
  ({ db }: RouteContext, waiters: DeliveryWaiters, processed: ProcessedResults): FastifyPluginAsyncZod =>
  async (app) => {
    /** The delivery, if it is the caller's under `{bu}` (the credential re-checked); else 404. */
    const visibleDelivery = async (request: FastifyRequest, bu: string, id: string): Promise<StoredDelivery> => {
      const delivery = await withCurrentCredential(request, { write: false }, (principal) =>
        findDelivery(db, principal, bu, id),
      );
      if (!delivery || !deliveryVisibleTo(delivery, callerOf(request, bu))) throw notFound();
      return delivery;
    };

    /** Sends the delivery's answer; a processed one's is kept for the next reads. */
    const answer = (reply: FastifyReply, delivery: StoredDelivery) => {
      // The route's own serialiser (its response schema): members in the documented order.
      const json = String(reply.serialize(resultOf(delivery)));
      if (delivery.status !== 'PENDING') {
        processed.remember(delivery.id, { clientId: delivery.clientId, billingUnit: delivery.billingUnit, json });
      }
      return sendJson(reply, json);
    };

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
        const known = processed.get(id);
        if (known) {
          await confirmCredential(request, db);
          if (!deliveryVisibleTo(known, callerOf(request, bu))) throw notFound();
          return sendJson(reply, known.json);
        }
        const waitSeconds = preferredWaitSeconds(request.headers.prefer);
        // Spec 9.1. Taken before the first read, so that no notification falls between that read
        // and the registration: a delivery the read shows PENDING commits later, and its
        // notification finds this waiter. Full or shutting down: answered at once.
        const waiter = waitSeconds === undefined ? undefined : waiters.wait(id, waitSeconds * 1_000);
        try {
          const delivery = await visibleDelivery(request, bu, id);
          if (delivery.status !== 'PENDING' || !waiter) return answer(reply, delivery);
          const end = await holdRequest(request, reply, waiter);
          reply.header('Preference-Applied', `wait=${waitSeconds}`);
          if (end === 'cancelled') return answer(reply, delivery); // the client went away
          // Else the server's close would wait for this kept-alive connection to idle out.
          if (end === 'shutdown') reply.header('Connection', 'close');
          // Processed, timed out or shutting down: the state at this moment, read as usual.
          return answer(reply, await visibleDelivery(request, bu, id));
        } finally {
          waiter?.cancel();
        }
      },
    );
  };

const notFound = () => HttpError.of(404, HTTP.deliveryNotFound);

const callerOf = (request: FastifyRequest, bu: string) => ({
  clientId: principalOf(request).clientId,
  billingUnitPath: bu,
});

/**
 * The caller's credential re-checked (revoked, rotated or changed since it was verified: the
 * caller is authenticated again, 401 when that fails), unless this request already read its row.
 */
async function confirmCredential(request: FastifyRequest, db: Kysely<Database>): Promise<void> {
  if (request.credentialConfirmed) return;
  await withCurrentCredential(request, { write: false }, async (principal) =>
    checked(await credentialIsCurrent(db, principal), () => undefined),
  );
}

/** The answer serialised once (it is kept so), sent as it is. */
const sendJson = (reply: FastifyReply, json: string) =>
  reply.type('application/json; charset=utf-8').send(json as never);

const resultOf = (delivery: StoredDelivery) => ({
  dataDeliveryId: delivery.id,
  status: delivery.status,
  receivedAt: delivery.receivedAt.toISOString(),
  processedAt: delivery.processedAt?.toISOString() ?? null,
  roleMessages: delivery.roleMessages,
  partnerMessages: delivery.partnerMessages,
  messages: delivery.messages,
});
