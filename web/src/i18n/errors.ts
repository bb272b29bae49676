// An API failure in the user's words: the catalogue's text for known codes (with the server's precise
// message beside it for refusals), else the server's message, else a generic line.
import { ApiError } from '../api/client';
import type { MessageKey } from './catalogue';

type Translate = (key: MessageKey, params?: Record<string, string>) => string;

export function errorText(t: Translate, e: unknown): string {
  if (!(e instanceof ApiError)) return t('app.error.generic');
  if (e.status === 0) return t('app.error.network');
  const key = `error.${e.code}` as MessageKey;
  const known = t(key);
  if (known === key) return e.message || t('app.error.generic');
  return e.status === 422 && e.message ? `${known} (${e.message})` : known;
}
