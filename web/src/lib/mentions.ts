// Mentions in private notes (docs/api.md, "Private notes and mentions"): the text carries
// `@[Name](user-id)` tokens, inserted by the @-menu. Pure, so splitting and the @-menu's query are
// unit-tested; the server parses the same tokens (crates/domain/src/note.rs).

export type NoteSegment = { kind: 'text'; text: string } | { kind: 'mention'; name: string; id: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The token the server reads as a mention of `id`; brackets and new lines in the name are dropped. */
export function mentionToken(name: string, id: string): string {
  return `@[${name.replace(/[[\]\n]/g, ' ').trim()}](${id})`;
}

/** Splits a note into text and mentions, in order (what is not a valid token stays text). */
export function noteSegments(text: string): NoteSegment[] {
  const out: NoteSegment[] = [];
  let plainStart = 0;
  let from = 0;
  for (;;) {
    const at = text.indexOf('@[', from);
    if (at < 0) break;
    const close = text.indexOf('](', at + 2);
    const end = close < 0 ? -1 : text.indexOf(')', close + 2);
    const name = close < 0 ? '' : text.slice(at + 2, close);
    const id = end < 0 ? '' : text.slice(close + 2, end);
    if (close >= 0 && end >= 0 && name.trim() && !/[\n[]/.test(name) && UUID.test(id)) {
      if (plainStart < at) out.push({ kind: 'text', text: text.slice(plainStart, at) });
      out.push({ kind: 'mention', name, id });
      plainStart = from = end + 1;
    } else {
      from = at + 2;
    }
  }
  if (plainStart < text.length) out.push({ kind: 'text', text: text.slice(plainStart) });
  return out;
}

/**
 * The @-menu's query when the caret is right after `@word` (a word of letters, digits, dots, dashes
 * or underscores started after a space or at the beginning): where the `@` is and what follows it.
 */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const query = /(^|\s)@([\p{L}\p{N}._-]{0,30})$/u.exec(before)?.[2];
  if (query === undefined) return null;
  return { start: caret - query.length - 1, query };
}

/** Replaces the `@query` at `start` (up to `caret`) with the mention token and a space. */
export function insertMention(
  text: string,
  start: number,
  caret: number,
  user: { id: string; name: string },
): { text: string; caret: number } {
  const token = mentionToken(user.name, user.id) + ' ';
  return { text: text.slice(0, start) + token + text.slice(caret), caret: start + token.length };
}

/** People whose name contains the query (ignoring case and accents), those starting with it first. */
export function matchPeople<T extends { name: string }>(people: T[], query: string, max = 8): T[] {
  const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const q = fold(query);
  const hits = people.filter((p) => fold(p.name).includes(q));
  hits.sort((a, b) => Number(!fold(a.name).startsWith(q)) - Number(!fold(b.name).startsWith(q)));
  return hits.slice(0, max);
}
