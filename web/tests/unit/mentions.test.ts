import { describe, expect, it } from 'vitest';
import { insertMention, matchPeople, mentionQuery, mentionToken, noteSegments } from '../../src/lib/mentions';

const ANA = '0190b3a0-0000-7000-8000-000000000001';

describe('note segments', () => {
  it('finds mention tokens between text', () => {
    expect(noteSegments(`Hola @[Ana López](${ANA}), mira`)).toEqual([
      { kind: 'text', text: 'Hola ' },
      { kind: 'mention', name: 'Ana López', id: ANA },
      { kind: 'text', text: ', mira' },
    ]);
  });
  it('leaves what only looks like a mention as text', () => {
    for (const text of ['@Ana', '@[Ana](no-id)', `@[](${ANA})`, `@[Ana]${ANA}`, `@[Ana\nB](${ANA})`]) {
      expect(noteSegments(text)).toEqual([{ kind: 'text', text }]);
    }
  });
  it('does not let a broken token hide a good one', () => {
    expect(noteSegments(`@[roto] y @[Ana](${ANA})`)).toEqual([
      { kind: 'text', text: '@[roto] y ' },
      { kind: 'mention', name: 'Ana', id: ANA },
    ]);
  });
});

describe('the @-menu', () => {
  it('opens after @ at a word start, with what was typed', () => {
    expect(mentionQuery('hola @an', 8)).toEqual({ start: 5, query: 'an' });
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQuery('correo@an', 9)).toBeNull();
    expect(mentionQuery('hola @ana lopez', 15)).toBeNull();
  });
  it('inserts the token and moves the caret after it', () => {
    const r = insertMention('hola @an qué tal', 5, 8, { id: ANA, name: 'Ana' });
    expect(r.text).toBe(`hola ${mentionToken('Ana', ANA)}  qué tal`);
    expect(r.caret).toBe(5 + mentionToken('Ana', ANA).length + 1);
  });
  it('keeps names from breaking the token', () => {
    expect(mentionToken('Ana [ventas]', ANA)).toBe(`@[Ana  ventas](${ANA})`);
    expect(noteSegments(mentionToken('Ana [ventas]', ANA))[0]?.kind).toBe('mention');
  });
  it('matches people ignoring case and accents, prefixes first', () => {
    const people = [{ name: 'Mariana' }, { name: 'Ángela' }, { name: 'Ana' }];
    expect(matchPeople(people, 'an').map((p) => p.name)).toEqual(['Ángela', 'Ana', 'Mariana']);
  });
});
