import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/connection.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/**
 * Where the tests' database comes from: TEST_DATABASE_URL when set; else the embedded PGlite, on
 * which tests that need several connections are skipped with a printed reason. Under CI=true a
 * real PostgreSQL is required. With PostgreSQL, migrations run once into a template database
 * that every test file clones (fast, isolated, parallel-safe).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    databaseMode: 'postgres' | 'pglite';
    /** Admin connection (any database on the server) and the template to clone. */
    adminUrl: string;
    templateDatabase: string;
    pgliteReason: string;
  }
}

export default async function setup(project: TestProject) {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl && process.env.CI === 'true') {
    throw new Error('CI=true requires a real PostgreSQL: set TEST_DATABASE_URL (see .ci/run)');
  }
  if (!adminUrl) {
    const pgliteReason = 'TEST_DATABASE_URL is not set';
    console.warn(`[tests] using embedded PGlite: ${pgliteReason}`);
    project.provide('databaseMode', 'pglite');
    project.provide('adminUrl', '');
    project.provide('templateDatabase', '');
    project.provide('pgliteReason', pgliteReason);
    return;
  }

  const templateDatabase = `osr_test_template_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${templateDatabase}`);
  const template = await openDatabase({ databaseUrl: databaseUrlFor(adminUrl, templateDatabase), dataDir: '' });
  await migrateToLatest(template.db);
  await template.close();
  project.provide('databaseMode', 'postgres');
  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('pgliteReason', '');

  return async () => {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`);
  };
}

export function databaseUrlFor(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
