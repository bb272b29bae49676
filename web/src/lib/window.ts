// What the conversation window allows right now, from the server's `window` (docs/api.md): the
// banner to show and whether the text box is enabled. The server decides; this only words it.
export type WindowState = 'open' | 'human_agent' | 'closed';

export interface WindowInfo {
  state: WindowState | string;
  expires_at?: string | null;
  last_inbound_at?: string | null;
  free_form?: boolean;
  templates_allowed?: boolean;
}

export type Banner =
  | { kind: 'open'; leftMs: number }
  | { kind: 'human_agent'; leftMs: number }
  | { kind: 'closed_whatsapp'; closedAgoMs: number | null }
  | { kind: 'closed_meta'; neverWrote: boolean };

export function isWhatsapp(kind: string): boolean {
  return kind === 'whatsapp_cloud' || kind === 'whatsapp_business_app';
}

export function banner(channelKind: string, w: WindowInfo, now: Date): Banner {
  const expires = w.expires_at ? Date.parse(w.expires_at) : null;
  if (w.state === 'open' && expires !== null) return { kind: 'open', leftMs: Math.max(0, expires - now.getTime()) };
  if (w.state === 'human_agent' && expires !== null)
    return { kind: 'human_agent', leftMs: Math.max(0, expires - now.getTime()) };
  if (isWhatsapp(channelKind)) {
    const lastInbound = w.last_inbound_at ? Date.parse(w.last_inbound_at) : null;
    // The 24 h window ended 24 h after the customer's last message.
    const closedAt = lastInbound === null ? null : lastInbound + 24 * 3600_000;
    return { kind: 'closed_whatsapp', closedAgoMs: closedAt === null ? null : Math.max(0, now.getTime() - closedAt) };
  }
  return { kind: 'closed_meta', neverWrote: !w.last_inbound_at };
}

/** The free-form text box is usable only while the window allows free-form messages. */
export function canWriteFreely(w: WindowInfo): boolean {
  return w.free_form ?? (w.state === 'open' || w.state === 'human_agent');
}
