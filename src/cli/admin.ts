import { hashPassword } from '../auth/password.js';
import {
  type AddOutcome,
  addBillingUnit,
  addClient,
  addCredential,
  addResidentialUnit,
} from '../db/repositories/admin.js';
import { BILLING_UNIT_FORMAT, RESIDENTIAL_UNIT_FORMAT } from '../domain/delivery-schema.js';
import {
  CLIENT_ID,
  expect,
  parseCommandArgs,
  printGeneratedPassword,
  ROLE_TYPE,
  readPasswordOrGenerate,
  USERNAME,
  UsageError,
} from './args.js';
import { withDatabase } from './runtime.js';

const report = (outcome: AddOutcome, what: string) => process.stdout.write(`${outcome} ${what}\n`);

async function clientAdd(args: string[]) {
  const { values, positionals } = parseCommandArgs(args, { name: { type: 'string' } }, ['clientId']);
  const clientId = expect(positionals[0] as string, CLIENT_ID, 'client id');
  if (values.name !== undefined && (values.name.length === 0 || values.name.length > 200)) {
    throw new UsageError('--name must be 1 to 200 characters');
  }
  const outcome = await withDatabase(({ db }) => addClient(db, clientId, values.name));
  report(outcome, `client ${clientId}`);
}

async function credentialAdd(args: string[]) {
  const { values, positionals } = parseCommandArgs(args, { 'read-only': { type: 'boolean' } }, [
    'clientId',
    'username',
  ]);
  const clientId = expect(positionals[0] as string, CLIENT_ID, 'client id');
  const username = expect(positionals[1] as string, USERNAME, 'username');
  const { password, generated } = await readPasswordOrGenerate();
  const passwordHash = await hashPassword(password);
  const outcome = await withDatabase(({ db }) =>
    addCredential(db, { clientId, username, password, passwordHash, readOnly: values['read-only'] ?? false }),
  );
  report(outcome, `credential ${username} for client ${clientId}${values['read-only'] ? ' (read-only)' : ''}`);
  if (generated && outcome === 'created') printGeneratedPassword(password);
}

async function billingUnitAdd(args: string[]) {
  const { values, positionals } = parseCommandArgs(
    args,
    { client: { type: 'string' }, contracts: { type: 'string' } },
    ['mscnumber'],
  );
  const mscnumber = expect(
    positionals[0] as string,
    BILLING_UNIT_FORMAT,
    'billing unit number (6 digits, or 099 + 6 digits)',
  );
  if (!values.client) throw new UsageError('--client <clientId> is required');
  const clientId = expect(values.client, CLIENT_ID, 'client id');
  const contracts = parseContracts(values.contracts ?? 'S-COR');
  const outcome = await withDatabase(({ db }) => addBillingUnit(db, { mscnumber, clientId, contracts }));
  report(outcome, `billing unit ${mscnumber} (client ${clientId}, contracts ${contracts.join(',') || 'none'})`);
}

function parseContracts(text: string): string[] {
  if (text === 'none') return [];
  const roles = text.split(',').map((role) => role.trim());
  for (const role of roles) expect(role, ROLE_TYPE, 'contract role type');
  return [...new Set(roles)];
}

async function residentialUnitAdd(args: string[]) {
  const { positionals } = parseCommandArgs(args, {}, ['billingunit-mscnumber', 'residentialunit-mscnumber']);
  const billingUnit = expect(positionals[0] as string, BILLING_UNIT_FORMAT, 'billing unit number');
  const mscnumber = expect(
    positionals[1] as string,
    RESIDENTIAL_UNIT_FORMAT,
    'residential unit number (1 to 4 digits)',
  );
  const outcome = await withDatabase(({ db }) => addResidentialUnit(db, { billingUnit, mscnumber }));
  report(outcome, `residential unit ${mscnumber} in billing unit ${billingUnit}`);
}

export const adminCommands = {
  'client add': clientAdd,
  'credential add': credentialAdd,
  'billingunit add': billingUnitAdd,
  'residentialunit add': residentialUnitAdd,
};
