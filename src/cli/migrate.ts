import { loadConfig } from '../config.js';
import { parseCommandArgs } from './args.js';
import { openMigratedDatabase } from './runtime.js';

export async function migrate(args: string[]): Promise<void> {
  parseCommandArgs(args, {}, []);
  const database = await openMigratedDatabase(loadConfig());
  await database.close();
  process.stdout.write('migrations applied\n');
}
