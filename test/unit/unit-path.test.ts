import { describe, expect, it } from 'vitest';
import { unitPathFormatMessages } from '../../src/domain/unit-path.js';
import { plainMessage, withKey } from '../support/spec.js';

/** D1, D2: the one format check of `{bu}` and `{ru}` that the worker (E1) and E2 share. */
describe('unitPathFormatMessages', () => {
  it.each([
    ['654321', '0001'],
    ['099654321', '1'],
    ['000000', '9999'],
  ])('accepts %j / %j', (bu, ru) => {
    expect(unitPathFormatMessages(bu, ru, 'OSR-KALO')).toStrictEqual([]);
  });

  it.each(['12345', '1234567', '098654321', '0996543210', '65432a', '', ' 654321'])('D1 for {bu} %j', (bu) => {
    expect(unitPathFormatMessages(bu, '0001', 'OSR-KALO')).toStrictEqual([plainMessage('D1')]);
  });

  it.each(['12345', 'a1', '', '01 ', '-1'])('D2 for {ru} %j', (ru) => {
    expect(unitPathFormatMessages('654321', ru, 'OSR-KALO')).toStrictEqual([plainMessage('D2')]);
  });

  it('both, D1 before D2, under the configured vendor key', () => {
    expect(unitPathFormatMessages('abc', 'x', 'OSR-ACME')).toStrictEqual([
      withKey('D1', 'OSR-ACME'),
      withKey('D2', 'OSR-ACME'),
    ]);
  });
});
