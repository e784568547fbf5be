import type { Logger } from 'pino';
import type { DatabaseHandle, Unlisten } from '../db/connection.js';
import { DELIVERY_CHANNEL } from '../db/repositories/deliveries.js';
import { createFinishedNotifier } from '../db/repositories/finished-deliveries.js';
import type { ProcessingProfile } from '../domain/process-delivery.js';
import { type ProcessedDelivery, processNextBatch } from './apply-delivery.js';

export interface WorkerOptions {
  profile: ProcessingProfile;
  logger: Logger;
  /** Fallback poll when no notification arrives (notifications sent while disconnected are lost). */
  pollIntervalMs: number;
  /** Concurrent claim loops in this process. */
  loops?: number;
  /** Most deliveries (of different units) one loop claims and stores per transaction. */
  batchSize?: number;
  /** Called after each processed delivery (metrics). */
  onProcessed?: (delivery: ProcessedDelivery) => void;
}

const ERROR_BACKOFF_MS = 1_000;
/** Big enough to spread a commit over many deliveries, small enough to keep transactions short. */
export const DEFAULT_BATCH_SIZE = 32;

/**
 * Drains PENDING deliveries: woken by LISTEN/NOTIFY, with a polling fallback. Several loops and
 * several processes may run at once; per-unit order is kept by the claim query.
 */
export class DeliveryWorker {
  private stopping = false;
  private loops: Promise<void>[] = [];
  private wakers = new Set<() => void>();
  private unlisten: Unlisten | undefined;
  private pendingWake = false;
  /** Tells every API process which deliveries finished (E3 requests waiting for them, spec 9.1). */
  private readonly finished: ReturnType<typeof createFinishedNotifier>;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly options: WorkerOptions,
  ) {
    this.finished = createFinishedNotifier(handle.db, (error) =>
      options.logger.warn({ err: error }, 'could not announce finished deliveries; waiting E3 requests time out'),
    );
  }

  get running(): boolean {
    return this.loops.length > 0 && !this.stopping;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    this.loops = [];
    this.unlisten = await this.handle.listen(DELIVERY_CHANNEL, () => this.wake());
    const count = this.options.loops ?? 1;
    for (let i = 0; i < count; i++) this.loops.push(this.run());
  }

  /** Stops claiming; the delivery being applied finishes first. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await Promise.all(this.loops);
    await this.finished.flush();
    await this.unlisten?.();
  }

  /** Claims at once instead of at the next poll (a delivery was stored, or it is time to stop). */
  wake(): void {
    if (this.wakers.size === 0) this.pendingWake = true;
    for (const waker of this.wakers) waker();
  }

  private async run(): Promise<void> {
    const { logger, profile } = this.options;
    while (!this.stopping) {
      try {
        const { processed, batchError } = await processNextBatch(
          this.handle.db,
          profile,
          this.options.batchSize ?? DEFAULT_BATCH_SIZE,
        );
        // Committed: one announcement per batch (coalesced with other loops' while one is in flight).
        this.finished.announce(processed.map((delivery) => delivery.id));
        if (batchError) {
          logger.warn({ err: batchError }, 'batch store failed; its deliveries were stored one by one');
        }
        for (const delivery of processed) {
          this.options.onProcessed?.(delivery);
          // The POST's request id: one search finds the API's request line and this one.
          const fields = { deliveryId: delivery.id, requestId: delivery.requestId, status: delivery.status };
          if (delivery.error) logger.error({ ...fields, err: delivery.error }, 'delivery failed unexpectedly');
          else logger.info(fields, 'delivery processed');
        }
        if (processed.length === 0) await this.idle(this.options.pollIntervalMs);
      } catch (error) {
        logger.error({ err: error }, 'worker could not process deliveries; retrying');
        await this.idle(ERROR_BACKOFF_MS);
      }
    }
  }

  private idle(ms: number): Promise<void> {
    if (this.pendingWake || this.stopping) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}
