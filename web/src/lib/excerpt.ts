// The one-line preview of a conversation's last message in the list: the text, or "🎤 Audio",
// "📷 Foto"… for media, prefixed with "Tú:" for our own messages.
import type { MessageKey } from '../i18n/catalogue';
import { noticeText } from './notices';

export interface LastMessage {
  direction: string;
  kind: string;
  text?: string | null;
  deleted: boolean;
  voice?: boolean;
  /** For a notice (kind `system`): what happened, worded like in the conversation. */
  system?: Record<string, unknown> | null;
}

type Translate = (key: MessageKey, params?: Record<string, string>) => string;

const MEDIA: Record<string, MessageKey> = {
  image: 'excerpt.image',
  video: 'excerpt.video',
  audio: 'excerpt.audio',
  document: 'excerpt.document',
  sticker: 'excerpt.sticker',
  location: 'excerpt.location',
  contacts: 'excerpt.contacts',
  template: 'excerpt.template',
  unsupported: 'excerpt.unsupported',
  system: 'excerpt.system',
};

export function excerpt(t: Translate, m: LastMessage): string {
  if (m.deleted) return t('excerpt.deleted');
  if (m.kind === 'system' && m.system) {
    const icon = m.system.type === 'call' ? '📞 ' : m.system.type === 'marketing_preference' ? '🔕 ' : '';
    return icon + noticeText(t, m.system, m.text);
  }
  const text = m.text?.replace(/\s+/g, ' ').trim() ?? '';
  let body: string;
  if (m.kind === 'audio' && m.voice) body = t('excerpt.voice');
  else if (MEDIA[m.kind] && (!text || m.kind === 'audio' || m.kind === 'sticker')) body = t(MEDIA[m.kind] as MessageKey);
  else if (MEDIA[m.kind] && text && m.kind !== 'template' && m.kind !== 'system' && m.kind !== 'unsupported') body = `${t(MEDIA[m.kind] as MessageKey)} ${text}`;
  else body = text || (MEDIA[m.kind] ? t(MEDIA[m.kind] as MessageKey) : '');
  return m.direction === 'outbound' ? t('excerpt.you', { text: body }) : body;
}
