import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { generatePassword, hashPassword } from '../auth/password.js';
import { type Config, profileOf } from '../config.js';
import { addBillingUnit, addClient, addCredential, addResidentialUnit } from '../db/repositories/admin.js';
import { insertDelivery } from '../db/repositories/deliveries.js';
import type { Database } from '../db/schema.js';
import { deliveryBodySchema } from '../domain/delivery-schema.js';
import { defaultContracts } from '../domain/profiles.js';
import { projectFile } from '../project-files.js';

export const DEMO = { client: 'demo', username: 'demo', billingUnit: '654321', residentialUnit: '0001' } as const;

/**
 * Zero-setup demo, only on the embedded database and only while it holds no client at all:
 * the source document's billing and residential unit, a demo credential, and the move-in of
 * Mustermann (use case 1's starting state) queued for the worker. Returns the password to print
 * once, or undefined when nothing was created. All or nothing (one transaction); `osr serve`
 * creates it only once it listens, and prints it at once, so a start that fails never leaves a
 * demo credential that nobody has seen.
 */
export async function createDemoDataIfEmpty(db: Kysely<Database>, config: Config): Promise<string | undefined> {
  const hasClient = async (executor: Kysely<Database>) =>
    Boolean(await executor.selectFrom('clients').select('id').limit(1).executeTakeFirst());
  if (config.databaseUrl || (await hasClient(db))) return undefined;
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const moveIn = deliveryBodySchema.parse(
    JSON.parse(readFileSync(projectFile('examples/use-case-0-move-in.json'), 'utf8')),
  );
  return db.transaction().execute(async (trx) => {
    if (await hasClient(trx)) return undefined; // an operator command was quicker
    await addClient(trx, DEMO.client, 'Demo Hausverwaltung');
    await addCredential(trx, {
      clientId: DEMO.client,
      username: DEMO.username,
      password,
      passwordHash,
      readOnly: false,
    });
    // spec 8.1: a contract for every role type of the profile, as `osr billingunit add` gives it
    const contracts = defaultContracts(profileOf(config));
    await addBillingUnit(trx, { mscnumber: DEMO.billingUnit, clientId: DEMO.client, contracts });
    await addResidentialUnit(trx, { billingUnit: DEMO.billingUnit, mscnumber: DEMO.residentialUnit });
    await insertDelivery(trx, {
      id: randomUUID(),
      clientId: DEMO.client,
      credential: DEMO.username,
      billingUnit: DEMO.billingUnit,
      residentialUnit: DEMO.residentialUnit,
      body: moveIn,
      requestId: null,
    });
    return password;
  });
}

/** Printed once to stdout (never to the log): the demo credential and a request to paste. */
export function demoBanner(password: string, config: Config): string {
  const url = `http://${config.host}:${config.port}${config.basePath}/billingunits/${DEMO.billingUnit}/residentialunits/${DEMO.residentialUnit}/on-site-roles`;
  return [
    '',
    'Demo data created in the new embedded database (shown once):',
    `  credential  ${DEMO.username} / ${password}`,
    `  try         curl -u '${DEMO.username}:${password}' ${url}`,
    `  docs        http://${config.host}:${config.port}/docs`,
    '',
  ].join('\n');
}
