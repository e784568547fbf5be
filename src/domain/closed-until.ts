/**
 * Closed-until of a billing unit (spec 8.2, 8.5): the day up to which the metering company has
 * finished the bills. It only moves forward: the same date changes nothing, an earlier one is
 * refused. Dates are ISO `YYYY-MM-DD` strings, so string order is date order.
 */
export type ClosedUntilChange = 'set' | 'unchanged' | 'refused';

export function closedUntilChange(current: string | null, requested: string): ClosedUntilChange {
  if (current === null || requested > current) return 'set';
  return requested === current ? 'unchanged' : 'refused';
}
