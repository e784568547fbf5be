import { describe, expect, it } from 'vitest';
import { deliveryVisibleTo, ownsBillingUnit } from '../../src/domain/access.js';

describe('ownsBillingUnit (D5, spec section 2)', () => {
  it("is true for the caller's own billing unit", () => {
    expect(ownsBillingUnit({ clientId: 'acme' }, 'acme')).toBe(true);
  });
  it("is false for another client's billing unit and for an unknown one alike", () => {
    expect(ownsBillingUnit({ clientId: 'globex' }, 'acme')).toBe(false);
    expect(ownsBillingUnit(null, 'acme')).toBe(false);
    expect(ownsBillingUnit(undefined, 'acme')).toBe(false);
  });
  it('compares client ids exactly', () => {
    expect(ownsBillingUnit({ clientId: 'Acme' }, 'acme')).toBe(false);
    expect(ownsBillingUnit({ clientId: '' }, 'acme')).toBe(false);
  });
});

describe('deliveryVisibleTo (E3, spec sections 5 and 6)', () => {
  const delivery = { clientId: 'acme', billingUnit: '654321' };

  it('any credential of the client that POSTed it reads it under the {bu} of the POST', () => {
    expect(deliveryVisibleTo(delivery, { clientId: 'acme', billingUnitPath: '654321' })).toBe(true);
  });
  it('another client does not, even under the right {bu}', () => {
    expect(deliveryVisibleTo(delivery, { clientId: 'globex', billingUnitPath: '654321' })).toBe(false);
  });
  it('{bu} is compared as the string the POST used', () => {
    expect(deliveryVisibleTo(delivery, { clientId: 'acme', billingUnitPath: '654322' })).toBe(false);
    expect(deliveryVisibleTo(delivery, { clientId: 'acme', billingUnitPath: '000654321' })).toBe(false);
    expect(deliveryVisibleTo(delivery, { clientId: 'acme', billingUnitPath: '654321 ' })).toBe(false);
  });
  it('a delivery that failed D1 is still read under its malformed {bu}', () => {
    const malformed = { clientId: 'acme', billingUnit: 'abc' };
    expect(deliveryVisibleTo(malformed, { clientId: 'acme', billingUnitPath: 'abc' })).toBe(true);
  });
});
