import type { Logger } from 'pino';
import { type Config, loadConfig } from '../config.js';
import type { DatabaseHandle } from '../db/connection.js';
import { DEFAULT_PROFILE, type ProcessingProfile } from '../domain/process-delivery.js';
import { buildApp } from '../http/app.js';
import { createLogger } from '../logger.js';
import { Metrics } from '../metrics.js';
import { DeliveryWorker } from '../worker/worker.js';
import { parseCommandArgs } from './args.js';
import { createDemoDataIfEmpty, demoBanner } from './demo.js';
import { openMigratedDatabase } from './runtime.js';

const profileOf = (config: Config): ProcessingProfile => ({ ...DEFAULT_PROFILE, vendorKey: config.vendorKey });

/** `osr serve [--no-worker]`: the API, with an in-process worker unless disabled. */
export async function serve(args: string[]): Promise<void> {
  const { values } = parseCommandArgs(args, { 'no-worker': { type: 'boolean' } }, []);
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openMigratedDatabase(config);
  const demoPassword = await createDemoDataIfEmpty(database.db, config);
  const metrics = new Metrics(database.db);
  const worker = values['no-worker'] ? undefined : startWorker(database, config, logger, metrics);
  const app = await buildApp({
    database,
    logger,
    basePath: config.basePath,
    profile: profileOf(config),
    requestsPerMinute: config.rateLimitPerMinute,
    metrics,
    ...(worker ? { worker } : {}),
  });
  const shutdown = async () => {
    await app.close();
    await worker?.stop();
    await database.close();
  };
  let address: string;
  try {
    address = await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await shutdown(); // e.g. the port is taken
    throw error;
  }
  // Started once listening: its first claims do not compete with building the app (with the
  // embedded database every query runs on this thread). /ready says NOT_READY until then.
  await worker?.start();
  logger.info(
    { address, database: database.kind, worker: Boolean(worker), basePath: config.basePath },
    'on-site-roles server listening',
  );
  if (demoPassword) process.stdout.write(demoBanner(demoPassword, config));
  await untilSignal(logger, shutdown);
}

/** `osr worker`: a worker process only (for extra workers against one PostgreSQL). */
export async function work(args: string[]): Promise<void> {
  parseCommandArgs(args, {}, []);
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openMigratedDatabase(config);
  const worker = startWorker(database, config, logger, new Metrics(database.db));
  await worker.start();
  logger.info({ database: database.kind }, 'on-site-roles worker running');
  await untilSignal(logger, async () => {
    await worker.stop();
    await database.close();
  });
}

function startWorker(database: DatabaseHandle, config: Config, logger: Logger, metrics: Metrics) {
  return new DeliveryWorker(database, {
    profile: profileOf(config),
    logger,
    pollIntervalMs: config.pollIntervalMs,
    loops: config.workerLoops,
    batchSize: config.workerBatchSize,
    onProcessed: (delivery) => metrics.recordProcessed(delivery.status, delivery.receivedAt),
  });
}

const SHUTDOWN_DEADLINE_MS = 30_000;

/**
 * Graceful shutdown on SIGTERM/SIGINT: stop accepting, finish in-flight requests and the delivery
 * being applied, close the pool. A second signal, or a shutdown that outlasts its deadline (e.g.
 * a database that stopped answering), forces the exit.
 */
function untilSignal(logger: Logger, shutdown: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      setTimeout(() => {
        logger.error('shutdown did not finish in time: exiting now');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS).unref();
      shutdown().then(resolve, reject);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
