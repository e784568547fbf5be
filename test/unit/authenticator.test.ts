import { describe, expect, it } from 'vitest';
import { Authenticator, type StoredCredential } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/password.js';

/** The authenticator's memory: what it saves per request, and what always reaches the database. */
describe('Authenticator', () => {
  const setup = async () => {
    let now = 1_000_000;
    const row: StoredCredential = {
      username: 'erp',
      clientId: 'acme',
      passwordHash: await hashPassword('secret'),
      readOnly: false,
      revoked: false,
    };
    const reads: string[] = [];
    const authenticator = new Authenticator(
      {
        find: async (username) => {
          reads.push(username);
          return username === row.username ? { ...row } : undefined;
        },
        // The row re-check is the database's (osr_credential_current, test/db/functions.test.ts).
        isCurrent: async () => {
          throw new Error('not asked by these tests');
        },
      },
      () => now,
    );
    return { authenticator, row, reads, advance: (ms: number) => (now += ms) };
  };

  it('remembers a verified username and password: the next request reads no credential row', async () => {
    const { authenticator, reads } = await setup();
    const first = await authenticator.authenticate('erp', 'secret', '10.0.0.1');
    const second = await authenticator.authenticate('erp', 'secret', '10.0.0.1');
    expect(first).toMatchObject({ ok: true, remembered: false, principal: { clientId: 'acme', readOnly: false } });
    expect(second).toMatchObject({ ok: true, remembered: true });
    expect(reads).toEqual(['erp']);
  });

  it('never remembers a wrong password, and a different password is checked against the row', async () => {
    const { authenticator, reads } = await setup();
    await authenticator.authenticate('erp', 'secret', '10.0.0.1');
    expect(await authenticator.authenticate('erp', 'wrong', '10.0.0.1')).toEqual({
      ok: false,
      reason: 'unauthorized',
      knownUsername: true,
    });
    expect(await authenticator.authenticate('erp', 'wrong', '10.0.0.1')).toEqual({
      ok: false,
      reason: 'unauthorized',
      knownUsername: true,
    });
    expect(reads).toEqual(['erp', 'erp', 'erp']);
  });

  it('forgets on request and after a minute', async () => {
    const { authenticator, reads, advance } = await setup();
    await authenticator.authenticate('erp', 'secret', '10.0.0.1');
    authenticator.forget('erp');
    expect(await authenticator.authenticate('erp', 'secret', '10.0.0.1')).toMatchObject({ remembered: false });
    advance(60_001);
    expect(await authenticator.authenticate('erp', 'secret', '10.0.0.1')).toMatchObject({ remembered: false });
    expect(reads).toHaveLength(3);
  });
});
