import { describe, expect, it } from 'vitest';
import { matchesEntityTag, unitEntityTag } from '../../src/http/entity-tags.js';
import { ProcessedResults } from '../../src/http/processed-results.js';

describe('E2 entity tags', () => {
  it('differ when any part differs, also null from empty', () => {
    const tag = unitEntityTag(['654321', 'PM1', '0001', null, '{"roles":[]}']);
    expect(tag).toMatch(/^W\/"[A-Za-z0-9_-]{32}"$/);
    expect(unitEntityTag(['654321', 'PM1', '0001', null, '{"roles":[]}'])).toBe(tag);
    expect(unitEntityTag(['654321', 'PM1', '0001', '', '{"roles":[]}'])).not.toBe(tag);
    expect(unitEntityTag(['654321', 'PM1', '0002', null, '{"roles":[]}'])).not.toBe(tag);
    // Parts are delimited: moving a character from one part to the next changes the tag.
    expect(unitEntityTag(['65432', '1PM1', '0001', null, '{"roles":[]}'])).not.toBe(tag);
  });

  it('If-None-Match compares weakly, lists, and * matches', () => {
    const tag = 'W/"abc"';
    expect(matchesEntityTag(undefined, tag)).toBe(false);
    expect(matchesEntityTag('W/"abc"', tag)).toBe(true);
    expect(matchesEntityTag('"abc"', tag)).toBe(true);
    expect(matchesEntityTag(' "x" , W/"abc" ', tag)).toBe(true);
    expect(matchesEntityTag('*', tag)).toBe(true);
    expect(matchesEntityTag('"abcd"', tag)).toBe(false);
    expect(matchesEntityTag('', tag)).toBe(false);
  });
});

describe('processed E3 answers kept in memory', () => {
  const answer = (n: number, bytes = 100) => ({ clientId: 'acme', billingUnit: '654321', json: `${n}`.padEnd(bytes) });

  it('keeps answers up to its byte bound, dropping the least recently read first', () => {
    const results = new ProcessedResults(64 * 300); // answers of 100 bytes: room for 192
    for (let i = 0; i < 192; i++) results.remember(`id-${i}`, answer(i));
    expect(results.size).toBe(192);
    expect(results.get('id-0')?.json.trim()).toBe('0'); // read: now the most recent
    results.remember('id-192', answer(192));
    expect(results.size).toBe(192);
    expect(results.get('id-1')).toBeUndefined(); // the least recently read went
    expect(results.get('id-0')).toBeDefined();
    expect(results.get('id-192')).toBeDefined();
  });

  it('does not keep one answer larger than a 64th of its bound, nor replace a kept one', () => {
    const results = new ProcessedResults(64 * 100);
    results.remember('big', answer(1, 101));
    expect(results.get('big')).toBeUndefined();
    results.remember('small', answer(1));
    results.remember('small', { ...answer(2), clientId: 'other' });
    expect(results.get('small')?.clientId).toBe('acme');
  });
});
