// The name a seller sees for a customer, in the product's order: the CRM contact's name, else the
// WhatsApp profile (or the name saved on the Business App phone), else "@username", else the number,
// else the channel's id for them.
import { displayPhone } from './phone';

export interface NameSources {
  contact?: { first_name?: string | null; last_name?: string | null } | null;
  handle: {
    external_id: string;
    wa_id?: string | null;
    username?: string | null;
    profile_name?: string | null;
    saved_name?: string | null;
  };
}

export function contactName(contact: NameSources['contact']): string | null {
  if (!contact) return null;
  const full = [contact.first_name, contact.last_name].filter((p) => p && p.trim()).join(' ').trim();
  return full || null;
}

export function customerName(c: NameSources): string {
  const fromContact = contactName(c.contact);
  if (fromContact) return fromContact;
  const h = c.handle;
  if (h.profile_name?.trim()) return h.profile_name.trim();
  if (h.saved_name?.trim()) return h.saved_name.trim();
  if (h.username?.trim()) return `@${h.username.trim().replace(/^@/, '')}`;
  if (h.wa_id) return displayPhone(h.wa_id);
  return h.external_id;
}

/** Up to two initials for the avatar. */
export function initials(name: string): string {
  const words = name.replace(/^[@+]/, '').split(/\s+/).filter(Boolean);
  if (!words.length || /^\d/.test(words[0] ?? '')) return '#';
  return words
    .slice(0, 2)
    .map((w) => [...w][0]?.toUpperCase() ?? '')
    .join('');
}
