import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acceptDeliveryWithKey, findIdempotencyKey } from '../../db/repositories/idempotency-keys.js';
import { deliveryBodySchema } from '../../domain/delivery-schema.js';
import { decideStoredKey } from '../../domain/idempotency-key.js';
import { acceptedSchema } from '../../domain/response-schema.js';
import { checkDeliverySynchronously } from '../../domain/sync-checks.js';
import { addLogBindings } from '../../logger.js';
import { requireWriteAccess, withCurrentCredential } from '../auth.js';
import { answers, HttpError } from '../errors.js';
import { fingerprintOf, idempotencyAnswers, idempotencyKeyOf, REPLAYED_HEADER } from '../idempotency.js';
import { throwDeferredBodyError } from '../json-body.js';
import { errorResponses } from '../openapi-examples.js';
import { unstorableReason } from '../unstorable-strings.js';
import type { RouteContext } from './context.js';

/** A request's `Idempotency-Key` and fingerprint, once the key was found not stored (spec 9.2). */
interface KeyedRequest {
  key: string;
  fingerprint: string;
}

/**
 * E1: accept a data delivery (schema, OSR-1xxx), store it PENDING, answer 202 with its id. With an
 * `Idempotency-Key` (spec 9.2) the stored key is decided on before the body: the same request
 * again gets the first one's answer, another request under the key 422.
 */
export const submitDeliveryRoute =
  ({
    db,
    acceptBatcher,
    basePath,
    metrics,
    wakeWorkers,
    idempotencyRetentionHours,
  }: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    const keyedRequests = new WeakMap<FastifyRequest, KeyedRequest>();

    const location = (bu: string, id: string) =>
      `${basePath}/billingunits/${encodeURIComponent(bu)}/on-site-roles/data-delivery/${id}`;

    /** The 202 of a delivery stored for an earlier request with the same key; nothing new is stored. */
    const replay = (request: FastifyRequest, reply: FastifyReply, bu: string, id: string) => {
      addLogBindings(request.log, { dataDeliveryId: id, idempotentReplay: 'true' });
      return reply.code(202).header('Location', location(bu, id)).header(REPLAYED_HEADER, 'true').send({
        dataDeliveryId: id,
      });
    };

    app.post(
      '/billingunits/:bu/residentialunits/:ru/on-site-roles',
      {
        onRequest: requireWriteAccess,
        // 9.2's order: authentication (onRequest), the key's format, the stored key, then the body
        // (Fastify's validation, after this hook).
        preValidation: async (request, reply) => {
          const key = idempotencyKeyOf(request);
          if (key === undefined) return;
          const fingerprint = fingerprintOf(request);
          const stored = await withCurrentCredential(request, { write: true }, (principal) =>
            findIdempotencyKey(db, principal, key),
          );
          const decision = decideStoredKey(stored, fingerprint);
          if (decision.kind === 'replay') {
            return replay(request, reply, (request.params as { bu: string }).bu, decision.dataDeliveryId);
          }
          if (decision.kind === 'mismatch') throw idempotencyAnswers.reused();
          keyedRequests.set(request, { key, fingerprint });
          throwDeferredBodyError(request);
        },
        schema: {
          summary: 'Submit a data delivery of role changes for one residential unit',
          operationId: 'submitDelivery',
          tags: ['on-site-roles'],
          params: z.object({ bu: z.string(), ru: z.string() }),
          body: deliveryBodySchema,
          response: {
            202: acceptedSchema,
            ...errorResponses([400, 401, 403, 409, 413, 415, 422, 429, 500, 503]),
          },
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
        const delivery = { id, billingUnit: bu, residentialUnit: ru, body: request.body, requestId: request.id };
        const keyed = keyedRequests.get(request);
        if (keyed) {
          const outcome = await withCurrentCredential(request, { write: true }, (principal) =>
            acceptDeliveryWithKey(db, principal, delivery, { ...keyed, retentionHours: idempotencyRetentionHours }),
          );
          if (outcome.kind === 'busy') throw idempotencyAnswers.inProgress();
          if (outcome.kind === 'stored') {
            // Stored by another request since this one's lookup.
            const decision = decideStoredKey(outcome.stored, keyed.fingerprint);
            if (decision.kind !== 'replay') throw idempotencyAnswers.reused();
            return replay(request, reply, bu, decision.dataDeliveryId);
          }
        } else {
          await withCurrentCredential(request, { write: true }, (principal) =>
            acceptBatcher.accept(principal, delivery),
          );
        }
        // The request's log line names the delivery (the worker's line names this request's id).
        addLogBindings(request.log, { dataDeliveryId: id });
        wakeWorkers();
        metrics.deliveriesAccepted.inc();
        return reply.code(202).header('Location', location(bu, id)).send({ dataDeliveryId: id });
      },
    );
  };
