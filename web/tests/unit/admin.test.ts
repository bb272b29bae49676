import { describe, expect, it } from 'vitest';
import type { Me } from '../../src/api/types';
import { maySee, parseSettingsPath, settingsPath, visibleSections } from '../../src/lib/adminSections';
import { channelRequest, fieldsFor, looksLikeMetaId, missingFields } from '../../src/lib/channelForm';
import { normalisePermissions, permissionProblem, permissionSummary } from '../../src/lib/roles';
import { auditQuery } from '../../src/lib/audit';
import { translate } from '../../src/i18n/translate';
import type { MessageKey } from '../../src/i18n/catalogue';

function me(role: string, actions: Me['permissions']['actions'] = []): Me {
  return {
    role,
    permissions: { visibility: 'assigned', actions },
    user: { id: 'u1', name: 'Ana', email: 'ana@example.com', available: true },
    account: { id: 'a1', name: 'Acme', plan: 'pro', addons: ['whatsapp'], inbox_enabled: true, whatsapp_enabled: true },
  } as unknown as Me;
}

const t = (key: MessageKey, params?: Record<string, string | number>) => translate('es', key, params);

describe('settings sections', () => {
  it('gives an administrator every section', () => {
    expect(visibleSections(me('admin'))).toEqual([
      'channels',
      'users',
      'roles',
      'quick_replies',
      'templates',
      'rate_card',
      'audit',
      'contact_fields',
      'webhooks',
    ]);
  });
  it('gives a custom role only what its actions allow, and admin-only sections to nobody else', () => {
    const m = me('custom-1', ['manage_users', 'manage_quick_replies']);
    expect(visibleSections(m)).toEqual(['users', 'quick_replies']);
    expect(maySee(m, 'audit')).toBe(false);
    expect(maySee(m, 'roles')).toBe(false);
  });
  it('gives a plain seller nothing', () => {
    expect(visibleSections(me('seller', ['send_messages', 'send_templates', 'manage_contacts']))).toEqual([]);
  });
  it('round-trips paths, and anything unknown under /settings is the index', () => {
    expect(settingsPath('quick_replies')).toBe('/settings/quick-replies');
    expect(parseSettingsPath('/settings/quick-replies')).toBe('quick_replies');
    expect(parseSettingsPath('/settings/rate-card/')).toBe('rate_card');
    expect(parseSettingsPath('/settings')).toBe('index');
    expect(parseSettingsPath('/settings/nope')).toBe('index');
    expect(parseSettingsPath('/c/0190-abc')).toBeNull();
    expect(parseSettingsPath('/settingsx')).toBeNull();
  });
});

describe('connect-a-channel form', () => {
  it('asks each kind for its own ids', () => {
    expect(fieldsFor('whatsapp_cloud')).toEqual(['phone_number_id', 'waba_id', 'display_phone_number']);
    expect(fieldsFor('messenger')).toEqual(['page_id']);
    expect(fieldsFor('instagram')).toEqual(['instagram_account_id']);
  });
  it('sends only the kind’s fields, trimmed', () => {
    const body = channelRequest({
      kind: 'messenger',
      name: ' Página ',
      access_token: ' EAAG ',
      values: { page_id: ' 1234567 ', phone_number_id: '999' },
    });
    expect(body).toEqual({ kind: 'messenger', name: 'Página', access_token: 'EAAG', page_id: '1234567' });
  });
  it('lists what is missing', () => {
    expect(missingFields({ kind: 'whatsapp_business_app', name: '', access_token: '', values: { waba_id: '1' } })).toEqual([
      'name',
      'phone_number_id',
      'display_phone_number',
      'access_token',
    ]);
  });
  it('recognises Meta ids', () => {
    expect(looksLikeMetaId('106540352242922')).toBe(true);
    expect(looksLikeMetaId(' 106540352242922 ')).toBe(true);
    expect(looksLikeMetaId('ID: 1065403')).toBe(false);
    expect(looksLikeMetaId('12')).toBe(false);
  });
});

describe('role permissions', () => {
  it('keeps channel ids only for channel visibility and "unassigned" only for assigned', () => {
    expect(
      normalisePermissions({ visibility: 'all', channel_ids: ['c1'], unassigned: true, actions: ['manage_users', 'assign'] }),
    ).toEqual({ visibility: 'all', channel_ids: [], unassigned: false, actions: ['assign', 'manage_users'] });
    expect(normalisePermissions({ visibility: 'assigned', unassigned: true })).toEqual({
      visibility: 'assigned',
      channel_ids: [],
      unassigned: true,
      actions: [],
    });
  });
  it('needs a channel for channel visibility', () => {
    expect(permissionProblem({ visibility: 'channels', channel_ids: [] })).toBe('no_channels');
    expect(permissionProblem({ visibility: 'channels', channel_ids: ['c1'] })).toBeNull();
  });
  it('summarises in the user’s words', () => {
    const name = (id: string) => (id === 'c1' ? 'Ventas MX' : id);
    expect(permissionSummary(t, { visibility: 'channels', channel_ids: ['c1'], actions: ['send_messages'] }, name)).toBe(
      'Conversaciones de Ventas MX · Puede: enviar mensajes',
    );
    expect(permissionSummary(t, { visibility: 'assigned', unassigned: true, actions: [] }, name)).toBe(
      'Las asignadas a la persona y las sin asignar · Solo lectura',
    );
  });
});

describe('audit filters', () => {
  it('turns local days into instants: from the start of the first day to the end of the last', () => {
    const q = auditQuery({ userId: 'u1', action: 'channel', from: '2026-11-01', to: '2026-11-30' });
    expect(q.user_id).toBe('u1');
    expect(q.action).toBe('channel');
    expect(new Date(q.from ?? '').getTime()).toBe(new Date(2026, 10, 1).getTime());
    expect(new Date(q.until ?? '').getTime()).toBe(new Date(2026, 11, 1).getTime());
  });
  it('leaves out what is not set', () => {
    expect(auditQuery({ userId: '', action: '', from: '', to: 'garbage' })).toEqual({
      user_id: undefined,
      action: undefined,
      from: undefined,
      until: undefined,
    });
  });
});
