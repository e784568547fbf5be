import type { Command } from '@commander-js/extra-typings';
import { loadConfig } from '../config.js';
import { openMigratedDatabase } from './runtime.js';

export function addMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending migrations and exit (safe when several run at once)')
    .action(async () => {
      const database = await openMigratedDatabase(loadConfig());
      await database.close();
      process.stdout.write('migrations applied\n');
    });
}
