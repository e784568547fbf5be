import type { Migration } from 'kysely';
import * as initial from './0001_initial.js';
import * as deliveryPurge from './0002_delivery_purge.js';

/** Every migration, in order. Names are stored in kysely_migration: never rename one. */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_delivery_purge': deliveryPurge,
};
