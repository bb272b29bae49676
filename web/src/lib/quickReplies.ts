// Quick replies: typing "/" at the start of the text box filters them by shortcut or title.
export interface QuickReplyLike {
  shortcut: string;
  title?: string | null;
  text?: string | null;
}

/** The filter typed after a leading "/", or null when the text is not a quick-reply lookup. */
export function slashQuery(text: string): string | null {
  const m = /^\/(\S*)$/.exec(text);
  return m ? (m[1] ?? '') : null;
}

const fold = (s: string) => s.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();

export function filterQuickReplies<T extends QuickReplyLike>(items: T[], query: string): T[] {
  const q = fold(query.trim().replace(/^\//, ''));
  if (!q) return items;
  const starts = items.filter((i) => fold(i.shortcut.replace(/^\//, '')).startsWith(q));
  const contains = items.filter(
    (i) => !starts.includes(i) && (fold(i.shortcut).includes(q) || fold(i.title ?? '').includes(q)),
  );
  return [...starts, ...contains];
}
