import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { decideStoredKey, parseIdempotencyKey, requestFingerprint } from '../../src/domain/idempotency-key.js';

/** Spec 9.2: the key's format, what makes two requests the same, and what a stored key means. */

const VISIBLE_ASCII = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');

describe('the Idempotency-Key header (9.2)', () => {
  it('is absent when not sent', () => {
    expect(parseIdempotencyKey([])).toEqual({ kind: 'absent' });
  });

  it.each([
    ['a', 'a'],
    ['8e0f7d5c-6d5a-4b8e-9a51-2f3c1d0e4b7a', '8e0f7d5c-6d5a-4b8e-9a51-2f3c1d0e4b7a'],
    [VISIBLE_ASCII, VISIBLE_ASCII],
    ['k'.repeat(255), 'k'.repeat(255)],
    // one pair of surrounding double quotes is removed (a structured-field string)
    ['"abc"', 'abc'],
    [`"${'k'.repeat(255)}"`, 'k'.repeat(255)],
    ['""abc""', '"abc"'],
    // a quote that does not surround the value stays part of the key
    ['"abc', '"abc'],
    ['abc"', 'abc"'],
    ['"', '"'],
    ['a"b', 'a"b'],
  ])('%j is the key %j', (value, key) => {
    expect(parseIdempotencyKey([value])).toEqual({ kind: 'key', key });
  });

  it.each([
    ['empty', ''],
    ['empty between quotes', '""'],
    ['256 characters', 'k'.repeat(256)],
    ['256 characters between quotes', `"${'k'.repeat(256)}"`],
    ['a space', 'a b'],
    ['a tab', 'a\tb'],
    ['a control character', 'a\u0001b'],
    ['DEL', 'a\u007fb'],
    ['non-ASCII', 'schlüssel'],
    ['Latin-1 read from the wire', 'a\u00a0b'],
    ['two values joined by Node', 'abc, abc'],
  ])('%s is malformed', (_what, value) => {
    expect(parseIdempotencyKey([value])).toEqual({
      kind: 'malformed',
      reason: 'Idempotency-Key must be 1 to 255 visible ASCII characters (! to ~).',
    });
  });

  it('sent twice is malformed, even with the same value twice', () => {
    for (const values of [
      ['abc', 'abc'],
      ['abc', 'def'],
      ['abc', ''],
    ]) {
      expect(parseIdempotencyKey(values)).toEqual({
        kind: 'malformed',
        reason: 'Idempotency-Key must be sent at most once.',
      });
    }
  });
});

describe('the fingerprint of a request (9.2)', () => {
  const body = Buffer.from('{"timestamp":"2022-05-16T10:17:17Z"}');
  const path = '/arge/on-site-roles/v1/billingunits/654321/residentialunits/0001/on-site-roles';

  it('is the same for the same path and body bytes, whatever the query string', () => {
    expect(requestFingerprint(path, body)).toBe(requestFingerprint(path, Buffer.from(body)));
    expect(requestFingerprint(`${path}?a=1`, body)).toBe(requestFingerprint(path, body));
    expect(requestFingerprint(path, body)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs for another path or other body bytes, even when the JSON means the same', () => {
    const fingerprint = requestFingerprint(path, body);
    expect(requestFingerprint(path.replace('0001', '0002'), body)).not.toBe(fingerprint);
    expect(requestFingerprint(path, Buffer.from('{ "timestamp":"2022-05-16T10:17:17Z"}'))).not.toBe(fingerprint);
    expect(requestFingerprint(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]))).not.toBe(fingerprint);
    expect(requestFingerprint(path, new Uint8Array())).not.toBe(fingerprint);
  });

  it('keeps path and body apart', () => {
    expect(requestFingerprint('/ab', Buffer.from('c'))).not.toBe(requestFingerprint('/a', Buffer.from('bc')));
  });

  it('tells bytes apart that decode to the same text (invalid UTF-8)', () => {
    const one = Buffer.from([0x7b, 0xff, 0x7d]);
    const other = Buffer.from([0x7b, 0xfe, 0x7d]);
    expect(one.toString('utf8')).toBe(other.toString('utf8'));
    expect(requestFingerprint(path, one)).not.toBe(requestFingerprint(path, other));
  });
});

describe('what a stored key means (9.2)', () => {
  const stored = { fingerprint: 'f1', dataDeliveryId: 'ccbe102e-169f-4160-bba1-197e53aa0b99' };

  it('none stored: processed as usual', () => {
    expect(decideStoredKey(undefined, 'f1')).toEqual({ kind: 'new' });
  });

  it('the same request: the stored answer again', () => {
    expect(decideStoredKey(stored, 'f1')).toEqual({ kind: 'replay', dataDeliveryId: stored.dataDeliveryId });
  });

  it('another request: a mismatch (422)', () => {
    expect(decideStoredKey(stored, 'f2')).toEqual({ kind: 'mismatch' });
  });
});

describe('OSR_IDEMPOTENCY_RETENTION_HOURS', () => {
  it('is 24 hours unless set; whole hours from 1 to 8760', () => {
    expect(loadConfig({}).idempotencyRetentionHours).toBe(24);
    expect(loadConfig({ OSR_IDEMPOTENCY_RETENTION_HOURS: '48' }).idempotencyRetentionHours).toBe(48);
    expect(loadConfig({ OSR_IDEMPOTENCY_RETENTION_HOURS: '8760' }).idempotencyRetentionHours).toBe(8760);
    for (const value of ['0', '-1', '1.5', 'a day', '8761']) {
      expect(() => loadConfig({ OSR_IDEMPOTENCY_RETENTION_HOURS: value })).toThrow(ConfigError);
    }
  });
});
