import type { Command } from '@commander-js/extra-typings';
import { hashPassword } from '../auth/password.js';
import { loadConfig, profileOf } from '../config.js';
import {
  type AddOutcome,
  addBillingUnit,
  addClient,
  addCredential,
  addResidentialUnit,
} from '../db/repositories/admin.js';
import { closeBillingUnit, listBillingUnits } from '../db/repositories/billing-units.js';
import { defaultContracts } from '../domain/profiles.js';
import {
  BILLING_UNIT,
  CLIENT_ID,
  expect,
  expectCalendarDate,
  KNOWN_ROLE_TYPES_TEXT,
  MIN_PASSWORD_LENGTH,
  parseContracts,
  printGeneratedPassword,
  RESIDENTIAL_UNIT,
  readPasswordOrGenerate,
  USERNAME,
  UsageError,
} from './args.js';
import { requireClient } from './lookups.js';
import { withDatabase } from './runtime.js';
import { renderTable } from './table.js';

/** Adding master data and credentials; adding what exists identically is fine (exit 0). */

const report = (outcome: AddOutcome, what: string) => process.stdout.write(`${outcome} ${what}\n`);

export function addClientCommands(client: Command): void {
  client
    .command('add')
    .description('add a client (a property-management company)')
    .argument('<clientId>', CLIENT_ID.rule)
    .option('--name <text>', 'its name, 1 to 200 characters')
    .action(async (id, options) => {
      const clientId = expect(id, CLIENT_ID);
      if (options.name !== undefined && (options.name.length === 0 || options.name.length > 200)) {
        throw new UsageError('--name must be 1 to 200 characters');
      }
      const outcome = await withDatabase(({ db }) => addClient(db, clientId, options.name));
      report(outcome, `client ${clientId}`);
    });
}

export function addCredentialAddCommand(credential: Command): void {
  credential
    .command('add')
    .description(
      `add a credential (username and password) for a client; the password is the first line of stdin when stdin is not a terminal (at least ${MIN_PASSWORD_LENGTH} characters), else one is generated and printed once; stored as a salted scrypt hash`,
    )
    .argument('<clientId>', 'the client it belongs to')
    .argument('<username>', USERNAME.rule)
    .option('--read-only', 'may read (E2, E3) but not submit deliveries')
    .action(async (client, user, options) => {
      const clientId = expect(client, CLIENT_ID);
      const username = expect(user, USERNAME);
      const readOnly = options.readOnly ?? false;
      let generatedPassword: string | undefined;
      const outcome = await withDatabase(async ({ db }) => {
        await requireClient(db, clientId); // said before anything about the password
        const { password, generated } = await readPasswordOrGenerate();
        if (generated) generatedPassword = password;
        const passwordHash = await hashPassword(password);
        return addCredential(db, { clientId, username, password, passwordHash, readOnly });
      });
      report(outcome, `credential ${username} for client ${clientId}${readOnly ? ' (read-only)' : ''}`);
      if (generatedPassword && outcome === 'created') printGeneratedPassword(generatedPassword);
    });
}

export function addBillingUnitCommands(billingUnit: Command): void {
  billingUnit
    .command('add')
    .description('add a billing unit of a client, with its contracts')
    .argument('<mscnumber>', BILLING_UNIT.rule)
    .requiredOption('--client <clientId>', 'the client that owns it')
    .option(
      '--contracts <roles>',
      `the role types it has a contract for: ${KNOWN_ROLE_TYPES_TEXT} separated by commas, or none (deliveries then fail with OSR-2006); default: every role type the profile (OSR_PROFILE) processes`,
    )
    .action(async (number, options) => {
      const mscnumber = expect(number, BILLING_UNIT);
      const clientId = expect(options.client, CLIENT_ID);
      const contracts =
        options.contracts === undefined ? defaultContracts(profileOf(loadConfig())) : parseContracts(options.contracts);
      const outcome = await withDatabase(({ db }) => addBillingUnit(db, { mscnumber, clientId, contracts }));
      report(outcome, `billing unit ${mscnumber} (client ${clientId}, contracts ${contracts.join(',') || 'none'})`);
    });

  billingUnit
    .command('close')
    .description(
      'close the billing periods up to and including a day (spec 8.2): billing recipients on or before it can no longer change; only moves forward',
    )
    .argument('<mscnumber>', BILLING_UNIT.rule)
    .requiredOption('--until <YYYY-MM-DD>', 'the last day whose bills are final')
    .action(async (number, options) => {
      const mscnumber = expect(number, BILLING_UNIT);
      const until = expectCalendarDate(options.until, '--until');
      const outcome = await withDatabase(({ db }) => closeBillingUnit(db, mscnumber, until));
      process.stdout.write(`${outcome === 'set' ? 'closed' : 'unchanged'} billing unit ${mscnumber} until ${until}\n`);
    });

  billingUnit
    .command('list')
    .description('billing units with their client, contracts and closed-until')
    .option('--client <clientId>', 'only the billing units of this client')
    .option('--json', 'one JSON array instead of a table')
    .action(async (options) => {
      const clientId = options.client === undefined ? undefined : expect(options.client, CLIENT_ID);
      const rows = await withDatabase(async ({ db }) => {
        if (clientId !== undefined) await requireClient(db, clientId);
        return listBillingUnits(db, clientId);
      });
      if (options.json) {
        const units = rows.map((row) => ({
          mscnumber: row.mscnumber,
          client: row.client_id,
          contracts: row.contracts,
          closedUntil: row.closed_until,
        }));
        process.stdout.write(`${JSON.stringify(units)}\n`);
        return;
      }
      process.stdout.write(
        renderTable(
          ['billing unit', 'client', 'contracts', 'closed until'],
          rows.map((row) => [row.mscnumber, row.client_id, row.contracts.join(',') || 'none', row.closed_until ?? '-']),
        ),
      );
    });
}

export function addResidentialUnitCommands(residentialUnit: Command): void {
  residentialUnit
    .command('add')
    .description('add a residential unit of a billing unit')
    .argument('<billingunit-mscnumber>', BILLING_UNIT.rule)
    .argument('<residentialunit-mscnumber>', RESIDENTIAL_UNIT.rule)
    .action(async (billingUnitNumber, number) => {
      const billingUnit = expect(billingUnitNumber, BILLING_UNIT);
      const mscnumber = expect(number, RESIDENTIAL_UNIT);
      const outcome = await withDatabase(({ db }) => addResidentialUnit(db, { billingUnit, mscnumber }));
      report(outcome, `residential unit ${mscnumber} in billing unit ${billingUnit}`);
    });
}
