import type { Kysely } from 'kysely';
import { type PartnerRecord, renderUnitDocument } from '../../domain/unit-document.js';
import type { Database } from '../schema.js';

/**
 * Renders the stored E2 documents again from the roles and partners tables (the worker keeps
 * them current; this is for data written around it, and for a change of the shown role types).
 * Returns the units whose stored document differed.
 */
export async function rerenderUnitDocuments(
  db: Kysely<Database>,
  shownRoleTypes: ReadonlySet<string>,
): Promise<{ mscnumber: string; before: string | null; after: string | null }[]> {
  const units = await db.selectFrom('residential_units').select(['id', 'mscnumber', 'roles_document']).execute();
  const changed = [];
  for (const unit of units) {
    const roles = await db
      .selectFrom('roles')
      .select(['role', 'from_date as from', 'to_date as to', 'partner_pmnumber as pmnumber'])
      .where('residential_unit', '=', unit.id)
      .execute();
    const partners: PartnerRecord[] = await db
      .selectFrom('partners')
      .select(['pmnumber', 'name', 'firstname', 'additionalname', 'commercial', 'email', 'taxnumber', 'phonenumbers'])
      .where('residential_unit', '=', unit.id)
      .execute()
      .then((rows) => rows.map((row) => ({ ...row, commercial: row.commercial as PartnerRecord['commercial'] })));
    const document = renderUnitDocument(roles, partners, shownRoleTypes);
    if (document === unit.roles_document) continue;
    changed.push({ mscnumber: unit.mscnumber, before: unit.roles_document, after: document });
    await db.updateTable('residential_units').set({ roles_document: document }).where('id', '=', unit.id).execute();
  }
  return changed;
}
