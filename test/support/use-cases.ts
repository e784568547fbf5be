/**
 * Bodies of the source document's use cases 1–3 (billing unit 654321, residential unit 0001),
 * plus the move-in that creates UC1's starting state (Mustermann, open-ended since 2018-05-01).
 */
const partner = (pmnumber: string, name: string, firstname: string, phone: string) => ({
  reference: { pmnumber },
  name,
  firstname,
  commercial: 'NON_COMMERCIAL',
  phonenumbers: [{ number: phone, type: 'MOBILE' }],
});

type Role = { change?: string; role: string; from?: string; to?: string; partner?: { pmnumber?: string } };

export function delivery(
  roles: Role[],
  partners: unknown[],
  { bu = '654321', ru = '0001' }: { bu?: string; ru?: string } = {},
) {
  return {
    timestamp: '2022-05-16T10:17:17Z',
    billingunit: {
      reference: { pmnumber: '123456', mscnumber: bu },
      residentialunit: { reference: { pmnumber: '1234561', mscnumber: ru }, roles, partners },
    },
  };
}

export const MUSTERMANN = partner('12345611', 'Mustermann', 'Max', '0176-55555555');
export const MUSTERFRAU = partner('12345612', 'Musterfrau', 'Meike', '0176-66666666');
const MUSTERFRAU_AS_SENT_IN_UC2 = partner('12345612', 'Mustermann', 'Meike', '0176-66666666');

export const moveInMustermann = (unit?: { bu?: string; ru?: string }) =>
  delivery(
    [{ change: 'INSERT', role: 'S-COR', from: '2018-05-01', partner: { pmnumber: '12345611' } }],
    [MUSTERMANN],
    unit,
  );

export const useCase1 = (unit?: { bu?: string; ru?: string }) =>
  delivery(
    [
      { change: 'UPDATE', role: 'S-COR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: '12345611' } },
      { change: 'INSERT', role: 'S-COR', from: '2022-06-01', to: '2022-12-31', partner: { pmnumber: '12345612' } },
    ],
    [MUSTERMANN, MUSTERFRAU],
    unit,
  );

export const useCase2 = (unit?: { bu?: string; ru?: string }) =>
  delivery(
    [{ change: 'UPDATE', role: 'S-COR', from: '2022-06-01', to: '2023-07-31', partner: { pmnumber: '12345612' } }],
    [MUSTERFRAU_AS_SENT_IN_UC2],
    unit,
  );

export const useCase3 = (unit?: { bu?: string; ru?: string }) =>
  delivery(
    [{ change: 'DELETE', role: 'S-COR', from: '2022-06-01', to: '2023-07-31', partner: { pmnumber: '12345612' } }],
    [MUSTERFRAU_AS_SENT_IN_UC2],
    unit,
  );
