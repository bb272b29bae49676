// Looking a key up in a catalogue and filling its `{placeholders}`. Pure: the current locale is
// passed in, so it is tested without a browser (the reactive locale lives in `locale.svelte.ts`).
import { catalogues, type Locale, type MessageKey } from './catalogue';

export type Params = Record<string, string | number>;

export function translate(locale: Locale, key: MessageKey, params?: Params): string {
  const template = catalogues[locale][key] ?? catalogues.es[key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** The `_one` / `_other` form of a key, chosen by the locale's plural rules. */
export function plural(locale: Locale, base: string, n: number, params?: Params): string {
  const form = new Intl.PluralRules(locale).select(n) === 'one' ? 'one' : 'other';
  return translate(locale, `${base}_${form}` as MessageKey, { n, ...params });
}

/** The browser's preferred supported locale; Spanish when none matches. */
export function preferredLocale(languages: readonly string[]): Locale {
  for (const lang of languages) {
    const base = lang.toLowerCase().split('-')[0];
    if (base === 'es' || base === 'en') return base;
  }
  return 'es';
}
