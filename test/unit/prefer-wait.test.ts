import { describe, expect, it } from 'vitest';
import { MAX_WAIT_SECONDS, preferredWaitSeconds } from '../../src/http/prefer-wait.js';

/** Spec 9.1: E3's `Prefer: wait=N` (RFC 7240); only `wait` is honoured, a malformed one is ignored. */
describe('preferredWaitSeconds', () => {
  it.each([
    ['wait=1', 1],
    ['wait=5', 5],
    ['wait=60', 60],
    ['WAIT=7', 7],
    ['Wait=7', 7],
    ['wait = 7', 7],
    ['  wait=7  ', 7],
    ['wait=\t7', 7],
    ['wait="7"', 7],
    ['wait=7; foo=bar', 7],
    ['wait=7;foo', 7],
    ['respond-async, wait=7', 7],
    ['respond-async; x="a,wait=1", wait=7', 7],
    ['handling=lenient,wait=9,return=minimal', 9],
    [', ,wait=3,', 3],
    ['wait=7, wait=9', 7],
  ])('%j → %j seconds', (header, seconds) => {
    expect(preferredWaitSeconds(header)).toBe(seconds);
  });

  it('counts more than 60 as 60, however large', () => {
    expect(MAX_WAIT_SECONDS).toBe(60);
    expect(preferredWaitSeconds('wait=61')).toBe(60);
    expect(preferredWaitSeconds('wait=100')).toBe(60);
    expect(preferredWaitSeconds(`wait=${'9'.repeat(400)}`)).toBe(60);
  });

  it.each([
    'wait=0',
    'wait=00',
    'wait=05',
    'wait=-1',
    'wait=+5',
    'wait=1.5',
    'wait=5.0',
    'wait=1e2',
    'wait=0x10',
    'wait=abc',
    'wait=',
    'wait=""',
    'wait',
    'wait;5',
    'wait=5 5',
    'wait=5s',
    'wait="5',
    'wait==5',
    'wait=٥', // a non-ASCII digit
  ])('ignores the malformed %j', (header) => {
    expect(preferredWaitSeconds(header)).toBeUndefined();
  });

  it('looks only at the first wait: a malformed first one is not made up for by a later one', () => {
    expect(preferredWaitSeconds('wait=abc, wait=5')).toBeUndefined();
    expect(preferredWaitSeconds('wait=0, wait=5')).toBeUndefined();
  });

  it.each([undefined, '', ' ', 'respond-async', 'return=minimal', 'waiting=5', 'x-wait=5', 'foo; wait=5', '"wait=5"'])(
    'no wait preference in %j',
    (header) => {
      expect(preferredWaitSeconds(header)).toBeUndefined();
    },
  );

  it('takes several Prefer headers as one list', () => {
    expect(preferredWaitSeconds(['respond-async', 'wait=4'])).toBe(4);
    expect(preferredWaitSeconds(['wait=4', 'wait=8'])).toBe(4);
    expect(preferredWaitSeconds([])).toBeUndefined();
  });
});
