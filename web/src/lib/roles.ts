// Roles in the admin screens: their names in the user's language and a one-line summary of what a
// role's permissions allow (docs/api.md, "Plans and roles").
import type { Schemas } from '../api/client';
import type { MessageKey } from '../i18n/catalogue';

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;
export type Permissions = Schemas['Permissions'];
export type Action = Schemas['Action'];

/** The server's `MIN_PASSWORD_LEN`: a shorter one is refused with `weak_password`. */
export const MIN_PASSWORD_LENGTH = 8;

export const ACTIONS: Action[] = [
  'send_messages',
  'send_templates',
  'assign',
  'manage_contacts',
  'manage_quick_replies',
  'manage_channels',
  'manage_users',
  'manage_labels',
];

export function roleLabel(t: Translate, role: { id: string; name: string; builtin: boolean }): string {
  if (role.builtin && (role.id === 'admin' || role.id === 'seller')) return t(`role.${role.id}`);
  return role.name;
}

/** "Ve: todas las conversaciones · Puede: enviar mensajes, asignar". */
export function permissionSummary(t: Translate, p: Permissions, channelName: (id: string) => string): string {
  let sees: string;
  if (p.visibility === 'all') sees = t('roles.sees.all');
  else if (p.visibility === 'channels')
    sees = t('roles.sees.channels', { channels: (p.channel_ids ?? []).map(channelName).join(', ') || '—' });
  else sees = p.unassigned ? t('roles.sees.assigned_and_unassigned') : t('roles.sees.assigned');
  const actions = (p.actions ?? []).map((a) => t(`action.${a}`));
  return `${sees} · ${actions.length ? t('roles.may', { actions: actions.join(', ') }) : t('roles.may_nothing')}`;
}

/** A role's permissions, normalised before they are sent: channel ids only for `channels`. */
export function normalisePermissions(p: Permissions): Permissions {
  return {
    visibility: p.visibility,
    channel_ids: p.visibility === 'channels' ? [...(p.channel_ids ?? [])] : [],
    unassigned: p.visibility === 'assigned' ? Boolean(p.unassigned) : false,
    actions: ACTIONS.filter((a) => (p.actions ?? []).includes(a)),
  };
}

/** Why the editor cannot be saved yet, or `null`. */
export function permissionProblem(p: Permissions): 'no_channels' | null {
  if (p.visibility === 'channels' && (p.channel_ids ?? []).length === 0) return 'no_channels';
  return null;
}
