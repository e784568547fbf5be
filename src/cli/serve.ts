import type { Command } from '@commander-js/extra-typings';
import type { Logger } from 'pino';
import { type Config, loadConfig, profileOf } from '../config.js';
import type { DatabaseHandle } from '../db/connection.js';
import { buildApp } from '../http/app.js';
import { createLogger } from '../logger.js';
import { Metrics } from '../metrics.js';
import { DeliveryWorker } from '../worker/worker.js';
import { createDemoDataIfEmpty, demoBanner } from './demo.js';
import { openMigratedDatabase } from './runtime.js';

export function addServeCommands(program: Command): void {
  program
    .command('serve')
    .description('apply migrations, then serve the API with an in-process worker (npm start)')
    .option('--no-worker', 'without the in-process worker (run `osr worker` processes instead)')
    .action((options) => serve(options.worker));
  program
    .command('worker')
    .description('a worker only (extra worker processes against one PostgreSQL)')
    .action(() => work());
}

/**
 * `osr serve [--no-worker]`: the API, with an in-process worker unless disabled. On the embedded
 * database it also serves operator commands on a Unix socket in the data directory.
 */
async function serve(withWorker: boolean): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openMigratedDatabase(config, 'serve');
  const metrics = new Metrics(database.db);
  const worker = withWorker ? startWorker(database, config, logger, metrics) : undefined;
  const app = await buildApp({
    database,
    logger,
    basePath: config.basePath,
    profile: profileOf(config),
    requestsPerMinute: config.rateLimitPerMinute,
    trustProxy: config.trustProxy,
    maxWaiters: config.maxWaiters,
    idempotencyRetentionHours: config.idempotencyRetentionHours,
    metrics,
    ...(worker ? { worker } : {}),
    ...(config.oidc ? { oidc: config.oidc } : {}),
    consoleSecret: config.consoleSecret,
  });
  const shutdown = async () => {
    await app.close();
    await worker?.stop();
    await database.close();
  };
  let address: string;
  let demoPassword: string | undefined;
  let operatorSocket: string | undefined;
  try {
    address = await app.listen({ port: config.port, host: config.host });
    operatorSocket = await database.shareWithOperatorCommands();
    // Only now that the port is ours: a start that fails (e.g. the port is taken) creates no
    // demo credential, and one that is created is printed at once.
    demoPassword = await createDemoDataIfEmpty(database.db, config);
  } catch (error) {
    await shutdown();
    throw error;
  }
  if (demoPassword) process.stdout.write(demoBanner(demoPassword, config));
  // Started once listening: its first claims do not compete with building the app (with the
  // embedded database every query runs on this thread). /ready says NOT_READY until then.
  await worker?.start();
  logger.info(
    { address, database: database.kind, worker: Boolean(worker), basePath: config.basePath, operatorSocket },
    'on-site-roles server listening',
  );
  if (!config.databaseUrl && !config.dataDir.startsWith('memory://') && !operatorSocket) {
    logger.warn('the data directory path is too long for a Unix socket: operator commands cannot run while serving');
  }
  await untilSignal(logger, shutdown);
}

/** `osr worker`: a worker process only (for extra workers against one PostgreSQL). */
async function work(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openMigratedDatabase(config, 'worker');
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
