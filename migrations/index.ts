import type { Migration } from 'kysely';
import * as initial from './0001_initial.js';

/** Every migration, in order. Names are stored in kysely_migration: never rename one. */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
};
