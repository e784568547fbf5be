import type { Migration } from 'kysely';
import * as initial from './0001_initial.js';
import * as deliveryPurge from './0002_delivery_purge.js';
import * as workerFunctions from './0003_worker_functions.js';
import * as requestFunctions from './0004_request_functions.js';
import * as workerBatches from './0005_worker_batches.js';
import * as unitDocuments from './0006_unit_documents.js';

/** Every migration, in order. Names are stored in kysely_migration: never rename one. */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_delivery_purge': deliveryPurge,
  '0003_worker_functions': workerFunctions,
  '0004_request_functions': requestFunctions,
  '0005_worker_batches': workerBatches,
  '0006_unit_documents': unitDocuments,
};
