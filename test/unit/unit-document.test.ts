import { describe, expect, it } from 'vitest';
import { currentRolesSchema } from '../../src/domain/response-schema.js';
import type { TimelineRole } from '../../src/domain/timeline.js';
import { type PartnerRecord, renderCurrentRoles, renderUnitDocument } from '../../src/domain/unit-document.js';
import { unitWrites } from '../../src/domain/unit-writes.js';
import { OPEN } from '../support/spec.js';

/** E2's document (spec section 6) and what a SUCCESS writes, as pure functions. */

const role = (type: string, from: string, to: string | null, pmnumber: string): TimelineRole => ({
  role: type,
  from,
  to,
  pmnumber,
});
const partner = (pmnumber: string, name: string): PartnerRecord => ({
  pmnumber,
  name,
  firstname: 'Max',
  additionalname: null,
  commercial: 'NON_COMMERCIAL',
  email: null,
  taxnumber: null,
  phonenumbers: [{ number: '0176-55555555', type: 'MOBILE' }],
});
const SCOR = new Set(['S-COR']);
const ALL = new Set(['S-COR', 'S-BIR', 'S-BVA']);
const parse = (document: string | null) => JSON.parse(`{${document}}`);

describe('renderUnitDocument', () => {
  it('lists roles by from, then role type, with an open end as 9999-12-31', () => {
    const roles = [
      role('S-COR', '2022-06-01', null, 'B'),
      role('S-BVA', '2018-05-01', '2022-05-31', 'A'),
      role('S-BIR', '2018-05-01', '2022-05-31', 'A'),
    ];
    expect(parse(renderUnitDocument(roles, [partner('A', 'Alt'), partner('B', 'Neu')], ALL)).roles).toEqual([
      { role: 'S-BIR', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: 'A' } },
      { role: 'S-BVA', from: '2018-05-01', to: '2022-05-31', partner: { pmnumber: 'A' } },
      { role: 'S-COR', from: '2022-06-01', to: OPEN, partner: { pmnumber: 'B' } },
    ]);
  });

  it('shows only the profile’s role types, and only the partners those roles reference, by pmnumber', () => {
    const roles = [role('S-COR', '2020-01-01', null, 'Z'), role('S-BIR', '2020-01-01', null, 'Y')];
    const document = parse(
      renderUnitDocument(roles, [partner('Z', 'Zett'), partner('Y', 'Ypsilon'), partner('X', 'Ex')], SCOR),
    );
    expect(document.roles.map((r: { role: string }) => r.role)).toEqual(['S-COR']);
    expect(document.partners.map((p: { reference: { pmnumber: string } }) => p.reference.pmnumber)).toEqual(['Z']);
  });

  it('is null when the unit has no role of a shown type', () => {
    expect(renderUnitDocument([], [partner('A', 'Alt')], SCOR)).toBeNull();
    expect(renderUnitDocument([role('S-BIR', '2020-01-01', null, 'A')], [partner('A', 'Alt')], SCOR)).toBeNull();
  });

  it('writes the keys in the order of the E2 schema, phone numbers as number then type', () => {
    const document = renderUnitDocument([role('S-COR', '2020-01-01', null, 'A')], [partner('A', 'Alt')], SCOR);
    expect(document).toBe(
      '"roles":[{"role":"S-COR","from":"2020-01-01","to":"9999-12-31","partner":{"pmnumber":"A"}}],' +
        '"partners":[{"reference":{"pmnumber":"A"},"name":"Alt","firstname":"Max","additionalname":null,' +
        '"commercial":"NON_COMMERCIAL","email":null,"taxnumber":null,' +
        '"phonenumbers":[{"number":"0176-55555555","type":"MOBILE"}]}]',
    );
  });

  it('wrapped by renderCurrentRoles, is an E2 body of the documented schema', () => {
    const document = renderUnitDocument([role('S-COR', '2020-01-01', null, 'A')], [partner('A', 'Ä "quoted"\n')], SCOR);
    const body = renderCurrentRoles({
      timestamp: new Date('2026-11-30T10:00:00Z'),
      billingUnit: { mscnumber: '654321', pmnumber: '123456' },
      residentialUnit: { mscnumber: '0001', pmnumber: null },
      document: document as string,
    });
    const parsed = currentRolesSchema.parse(JSON.parse(body));
    expect(parsed.timestamp).toBe('2026-11-30T10:00:00.000Z');
    expect(parsed.billingunit.reference).toEqual({ pmnumber: '123456', mscnumber: '654321' });
    expect(parsed.billingunit.residentialunit.reference).toEqual({ pmnumber: null, mscnumber: '0001' });
    expect(parsed.billingunit.residentialunit.partners[0]?.name).toBe('Ä "quoted"\n');
  });
});

describe('unitWrites: what a SUCCESS stores', () => {
  const mustermann = role('S-COR', '2018-05-01', null, 'M');
  const ended = { ...mustermann, to: '2022-05-31' };
  const musterfrau = role('S-COR', '2022-06-01', null, 'F');
  const delivered = { reference: { pmnumber: 'F' }, name: 'Musterfrau', firstname: 'Meike' };

  it('net role changes, the delivered partner, a history entry per change, the new document', () => {
    const writes = unitWrites(
      { roles: [mustermann], partners: [partner('M', 'Mustermann')] },
      [
        { roleIndex: 0, change: 'UPDATE', before: mustermann, after: ended, partner: null },
        { roleIndex: 1, change: 'INSERT', before: null, after: musterfrau, partner: delivered },
      ],
      SCOR,
    );
    expect(writes.roles).toEqual({ deleted: [], inserted: [musterfrau], updated: [ended] });
    const stored = { ...partner('F', 'Musterfrau'), firstname: 'Meike', phonenumbers: [] };
    expect(writes.partners).toEqual([stored]);
    expect(writes.history).toEqual([
      { entity: 'role', change: 'UPDATE', before: mustermann, after: ended },
      { entity: 'role', change: 'INSERT', before: null, after: musterfrau },
      { entity: 'partner', change: 'INSERT', before: null, after: stored },
    ]);
    expect(parse(writes.rolesDocument).roles.map((r: { from: string }) => r.from)).toEqual([
      '2018-05-01',
      '2022-06-01',
    ]);
    expect(parse(writes.rolesDocument).partners.map((p: { name: string }) => p.name)).toEqual([
      'Musterfrau', // by pmnumber: F before M
      'Mustermann',
    ]);
  });

  it('a partner stored before is an UPDATE in the history; deleting the last role leaves no document', () => {
    const before = partner('M', 'Mustermann');
    const updated = unitWrites(
      { roles: [mustermann], partners: [before] },
      [
        {
          roleIndex: 0,
          change: 'UPDATE',
          before: mustermann,
          after: ended,
          partner: { name: 'Neu', firstname: 'Max' },
        },
      ],
      SCOR,
    );
    expect(updated.history[1]).toMatchObject({ entity: 'partner', change: 'UPDATE', before });
    const deleted = unitWrites(
      { roles: [mustermann], partners: [before] },
      [{ roleIndex: 0, change: 'DELETE', before: mustermann, after: null, partner: null }],
      SCOR,
    );
    expect(deleted.roles.deleted).toEqual([mustermann]);
    expect(deleted.rolesDocument).toBeNull();
  });
});
