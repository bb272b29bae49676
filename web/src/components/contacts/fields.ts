// The account's custom contact fields (GET /api/v1/contact-fields), shared by the contact panel,
// the contacts view and the field editor. Values are text whatever the type (docs/api.md, "Custom fields").
import { api } from '../../api/client';
import type { Schemas } from '../../api/client';

export type ContactField = Schemas['FieldView'];
export type FieldType = Schemas['FieldType'];

export async function loadFields(): Promise<ContactField[]> {
  return (await api.get<{ items: ContactField[] }>('/api/v1/contact-fields')).items;
}

/** The change a PATCH carries: only keys whose value changed; `null` clears. */
export function customChange(
  before: Record<string, string>,
  after: Record<string, string>,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = (before[key] ?? '').trim();
    const now = (after[key] ?? '').trim();
    if (was !== now) out[key] = now === '' ? null : now;
  }
  return out;
}
