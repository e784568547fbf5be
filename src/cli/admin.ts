import { createInterface } from 'node:readline';
import { generatePassword, hashPassword } from '../auth/password.js';
import { loadConfig } from '../config.js';
import type { DatabaseHandle } from '../db/connection.js';
import {
  type AddOutcome,
  addBillingUnit,
  addClient,
  addCredential,
  addResidentialUnit,
} from '../db/repositories/admin.js';
import { BILLING_UNIT_FORMAT, RESIDENTIAL_UNIT_FORMAT } from '../domain/delivery-schema.js';
import { parseCommandArgs, UsageError } from './args.js';
import { openMigratedDatabase } from './runtime.js';

const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;
const USERNAME = /^[^\s:]{1,128}$/; // Basic auth cannot carry ':' in a user-id
const ROLE_TYPE = /^[A-Z0-9-]{1,10}$/;

/** Validates all arguments first, then opens the database once: nothing half-written. */
async function withDatabase<T>(work: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  const database = await openMigratedDatabase(loadConfig());
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

const report = (outcome: AddOutcome, what: string) => process.stdout.write(`${outcome} ${what}\n`);

function expect(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new UsageError(`invalid ${what} "${value}"`);
  return value;
}

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
  const fromStdin = !process.stdin.isTTY;
  const password = fromStdin ? await readFirstLine() : generatePassword();
  if (password.length === 0) throw new UsageError('empty password on stdin');
  if (password.length > 1024) throw new UsageError('password longer than 1024 characters');
  const passwordHash = await hashPassword(password);
  const outcome = await withDatabase(({ db }) =>
    addCredential(db, { clientId, username, password, passwordHash, readOnly: values['read-only'] ?? false }),
  );
  report(outcome, `credential ${username} for client ${clientId}${values['read-only'] ? ' (read-only)' : ''}`);
  if (!fromStdin && outcome === 'created') {
    process.stdout.write(`password: ${password}\n(shown once; store it now)\n`);
  }
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

function readFirstLine(): Promise<string> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    let first: string | undefined;
    lines.once('line', (line) => {
      first = line;
      lines.close();
    });
    lines.once('close', () => resolve((first ?? '').replace(/\r$/, '')));
  });
}

export const adminCommands = {
  'client add': clientAdd,
  'credential add': credentialAdd,
  'billingunit add': billingUnitAdd,
  'residentialunit add': residentialUnitAdd,
};
