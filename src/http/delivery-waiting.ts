import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../db/connection.js';
import { FINISHED_CHANNEL, finishedAmong, finishedIdsOf } from '../db/repositories/finished-deliveries.js';
import type { Metrics } from '../metrics.js';
import { DeliveryWaiters } from './delivery-waiters.js';

/**
 * The process's waiter registry for E3's `Prefer: wait` (spec 9.1), fed by one LISTEN on the
 * workers' finished-deliveries channel, whatever process they run in (with the embedded database,
 * this one). When notifications may have been lost (the listening connection came back), the
 * waited-for deliveries are checked once. On shutdown every waiter is answered at once with its
 * current state: in `preClose`, since the server's close waits for the open requests.
 */
export async function startDeliveryWaiting(
  app: FastifyInstance,
  { database, logger, metrics, max }: { database: DatabaseHandle; logger: Logger; metrics: Metrics; max: number },
): Promise<DeliveryWaiters> {
  const waiters = new DeliveryWaiters({ max, onCount: (count) => metrics.resultWaiters.set(count) });
  const catchUp = () => {
    finishedAmong(database.db, waiters.ids()).then(
      (ids) => waiters.finished(ids),
      (error: unknown) => logger.warn({ err: error }, 'could not check the deliveries E3 requests wait for'),
    );
  };
  const onNotify = (payload: string | undefined) => {
    if (payload === undefined) catchUp();
    else waiters.finished(finishedIdsOf(payload));
  };
  const unlisten =
    max === 0
      ? undefined
      : await database.listen(FINISHED_CHANNEL, onNotify).catch((error: unknown) => {
          // Without the notifications every wait would last until its time-out: nobody waits.
          logger.warn({ err: error }, 'cannot hear of processed deliveries: E3 answers at once, never waits');
          waiters.close();
          return undefined;
        });
  app.addHook('preClose', async () => waiters.close());
  app.addHook('onClose', async () => unlisten?.());
  return waiters;
}
