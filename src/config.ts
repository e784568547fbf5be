import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_IDEMPOTENCY_RETENTION_HOURS } from './domain/idempotency-key.js';
import { PROFILE_NAMES, type ProcessingProfile, type ProfileName, profileNamed } from './domain/profiles.js';
import { DEFAULT_MAX_WAITERS } from './http/delivery-waiters.js';

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
  OSR_DB_PREPARED_STATEMENTS: z.enum(['true', 'false']).default('true'),
  OSR_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(1000),
  OSR_WORKER_LOOPS: z.coerce.number().int().min(1).max(64).default(2),
  OSR_WORKER_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(32),
  OSR_MAX_WAITERS: z.coerce.number().int().min(0).max(100_000).default(DEFAULT_MAX_WAITERS),
  OSR_TRUST_PROXY: z.string().optional(),
  OSR_IDEMPOTENCY_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(8760)
    .default(DEFAULT_IDEMPOTENCY_RETENTION_HOURS),
  OSR_PROFILE: z.enum(PROFILE_NAMES).default('kalo'),
  OSR_OIDC_ISSUER: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  OSR_OIDC_AUDIENCE: z.string().min(1).optional(),
  OSR_OIDC_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  OSR_OIDC_CLIENT_CLAIM: z.string().min(1).max(256).optional(),
  OSR_CONSOLE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
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
  /** The hot statements as named prepared statements (src/db/prepared-statements.ts); off behind a transaction-mode pooler. */
  dbPreparedStatements: boolean;
  pollIntervalMs: number;
  /** Claim loops of a worker process (each holds one pool connection while it works). */
  workerLoops: number;
  /** Most deliveries one loop claims and stores per transaction. */
  workerBatchSize: number;
  /** E3 requests that may wait at once per process (`Prefer: wait`, spec 9.1); 0: none waits. */
  maxWaiters: number;
  /** Which proxies' X-Forwarded-For to believe (Fastify's `trustProxy`): see `parseTrustProxy`. */
  trustProxy: TrustProxy;
  /** How long E1 keeps an `Idempotency-Key` after its first request (spec 9.2), 1 hour to a year. */
  idempotencyRetentionHours: number;
  /** Which role types this deployment processes (spec 8.1); shared by server, workers and commands. */
  profileName: ProfileName;
  /** Bearer tokens (spec 9.3); undefined: Basic auth only. */
  oidc: OidcConfig | undefined;
  /** Signs the support console's session cookies (spec 10.5); undefined: a key generated once and kept in the database. */
  consoleSecret: string | undefined;
};

/** OSR_OIDC_*: the issuer whose tokens are accepted, next to Basic auth (spec 9.3). */
export interface OidcConfig {
  issuer: string;
  audience: string;
  /** Overrides the issuer's discovery document (`jwks_uri`). */
  jwksUrl?: string;
  /** The one claim that names the client; unset: `azp`, else `client_id`. */
  clientClaim?: string;
}

/** false: none; true: any; a number: that many hops; a list: these addresses and CIDR ranges. */
export type TrustProxy = boolean | number | string[];

const isAddressOrRange = (entry: string): boolean => {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
};

/**
 * OSR_TRUST_PROXY: unset or `false` trusts no proxy (X-Forwarded-For is ignored: clients connect
 * directly); `true` trusts any (only when nothing but the proxy can reach the server); a number
 * trusts that many hops; else a comma-separated list of the proxies' addresses or CIDR ranges.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  const invalid = entries.find((entry) => !isAddressOrRange(entry));
  if (invalid !== undefined) {
    throw new ConfigError(
      `invalid environment: OSR_TRUST_PROXY: "${invalid}" is not an IP address or CIDR range ` +
        '(use true, false, a hop count, or a comma-separated list such as 127.0.0.1,10.0.0.0/8)',
    );
  }
  return entries;
}

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
    dbPreparedStatements: e.OSR_DB_PREPARED_STATEMENTS === 'true',
    pollIntervalMs: e.OSR_POLL_INTERVAL_MS,
    workerLoops: e.OSR_WORKER_LOOPS,
    workerBatchSize: e.OSR_WORKER_BATCH_SIZE,
    maxWaiters: e.OSR_MAX_WAITERS,
    trustProxy: parseTrustProxy(e.OSR_TRUST_PROXY),
    idempotencyRetentionHours: e.OSR_IDEMPOTENCY_RETENTION_HOURS,
    profileName: e.OSR_PROFILE,
    oidc: parseOidc(e),
    consoleSecret: e.OSR_CONSOLE_SECRET,
  };
}

/** Bearer tokens are on with OSR_OIDC_ISSUER, which needs OSR_OIDC_AUDIENCE; the others need the issuer. */
function parseOidc(e: z.infer<typeof envSchema>): OidcConfig | undefined {
  if (e.OSR_OIDC_ISSUER === undefined) {
    const orphan = (['OSR_OIDC_AUDIENCE', 'OSR_OIDC_JWKS_URL', 'OSR_OIDC_CLIENT_CLAIM'] as const).find(
      (name) => e[name] !== undefined,
    );
    if (orphan) throw new ConfigError(`invalid environment: ${orphan} is set but OSR_OIDC_ISSUER is not`);
    return undefined;
  }
  if (e.OSR_OIDC_AUDIENCE === undefined) {
    throw new ConfigError(
      'invalid environment: OSR_OIDC_AUDIENCE is required with OSR_OIDC_ISSUER (the audience the tokens must carry in "aud")',
    );
  }
  return {
    issuer: e.OSR_OIDC_ISSUER,
    audience: e.OSR_OIDC_AUDIENCE,
    ...(e.OSR_OIDC_JWKS_URL === undefined ? {} : { jwksUrl: e.OSR_OIDC_JWKS_URL }),
    ...(e.OSR_OIDC_CLIENT_CLAIM === undefined ? {} : { clientClaim: e.OSR_OIDC_CLIENT_CLAIM }),
  };
}

/** The processing profile of this deployment, with its vendor key. */
export const profileOf = (config: Config): ProcessingProfile => profileNamed(config.profileName, config.vendorKey);
