import { BENCH } from './database.js';

const partner = (pm: string) => ({
  reference: { pmnumber: pm },
  name: 'Mustermann',
  firstname: 'Max',
  commercial: 'NON_COMMERCIAL',
  phonenumbers: [{ number: '0176-55555555', type: 'MOBILE' }],
});

/**
 * Unit `ru`'s k-th delivery in a chain of use case 1 moves: the k-th resident moves in and (from
 * k = 1 on) the (k-1)-th moves out the day before, so every delivery of a unit succeeds when the
 * unit's deliveries are applied in order k = 0, 1, 2, …
 */
export function chainedDelivery(ru: string, k: number) {
  const moveIn = { change: 'INSERT', role: 'S-COR', from: `${2000 + k}-01-01`, partner: { pmnumber: `P${k}` } };
  const moveOut = {
    change: 'UPDATE',
    role: 'S-COR',
    from: `${1999 + k}-01-01`,
    to: `${1999 + k}-12-31`,
    partner: { pmnumber: `P${k - 1}` },
  };
  return {
    timestamp: '2022-05-16T10:17:17Z',
    billingunit: {
      reference: { pmnumber: '123456', mscnumber: BENCH.billingUnit },
      residentialunit: {
        reference: { pmnumber: `PM${ru}`, mscnumber: ru },
        roles: k === 0 ? [moveIn] : [moveOut, moveIn],
        partners: k === 0 ? [partner('P0')] : [partner(`P${k - 1}`), partner(`P${k}`)],
      },
    },
  };
}
