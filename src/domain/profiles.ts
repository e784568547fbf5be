import type { KnownRoleType } from './role-types.js';

/**
 * The processing profiles (spec 8.1) as data: which role types a deployment processes. `kalo`
 * is section 5 exactly as written (only S-COR); `arge` adds the billing recipients of section 8.
 * Everything else about processing is decided by the rules, never by the profile's name.
 */

export const PROFILE_NAMES = ['kalo', 'arge'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface ProcessingProfile {
  name: ProfileName;
  /** Key of the vendor messages (default OSR-KALO). */
  vendorKey: string;
  /** Role types this MSC processes; every other type gets R1. */
  supportedRoles: ReadonlySet<string>;
}

/** The vendor key when none is configured. */
export const DEFAULT_VENDOR_KEY = 'OSR-KALO';

const PROCESSED_ROLE_TYPES: Record<ProfileName, readonly KnownRoleType[]> = {
  kalo: ['S-COR'],
  arge: ['S-COR', 'S-BIR', 'S-BVA'],
};

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/** The profile of that name (OSR_PROFILE); an unknown name is refused with a clear error. */
export function profileNamed(name: string, vendorKey: string = DEFAULT_VENDOR_KEY): ProcessingProfile {
  if (!isProfileName(name)) {
    throw new Error(`unknown profile ${JSON.stringify(name)}: OSR_PROFILE must be one of ${PROFILE_NAMES.join(', ')}`);
  }
  return { name, vendorKey, supportedRoles: new Set(PROCESSED_ROLE_TYPES[name]) };
}

/**
 * Spec 8.1: the contracts of a billing unit created without explicit ones (`osr billingunit add`
 * without `--contracts`, `osr import` without `contracts`): every role type the profile processes.
 */
export const defaultContracts = (profile: ProcessingProfile): string[] => [...profile.supportedRoles];

/** Section 5 exactly as written: S-COR only, vendor key OSR-KALO. */
export const DEFAULT_PROFILE: ProcessingProfile = profileNamed('kalo');
