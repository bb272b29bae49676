import { describe, expect, it } from 'vitest';
import { linkify } from '../../src/lib/linkify';

describe('linkify', () => {
  it('turns http(s) URLs into links and leaves the rest as text', () => {
    expect(linkify('mira https://escala.com/precios ahora')).toEqual([
      { kind: 'text', text: 'mira ' },
      { kind: 'link', text: 'https://escala.com/precios', href: 'https://escala.com/precios' },
      { kind: 'text', text: ' ahora' },
    ]);
  });

  it('links bare www. hosts over https', () => {
    expect(linkify('www.escala.com')).toEqual([{ kind: 'link', text: 'www.escala.com', href: 'https://www.escala.com' }]);
  });

  it('leaves sentence punctuation out of the link', () => {
    const segments = linkify('Ver https://a.com/x.');
    expect(segments[1]).toEqual({ kind: 'link', text: 'https://a.com/x', href: 'https://a.com/x' });
    expect(segments[2]).toEqual({ kind: 'text', text: '.' });
  });

  it('keeps a parenthesis that belongs to the URL', () => {
    expect(linkify('https://es.wikipedia.org/wiki/Mango_(fruta)')[0]).toMatchObject({
      text: 'https://es.wikipedia.org/wiki/Mango_(fruta)',
    });
  });

  it('never makes a link of javascript: or markup', () => {
    const segments = linkify('javascript:alert(1) <a href="x">y</a>');
    expect(segments.every((s) => s.kind === 'text')).toBe(true);
  });
});
