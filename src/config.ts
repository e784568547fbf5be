import { z } from 'zod';

/** Environment → typed configuration, validated once at start. */
const envSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  OSR_DATA_DIR: z.string().min(1).default('./data'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OSR_BASE_PATH: z
    .string()
    .regex(/^(\/[A-Za-z0-9._~-]+)+$/, 'must look like /arge/on-site-roles/v1')
    .default('/arge/on-site-roles/v1'),
  OSR_VENDOR_KEY: z.string().min(1).max(30).default('OSR-KALO'),
  OSR_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  OSR_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  OSR_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(1000),
  OSR_WORKER_LOOPS: z.coerce.number().int().min(1).max(64).default(2),
  OSR_WORKER_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(32),
});

export type Config = {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  basePath: string;
  vendorKey: string;
  rateLimitPerMinute: number;
  dbPoolSize: number;
  pollIntervalMs: number;
  /** Claim loops of a worker process (each holds one pool connection while it works). */
  workerLoops: number;
  /** Most deliveries one loop claims and stores per transaction. */
  workerBatchSize: number;
};

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means unset (e.g. `DATABASE_URL= npm start` uses the embedded database).
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(set);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid environment: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.OSR_DATA_DIR,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    basePath: e.OSR_BASE_PATH,
    vendorKey: e.OSR_VENDOR_KEY,
    rateLimitPerMinute: e.OSR_RATE_LIMIT_PER_MINUTE,
    dbPoolSize: e.OSR_DB_POOL_SIZE,
    pollIntervalMs: e.OSR_POLL_INTERVAL_MS,
    workerLoops: e.OSR_WORKER_LOOPS,
    workerBatchSize: e.OSR_WORKER_BATCH_SIZE,
  };
}
