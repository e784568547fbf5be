import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, profileNamed } from '../../src/domain/profiles.js';

/** Spec 8.1: the profiles as data; an unknown name is refused with a clear error. */
describe('processing profiles', () => {
  it('kalo: S-COR only, with the configured vendor key; it is the default profile', () => {
    expect(profileNamed('kalo', 'OSR-ACME')).toStrictEqual({
      name: 'kalo',
      vendorKey: 'OSR-ACME',
      supportedRoles: new Set(['S-COR']),
    });
    expect(DEFAULT_PROFILE).toStrictEqual({ name: 'kalo', vendorKey: 'OSR-KALO', supportedRoles: new Set(['S-COR']) });
  });

  it('arge: S-COR and the billing recipients S-BIR and S-BVA', () => {
    expect(profileNamed('arge')).toStrictEqual({
      name: 'arge',
      vendorKey: 'OSR-KALO',
      supportedRoles: new Set(['S-COR', 'S-BIR', 'S-BVA']),
    });
  });

  it.each(['', 'KALO', 'Arge', 'toString', 'bved'])('refuses the unknown name %j, naming the known ones', (name) => {
    expect(() => profileNamed(name)).toThrow(
      `unknown profile ${JSON.stringify(name)}: OSR_PROFILE must be one of kalo, arge`,
    );
  });
});
