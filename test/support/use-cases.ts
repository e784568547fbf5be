import { readFileSync } from 'node:fs';

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

type Body = ReturnType<typeof delivery>;

/** The walk-through's files in examples/ are the use cases' bodies (README); tests use the same. */
function example(file: string, { bu, ru }: { bu?: string; ru?: string } = {}): Body {
  const body: Body = JSON.parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8'));
  if (bu !== undefined) body.billingunit.reference.mscnumber = bu;
  if (ru !== undefined) body.billingunit.residentialunit.reference.mscnumber = ru;
  return body;
}

export const moveInMustermann = (unit?: { bu?: string; ru?: string }) => example('use-case-0-move-in.json', unit);
export const useCase1 = (unit?: { bu?: string; ru?: string }) => example('use-case-1.json', unit);
export const useCase2 = (unit?: { bu?: string; ru?: string }) => example('use-case-2.json', unit);
export const useCase3 = (unit?: { bu?: string; ru?: string }) => example('use-case-3.json', unit);
