// The "connect a channel" form: which Meta ids each kind needs (docs/api.md, "Channels") and the
// request body built from what the admin typed. Pure, so it is unit-tested.
import type { ChannelKind } from '../api/types';

export type ChannelField = 'phone_number_id' | 'waba_id' | 'display_phone_number' | 'page_id' | 'instagram_account_id';

export const CHANNEL_KINDS: ChannelKind[] = ['whatsapp_cloud', 'whatsapp_business_app', 'messenger', 'instagram'];

export function fieldsFor(kind: ChannelKind): ChannelField[] {
  switch (kind) {
    case 'whatsapp_cloud':
    case 'whatsapp_business_app':
      return ['phone_number_id', 'waba_id', 'display_phone_number'];
    case 'messenger':
      return ['page_id'];
    case 'instagram':
      return ['instagram_account_id'];
  }
}

export interface ChannelDraft {
  kind: ChannelKind;
  name: string;
  access_token: string;
  values: Partial<Record<ChannelField, string>>;
}

/** The body of `POST /api/v1/channels`: only the kind's fields, trimmed. */
export function channelRequest(d: ChannelDraft): Record<string, string> {
  const body: Record<string, string> = { kind: d.kind, name: d.name.trim(), access_token: d.access_token.trim() };
  for (const f of fieldsFor(d.kind)) body[f] = (d.values[f] ?? '').trim();
  return body;
}

/** What is still missing before the form can be sent (the server checks again). */
export function missingFields(d: ChannelDraft): (ChannelField | 'name' | 'access_token')[] {
  const missing: (ChannelField | 'name' | 'access_token')[] = [];
  if (!d.name.trim()) missing.push('name');
  for (const f of fieldsFor(d.kind)) if (!(d.values[f] ?? '').trim()) missing.push(f);
  if (!d.access_token.trim()) missing.push('access_token');
  return missing;
}

/** Meta's ids are digits; a pasted id often carries spaces or a label. */
export function looksLikeMetaId(value: string): boolean {
  return /^\d{5,25}$/.test(value.trim());
}
