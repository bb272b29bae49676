// One store of server state for the inbox screen: the conversation list under its filters, the open
// conversation and its messages. Fed by API pages and by the events socket; sends are shown at once
// (pending) and reconciled with the server's answer.
import { api, ApiError } from '../api/client';
import type { Conversation, ConversationPage, Label, Message, MessagePage, RealtimeEvent } from '../api/types';
import { defaultFilters, filterQuery, matchesFilters, type Filters } from './filters';

const PAGE = 30;

export interface Thread {
  items: Message[];
  olderCursor: string | null;
  loadingOlder: boolean;
  /** The id of the first unread message when the thread was opened (the "no leídos" marker). */
  firstUnreadId: string | null;
}

function byActivity(a: Conversation, b: Conversation): number {
  const at = (c: Conversation) => Date.parse(c.last_message?.created_at ?? c.updated_at);
  return at(b) - at(a);
}

export class InboxStore {
  filters = $state<Filters>(defaultFilters(true));
  conversations = $state<Conversation[]>([]);
  nextCursor = $state<string | null>(null);
  loadingList = $state(false);
  listError = $state<string | null>(null);
  selectedId = $state<string | null>(null);
  selected = $state<Conversation | null>(null);
  selectedMissing = $state(false);
  threads = $state<Record<string, Thread>>({});
  connected = $state(true);
  private listGeneration = 0;

  constructor(
    private readonly myId: string,
    canSeeAll: boolean,
    private readonly onIncoming: (c: Conversation, m: Message) => void = () => {},
  ) {
    this.filters = defaultFilters(canSeeAll);
  }

  async reloadList(): Promise<void> {
    const generation = ++this.listGeneration;
    this.loadingList = true;
    this.listError = null;
    try {
      const page = await api.get<ConversationPage>('/api/v1/conversations', { ...filterQuery(this.filters), limit: PAGE });
      if (generation !== this.listGeneration) return;
      this.conversations = page.items;
      this.nextCursor = page.next_cursor ?? null;
    } catch (e) {
      if (generation === this.listGeneration) {
        // Rows of the previous filters would be mistaken for this one's.
        this.conversations = [];
        this.nextCursor = null;
        this.listError = e instanceof ApiError ? e.code : 'network';
      }
    } finally {
      if (generation === this.listGeneration) this.loadingList = false;
    }
  }

  async loadMore(): Promise<void> {
    if (!this.nextCursor || this.loadingList) return;
    const generation = this.listGeneration;
    this.loadingList = true;
    try {
      const page = await api.get<ConversationPage>('/api/v1/conversations', {
        ...filterQuery(this.filters),
        limit: PAGE,
        cursor: this.nextCursor,
      });
      if (generation !== this.listGeneration) return;
      // A local lookup, not state.
      // eslint-disable-next-line svelte/prefer-svelte-reactivity
      const known = new Set(this.conversations.map((c) => c.id));
      this.conversations = [...this.conversations, ...page.items.filter((c) => !known.has(c.id))];
      this.nextCursor = page.next_cursor ?? null;
    } finally {
      if (generation === this.listGeneration) this.loadingList = false;
    }
  }

  setFilters(f: Partial<Filters>): void {
    this.filters = { ...this.filters, ...f };
    void this.reloadList();
  }

  async open(id: string): Promise<void> {
    this.selectedId = id;
    this.selectedMissing = false;
    const fromList = this.conversations.find((c) => c.id === id);
    this.selected = fromList ?? null;
    try {
      const [conversation, page] = await Promise.all([
        api.get<Conversation>(`/api/v1/conversations/${id}`),
        api.get<MessagePage>(`/api/v1/conversations/${id}/messages`, { limit: 50 }),
      ]);
      if (this.selectedId !== id) return;
      this.selected = conversation;
      const unread = conversation.unread_count;
      const inbound = page.items.filter((m) => m.direction === 'inbound');
      this.threads[id] = {
        items: page.items,
        olderCursor: page.next_cursor ?? null,
        loadingOlder: false,
        firstUnreadId: unread > 0 ? (inbound[Math.max(0, inbound.length - unread)]?.id ?? null) : null,
      };
      if (unread > 0) void this.markRead(id);
    } catch (e) {
      if (this.selectedId !== id) return;
      if (e instanceof ApiError && e.status === 404) this.selectedMissing = true;
      else throw e;
    }
  }

  close(): void {
    this.selectedId = null;
    this.selected = null;
  }

  async loadOlder(id: string): Promise<boolean> {
    const thread = this.threads[id];
    if (!thread?.olderCursor || thread.loadingOlder) return false;
    thread.loadingOlder = true;
    try {
      const page = await api.get<MessagePage>(`/api/v1/conversations/${id}/messages`, {
        limit: 50,
        before: thread.olderCursor,
      });
      // eslint-disable-next-line svelte/prefer-svelte-reactivity
      const known = new Set(thread.items.map((m) => m.id));
      thread.items = [...page.items.filter((m) => !known.has(m.id)), ...thread.items];
      thread.olderCursor = page.next_cursor ?? null;
      return true;
    } finally {
      thread.loadingOlder = false;
    }
  }

  /** Loads older pages until `messageId` is in the thread (opening a search result at its message). */
  async reveal(id: string, messageId: string): Promise<boolean> {
    for (let i = 0; i < 40; i++) {
      const thread = this.threads[id];
      if (!thread) return false;
      if (thread.items.some((m) => m.id === messageId)) return true;
      if (!(await this.loadOlder(id))) return false;
    }
    return false;
  }

  async markRead(id: string): Promise<void> {
    try {
      await api.post(`/api/v1/conversations/${id}/read`);
    } catch {
      return;
    }
    this.patchConversation(id, { unread_count: 0 });
  }

  patchConversation(id: string, patch: Partial<Conversation>): void {
    this.conversations = this.conversations.map((c) => (c.id === id ? { ...c, ...patch } : c));
    if (this.selected?.id === id) this.selected = { ...this.selected, ...patch };
  }

  upsertConversation(c: Conversation): void {
    const belongs = matchesFilters(this.filters, c, this.myId);
    const rest = this.conversations.filter((x) => x.id !== c.id);
    this.conversations = belongs ? [c, ...rest].sort(byActivity) : rest;
    if (this.selected?.id === c.id) this.selected = c;
  }

  upsertMessage(m: Message, replaceId?: string): void {
    const thread = this.threads[m.conversation_id];
    if (!thread) return;
    const i = thread.items.findIndex((x) => x.id === m.id || (replaceId !== undefined && x.id === replaceId));
    if (i >= 0) thread.items[i] = m;
    else thread.items = [...thread.items, m].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  }

  removeMessage(conversationId: string, id: string): void {
    const thread = this.threads[conversationId];
    if (thread) thread.items = thread.items.filter((m) => m.id !== id);
  }

  /** Sends a message body; shows `optimistic` at once and swaps it for the stored message. */
  async send(conversationId: string, body: Record<string, unknown>, optimistic?: Message): Promise<Message> {
    if (optimistic) this.upsertMessage(optimistic);
    try {
      const stored = await api.post<Message>(`/api/v1/conversations/${conversationId}/messages`, body);
      // The socket may have delivered the stored message first: drop the stand-in, keep the newest.
      this.removeMessage(conversationId, optimistic?.id ?? '');
      const thread = this.threads[conversationId];
      if (!thread?.items.some((m) => m.id === stored.id)) this.upsertMessage(stored);
      return stored;
    } catch (e) {
      if (optimistic) this.removeMessage(conversationId, optimistic.id);
      throw e;
    }
  }

  /** A conversation that left the user's view (assigned away): off the list, and closed if open. */
  removeConversation(id: string): void {
    this.conversations = this.conversations.filter((c) => c.id !== id);
    if (this.selectedId === id) this.selectedMissing = true;
  }

  /** A label renamed or recoloured (`label`), or deleted (`null`): every chip showing it follows. */
  relabel(id: string, label: Label | null): void {
    const apply = (c: Conversation): Conversation =>
      c.labels.some((l) => l.id === id)
        ? { ...c, labels: label ? c.labels.map((l) => (l.id === id ? label : l)) : c.labels.filter((l) => l.id !== id) }
        : c;
    this.conversations = this.conversations.map(apply);
    if (this.selected) this.selected = apply(this.selected);
    if (!label && this.filters.label === id) this.setFilters({ label: null });
  }

  handleEvent(event: RealtimeEvent): void {
    switch (event.type) {
      case 'conversation.created':
      case 'conversation.updated':
        this.upsertConversation(event.data);
        break;
      case 'conversation.assigned':
        this.upsertConversation(event.data.conversation);
        break;
      case 'conversation.removed':
        this.removeConversation(event.data.id);
        break;
      case 'label.updated':
        this.relabel(event.data.id, event.data);
        break;
      case 'label.deleted':
        this.relabel(event.data.id, null);
        break;
      case 'message.created':
      case 'message.updated': {
        const m = event.data;
        const thread = this.threads[m.conversation_id];
        if (thread) {
          const known = thread.items.find((x) => x.id === m.id);
          // Never let an older copy of a message replace a newer one.
          if (!known || event.type === 'message.updated' || known.status === 'pending') this.upsertMessage(m);
        }
        if (event.type === 'message.created' && m.direction === 'inbound') {
          const c = this.conversations.find((x) => x.id === m.conversation_id) ?? this.selected;
          if (this.selectedId === m.conversation_id && document.visibilityState === 'visible')
            void this.markRead(m.conversation_id);
          if (c && c.id === m.conversation_id) this.onIncoming(c, m);
        }
        break;
      }
    }
  }

  /** After a reconnect or a `resync`: reload the list and the open conversation. */
  async resync(): Promise<void> {
    await this.reloadList();
    if (this.selectedId) await this.open(this.selectedId);
  }
}
