import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileNamed } from '../../src/domain/profiles.js';
import { CLI_TIMEOUT_MS, expectOk, expectUsageError, osr } from '../support/cli.js';
import { multiConnectionSkipReason } from '../support/database.js';
import { basic, deliver, type Harness, seed, startHarness } from '../support/harness.js';
import { delivery } from '../support/spec.js';

/**
 * Spec 8.1 for the bulk import: a billing unit imported without contracts gets a contract for
 * every role type of the profile active when `osr import` runs (as with `osr billingunit add`);
 * explicit contracts stay as given, and a later change of OSR_PROFILE changes no stored contract.
 */

const skipReason = multiConnectionSkipReason();
if (skipReason) console.warn(`[skipped] osr import under both profiles as child processes: ${skipReason}`);

const ARGE = { OSR_PROFILE: 'arge' };
const ALL_THREE = ['S-BIR', 'S-BVA', 'S-COR'];

describe.skipIf(Boolean(skipReason))(
  'osr import: default contracts by profile (OSR_PROFILE)',
  {
    timeout: CLI_TIMEOUT_MS,
  },
  () => {
    let h: Harness;
    let url: string;
    const dir = mkdtempSync(join(tmpdir(), 'osr-import-profile-'));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const contractsOf = async (mscnumber: string) =>
      (
        await h.database.handle.db
          .selectFrom('billing_units')
          .select('contracts')
          .where('mscnumber', '=', mscnumber)
          .executeTakeFirstOrThrow()
      ).contracts;
    const csv = (rows: string[]) => ['client,client_name,billingunit,contracts,residentialunit', ...rows].join('\n');

    beforeAll(async () => {
      h = await startHarness({ profile: profileNamed('arge') });
      url = h.database.url as string;
    });
    afterAll(async () => {
      await h?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('under arge, JSON without contracts: S-COR, S-BIR and S-BVA; explicit ones as given; idempotent', async () => {
      const json = file(
        'arge.json',
        JSON.stringify({
          clients: [
            {
              id: 'acme',
              billingUnits: [
                { mscnumber: '100001', residentialUnits: ['0001'] },
                { mscnumber: '100002', contracts: ['S-COR'], residentialUnits: ['0001'] },
                { mscnumber: '100003', contracts: [], residentialUnits: [] },
              ],
            },
          ],
        }),
      );
      const run = await osr(url, ['import', json], undefined, ARGE);
      expectOk(run);
      expect(run.stdout).toContain('billing units:      created 3, unchanged 0, conflicting 0');
      expect(await contractsOf('100001')).toEqual(ALL_THREE);
      expect(await contractsOf('100002')).toEqual(['S-COR']);
      expect(await contractsOf('100003')).toEqual([]);
      const again = await osr(url, ['import', json], undefined, ARGE);
      expectOk(again);
      expect(again.stdout).toContain('billing units:      created 0, unchanged 3, conflicting 0');
    });

    it('under arge, CSV with an empty contracts cell: all three; "none" and explicit ones as given', async () => {
      const units = file(
        'arge.csv',
        csv(['acme,,200001,,0001', 'acme,,200001,S-COR;S-BIR;S-BVA,0002', 'acme,,200002,none,', 'acme,,200003,S-BIR,']),
      );
      const run = await osr(url, ['import', units], undefined, ARGE);
      expectOk(run);
      expect(run.stdout).toContain('billing units:      created 3, unchanged 0, conflicting 0');
      expect(await contractsOf('200001')).toEqual(ALL_THREE);
      expect(await contractsOf('200002')).toEqual([]);
      expect(await contractsOf('200003')).toEqual(['S-BIR']);
    });

    it('under kalo (the default), without contracts: S-COR only', async () => {
      const units = file('kalo.csv', csv(['acme,,300001,,0001']));
      expectOk(await osr(url, ['import', units]));
      expect(await contractsOf('300001')).toEqual(['S-COR']);
      const json = file(
        'kalo.json',
        JSON.stringify({ clients: [{ id: 'acme', billingUnits: [{ mscnumber: '300002' }] }] }),
      );
      expectOk(await osr(url, ['import', json], undefined, { OSR_PROFILE: 'kalo' }));
      expect(await contractsOf('300002')).toEqual(['S-COR']);
    });

    it('a later OSR_PROFILE changes no stored contract: the same file under arge is a conflict, nothing written', async () => {
      const units = file('kalo-then-arge.csv', csv(['acme,,400001,,0001']));
      expectOk(await osr(url, ['import', units]));
      const underArge = await osr(url, ['import', units], undefined, ARGE);
      expect(underArge.code).toBe(2);
      expect(underArge.stdout).toContain(
        'conflict: billing unit 400001: stored contracts S-COR differ from S-BIR,S-BVA,S-COR',
      );
      expect(await contractsOf('400001')).toEqual(['S-COR']);
    });

    it('an unknown OSR_PROFILE is refused before anything is read or written', async () => {
      const units = file('unknown-profile.csv', csv(['acme,,500001,,0001']));
      expectUsageError(await osr(url, ['import', units], undefined, { OSR_PROFILE: 'ista' }), /OSR_PROFILE/);
      expect(
        await h.database.handle.db
          .selectFrom('billing_units')
          .select('mscnumber')
          .where('mscnumber', '=', '500001')
          .execute(),
      ).toEqual([]);
    });

    it('a unit imported under arge without contracts takes billing recipients (no OSR-2006)', async () => {
      await seed(h, {
        clients: [],
        credentials: [{ clientId: 'acme', username: 'acme-erp', password: 'acme-password' }],
      });
      const partner = { reference: { pmnumber: 'T1' }, name: 'Mieter', firstname: 'Max' };
      const result = await deliver(
        h.app,
        basic('acme-erp', 'acme-password'),
        '100001',
        '0001',
        delivery([{ change: 'INSERT', role: 'S-BIR', from: '2020-01-01', partner: { pmnumber: 'T1' } }], [partner], {
          bu: '100001',
          ru: '0001',
        }),
      );
      expect(result).toMatchObject({ status: 'SUCCESS', messages: null, roleMessages: null });
    });
  },
);
