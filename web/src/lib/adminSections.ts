// The settings sections, who may open each, and their paths. Pure, so the rules are unit-tested; the
// server enforces the same permissions on every call (docs/api.md), this only hides what would fail.
import type { Me } from '../api/types';
import type { Schemas } from '../api/client';

export const SETTINGS_SECTIONS = [
  'channels',
  'users',
  'roles',
  'quick_replies',
  'templates',
  'rate_card',
  'audit',
  'contact_fields',
  'webhooks',
] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];

type Action = Schemas['Action'];

function allows(me: Me, action: Action): boolean {
  return me.role === 'admin' || (me.permissions.actions ?? []).includes(action);
}

/** Whether `me` may open `section` (the same rule the server applies to its routes). */
export function maySee(me: Me, section: SettingsSection): boolean {
  switch (section) {
    case 'channels':
    case 'templates':
      return allows(me, 'manage_channels');
    case 'users':
      return allows(me, 'manage_users');
    case 'roles':
    case 'rate_card':
    case 'audit':
    case 'contact_fields':
    case 'webhooks':
      return me.role === 'admin';
    case 'quick_replies':
      return allows(me, 'manage_quick_replies');
  }
}

export function visibleSections(me: Me): SettingsSection[] {
  return SETTINGS_SECTIONS.filter((s) => maySee(me, s));
}

export function settingsPath(section: SettingsSection): string {
  return `/settings/${section.replace('_', '-')}`;
}

/** `/settings/{section}` → the section; `/settings` → `'index'`; anything else → `null` (the inbox). */
export function parseSettingsPath(path: string): SettingsSection | 'index' | null {
  const m = /^\/settings(?:\/([a-z-]+))?\/?$/.exec(path);
  if (!m) return null;
  if (!m[1]) return 'index';
  const section = m[1].replace('-', '_');
  return (SETTINGS_SECTIONS as readonly string[]).includes(section) ? (section as SettingsSection) : 'index';
}
