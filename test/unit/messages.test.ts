import { describe, expect, it } from 'vitest';
import { HTTP, keyedMessage, MESSAGES, type MessageId, standardMessage } from '../../src/domain/messages.js';
import { HTTP_ERROR, KALO, MESSAGE, type RuleId, SCHEMA_KEY } from '../support/spec.js';

/** The catalogue must match the contract byte for byte (spec sections 4, 5, 6), under the spec's ids. */
describe('message catalogue', () => {
  it('holds exactly the messages of the spec, under the same ids', () => {
    expect(Object.keys(MESSAGES).sort()).toStrictEqual(Object.keys(MESSAGE).sort());
  });

  it.each(Object.keys(MESSAGE) as RuleId[])('%s: key and text as the spec says (default profile)', (id) => {
    expect(keyedMessage(id as MessageId, KALO)).toStrictEqual(MESSAGE[id]);
  });

  it('vendor messages take the configured key; the standard keys stay', () => {
    expect(keyedMessage('R9', 'OSR-ACME')).toStrictEqual({ key: 'OSR-ACME', message: MESSAGE.R9.message });
    expect(keyedMessage('UNIT_NOT_FOUND', 'OSR-ACME').key).toBe('OSR-ACME');
    for (const id of ['OSR-1001', 'OSR-1004', 'D5', 'D6', 'R10'] as const) {
      expect(keyedMessage(id, 'OSR-ACME')).toStrictEqual(MESSAGE[id]);
    }
  });

  it.each(['OSR-1001', 'OSR-1002', 'OSR-1003', 'OSR-1004', 'D5', 'D6', 'R10'] as const)(
    '%s has a fixed key (standardMessage, for checks without a profile)',
    (id) => {
      expect(standardMessage(id)).toStrictEqual(MESSAGE[id]);
    },
  );

  it('HTTP-level messages (section 6, and the README for 408 and 431)', () => {
    const { schema, ...fixed } = HTTP;
    expect(schema.key).toBe(SCHEMA_KEY);
    expect(fixed).toStrictEqual(HTTP_ERROR);
  });
});
