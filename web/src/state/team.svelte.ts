// The team's side of the inbox: the account's labels, the private notes of opened conversations and
// the user's mentions ("Menciones"). Fed by API calls and by the events socket (docs/api.md).
import { api } from '../api/client';
import type { Label, Mention, MentionPage, Note, RealtimeEvent } from '../api/types';

export class TeamStore {
  labels = $state<Label[]>([]);
  /** Notes by conversation id, oldest first; only for conversations opened on their notes. */
  notes = $state<Record<string, Note[]>>({});
  mentions = $state<Mention[]>([]);
  unreadMentions = $state(0);
  unreadOnly = $state(true);
  loadingMentions = $state(false);
  /** A conversation to open on its notes (a mention was clicked). */
  notesFirst = $state<string | null>(null);

  async loadLabels(): Promise<void> {
    const page = await api.get<{ items: Label[] }>('/api/v1/labels');
    this.labels = page.items;
  }

  async createLabel(name: string, color: string): Promise<Label> {
    const label = await api.post<Label>('/api/v1/labels', { name, color });
    this.upsertLabel(label);
    return label;
  }

  private upsertLabel(label: Label): void {
    const rest = this.labels.filter((l) => l.id !== label.id);
    this.labels = [...rest, label].sort((a, b) => a.name.localeCompare(b.name));
  }

  async loadNotes(conversationId: string): Promise<void> {
    const page = await api.get<{ items: Note[] }>(`/api/v1/conversations/${conversationId}/notes`);
    this.notes[conversationId] = page.items;
  }

  async addNote(conversationId: string, text: string): Promise<void> {
    const note = await api.post<Note>(`/api/v1/conversations/${conversationId}/notes`, { text });
    this.upsertNote(note);
  }

  async editNote(note: Note, text: string): Promise<void> {
    this.upsertNote(await api.patch<Note>(`/api/v1/conversations/${note.conversation_id}/notes/${note.id}`, { text }));
  }

  async deleteNote(note: Note): Promise<void> {
    await api.delete(`/api/v1/conversations/${note.conversation_id}/notes/${note.id}`);
    this.removeNote(note.conversation_id, note.id);
  }

  private upsertNote(note: Note): void {
    const list = this.notes[note.conversation_id];
    if (!list) return;
    const i = list.findIndex((n) => n.id === note.id);
    if (i >= 0) list[i] = note;
    else this.notes[note.conversation_id] = [...list, note];
  }

  private removeNote(conversationId: string, id: string): void {
    const list = this.notes[conversationId];
    if (list) this.notes[conversationId] = list.filter((n) => n.id !== id);
  }

  async loadMentions(): Promise<void> {
    this.loadingMentions = true;
    try {
      const page = await api.get<MentionPage>('/api/v1/mentions', { unread: this.unreadOnly, limit: 50 });
      this.mentions = page.items;
      this.unreadMentions = page.unread_count;
    } finally {
      this.loadingMentions = false;
    }
  }

  async readMention(id: string): Promise<void> {
    const m = this.mentions.find((x) => x.id === id);
    if (m?.read_at) return;
    await api.post(`/api/v1/mentions/${id}/read`);
    this.markRead(id);
  }

  async readAll(): Promise<void> {
    await api.post('/api/v1/mentions/read');
    this.markRead(null);
  }

  private markRead(id: string | null): void {
    // Only a timestamp string is kept, not the Date.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const at = new Date().toISOString();
    let changed = 0;
    this.mentions = this.mentions.map((m) => {
      if ((id === null || m.id === id) && !m.read_at) {
        changed++;
        return { ...m, read_at: at };
      }
      return m;
    });
    this.unreadMentions = id === null ? 0 : Math.max(0, this.unreadMentions - changed);
  }

  handleEvent(event: RealtimeEvent): void {
    switch (event.type) {
      case 'label.created':
      case 'label.updated':
        this.upsertLabel(event.data);
        break;
      case 'label.deleted':
        this.labels = this.labels.filter((l) => l.id !== event.data.id);
        break;
      case 'note.created':
      case 'note.updated':
        this.upsertNote(event.data);
        break;
      case 'note.deleted':
        this.removeNote(event.data.conversation_id, event.data.id);
        break;
      case 'mention.created':
        if (!this.mentions.some((m) => m.id === event.data.id)) this.mentions = [event.data, ...this.mentions];
        this.unreadMentions++;
        break;
      case 'mention.read':
        // Read in another tab: that tab already told the server; reload the count from it.
        void this.loadMentions();
        break;
    }
  }
}
