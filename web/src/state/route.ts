// The UI's one route: `/c/{conversation id}` (optionally `?m={message id}` to open at a message).
export interface Route {
  conversationId: string | null;
  messageId: string | null;
}

export function parseRoute(path: string, search: string): Route {
  const m = /^\/c\/([0-9a-fA-F-]{8,})\/?$/.exec(path);
  const messageId = new URLSearchParams(search).get('m');
  return { conversationId: m?.[1] ?? null, messageId: m ? messageId : null };
}

export function routePath(r: Route): string {
  if (!r.conversationId) return '/';
  return `/c/${r.conversationId}${r.messageId ? `?m=${encodeURIComponent(r.messageId)}` : ''}`;
}
