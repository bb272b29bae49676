import { describe, expect, it } from 'vitest';
import { excerpt } from '../../src/lib/excerpt';
import { filterQuickReplies, slashQuery } from '../../src/lib/quickReplies';
import { reactionChoices } from '../../src/lib/reactions';
import { translate } from '../../src/i18n/translate';
import { catalogues } from '../../src/i18n/catalogue';
import type { MessageKey } from '../../src/i18n/catalogue';

const t = (key: MessageKey, params?: Record<string, string>) => translate('es', key, params);

describe('list excerpts', () => {
  it('names media kinds', () => {
    expect(excerpt(t, { direction: 'inbound', kind: 'audio', deleted: false, voice: true })).toBe('🎤 Audio');
    expect(excerpt(t, { direction: 'inbound', kind: 'image', deleted: false })).toBe('📷 Foto');
    expect(excerpt(t, { direction: 'inbound', kind: 'image', text: 'mira', deleted: false })).toBe('📷 Foto mira');
  });
  it('words notices as the conversation does', () => {
    expect(
      excerpt(t, { direction: 'inbound', kind: 'system', deleted: false, system: { type: 'call', direction: 'inbound', outcome: 'missed' } }),
    ).toBe('📞 Llamada perdida');
    expect(excerpt(t, { direction: 'inbound', kind: 'system', deleted: false })).toBe('Aviso');
  });
  it('marks our own messages and deleted ones', () => {
    expect(excerpt(t, { direction: 'outbound', kind: 'text', text: 'Hola\nqué tal', deleted: false })).toBe('Tú: Hola qué tal');
    expect(excerpt(t, { direction: 'inbound', kind: 'text', text: 'x', deleted: true })).toBe('Mensaje eliminado');
  });
});

describe('quick replies on "/"', () => {
  const items = [
    { shortcut: 'precios', title: 'Lista de precios' },
    { shortcut: 'envio', title: 'Envíos a todo México' },
    { shortcut: 'hola', title: 'Saludo' },
  ];
  it('opens only on a leading slash word', () => {
    expect(slashQuery('/pre')).toBe('pre');
    expect(slashQuery('/')).toBe('');
    expect(slashQuery('hola /pre')).toBeNull();
    expect(slashQuery('/pre cios')).toBeNull();
  });
  it('filters by shortcut first, then title, accents folded', () => {
    expect(filterQuickReplies(items, 'pre').map((i) => i.shortcut)).toEqual(['precios']);
    expect(filterQuickReplies(items, 'envios').map((i) => i.shortcut)).toEqual(['envio']);
    expect(filterQuickReplies(items, '').length).toBe(3);
  });
});

describe('reactions per channel', () => {
  it('offers only what the channel delivers', () => {
    expect(reactionChoices('whatsapp_cloud')).toContain('👍');
    expect(reactionChoices('instagram')).toEqual(['❤️']);
    expect(reactionChoices('messenger')).toEqual([]);
  });
});

describe('catalogue', () => {
  it('has every key in English too, with the same placeholders', () => {
    for (const key of Object.keys(catalogues.es) as MessageKey[]) {
      const es = catalogues.es[key].match(/\{\w+\}/g)?.sort() ?? [];
      const en = catalogues.en[key].match(/\{\w+\}/g)?.sort() ?? [];
      expect(en, key).toEqual(es);
    }
  });
  it('fills placeholders', () => {
    expect(translate('en', 'search.none', { q: 'x' })).toBe('No results for “x”.');
  });
});
