import { describe, expect, it } from 'vitest';
import { HTTP, STANDARD, SYNC, VENDOR } from '../../src/domain/messages.js';
import { TEXT } from './fixtures.js';

/** The catalogue must match the contract byte for byte (spec sections 4, 5, 6). */
describe('message catalogue', () => {
  it('OSR-1001..1004 (section 4)', () => {
    expect(SYNC).toStrictEqual({
      partnerNotInDelivery: { key: 'OSR-1001', message: TEXT.osr1001 },
      invalidEmail: { key: 'OSR-1002', message: TEXT.osr1002 },
      invalidPhone: { key: 'OSR-1003', message: TEXT.osr1003 },
      billingRecipientFromMissing: { key: 'OSR-1004', message: TEXT.osr1004 },
    });
  });

  it('ARGE/bved standard asynchronous messages OSR-2001, OSR-2002, OSR-2006', () => {
    expect(STANDARD.billingUnitUnknown).toStrictEqual({ key: 'OSR-2001', message: TEXT.D5 });
    expect(STANDARD.residentialUnitUnknown).toStrictEqual({ key: 'OSR-2002', message: TEXT.D6 });
    expect(STANDARD.noContract).toStrictEqual({ key: 'OSR-2006', message: TEXT.R10 });
  });

  it.each([
    ['billingUnitFormat', TEXT.D1],
    ['residentialUnitFormat', TEXT.D2],
    ['billingUnitMismatch', TEXT.D3],
    ['residentialUnitMismatch', TEXT.D4],
    ['partnerNotUnique', TEXT.D7],
    ['noSupportedRole', TEXT.D8],
    ['roleNotSupported', TEXT.R1],
    ['changeMissing', TEXT.R2],
    ['partnerReferenceMissing', TEXT.R3],
    ['pmnumberMissing', TEXT.R4],
    ['fromMissing', TEXT.R5],
    ['fromNotBeforeTo', TEXT.R6],
    ['partnerNameMissing', TEXT.R7],
    ['partnerFirstnameMissing', TEXT.R8],
    ['insertsOverlap', TEXT.R9],
    ['insertBeforeActive', TEXT.I1],
    ['insertActiveOpen', TEXT.I2],
    ['insertOverlapsActive', TEXT.I3],
    ['updateNoMatch', TEXT.U1],
    ['updateFromMismatch', TEXT.U2],
    ['updateNotActive', TEXT.U3],
    ['deleteNoMatch', TEXT.X1],
    ['deleteFromMismatch', TEXT.X2],
    ['deleteNotActive', TEXT.X3],
    ['insertUnexpected', TEXT.insertUnexpected],
    ['updateUnexpected', TEXT.updateUnexpected],
    ['deleteUnexpected', TEXT.deleteUnexpected],
    ['residentialUnitNotFound', 'Residential unit not found.'],
    ['noRolesInUnit', 'No on-site-roles found in residential unit.'],
  ] as const)('vendor text %s', (name, text) => {
    expect(VENDOR[name]).toBe(text);
  });

  it('HTTP-level messages (section 6)', () => {
    expect(HTTP.schema.key).toBe('OSR-SCHEMA');
    expect(HTTP.unauthorized).toStrictEqual({ key: 'OSR-401', message: 'Authorization failure.' });
    expect(HTTP.forbidden).toStrictEqual({
      key: 'OSR-403',
      message: 'No permission to the requested data with the given credentials.',
    });
    expect(HTTP.deliveryNotFound).toStrictEqual({ key: 'OSR-404', message: 'Data delivery not found.' });
    expect(HTTP.notFound).toStrictEqual({ key: 'OSR-404', message: 'Not found.' });
    expect(HTTP.payloadTooLarge).toStrictEqual({ key: 'OSR-413', message: 'Payload too large.' });
    expect(HTTP.unsupportedMediaType).toStrictEqual({
      key: 'OSR-415',
      message: 'Unsupported media type, use application/json.',
    });
    expect(HTTP.tooManyRequests).toStrictEqual({ key: 'OSR-429', message: 'Too many requests.' });
    expect(HTTP.technicalError).toStrictEqual({ key: 'OSR-500', message: 'Technical error.' });
    expect(HTTP.unavailable).toStrictEqual({ key: 'OSR-503', message: 'Service temporarily unavailable.' });
  });
});
