// The UI's current language: chosen by the user (kept in localStorage), else the browser's, else Spanish.
import { translate, plural as pluralOf, preferredLocale, type Params } from './translate';
import { locales, type Locale, type MessageKey } from './catalogue';

const STORAGE_KEY = 'inbox.locale';

function initial(): Locale {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
  if (saved && (locales as string[]).includes(saved)) return saved as Locale;
  return preferredLocale(typeof navigator !== 'undefined' ? navigator.languages : []);
}

export const i18n = $state({ locale: initial() });

export function setLocale(locale: Locale): void {
  i18n.locale = locale;
  localStorage.setItem(STORAGE_KEY, locale);
  document.documentElement.lang = locale;
}

export function t(key: MessageKey, params?: Params): string {
  return translate(i18n.locale, key, params);
}

export function tn(base: string, n: number, params?: Params): string {
  return pluralOf(i18n.locale, base, n, params);
}
