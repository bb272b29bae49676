// Scheduled sends ("Enviar más tarde") of the opened conversations: what is still pending, and what
// failed at its time (with why) until dismissed. Fed by the API and by the events socket, so every
// tab sees a schedule appear, change and go (docs/api.md, "Scheduled sends").
import { api } from '../api/client';
import type { RealtimeEvent, Scheduled, ScheduledContent } from '../api/types';

/** Shown in a conversation: waiting, being sent, or failed and not yet dismissed. */
const SHOWN: ReadonlySet<Scheduled['status']> = new Set(['scheduled', 'sending', 'failed']);

export class ScheduledStore {
  /** By conversation id, soonest first; only for conversations opened since the page loaded. */
  byConversation = $state<Record<string, Scheduled[]>>({});

  async load(conversationId: string): Promise<void> {
    const page = await api.get<{ items: Scheduled[] }>(`/api/v1/conversations/${conversationId}/scheduled`);
    this.byConversation[conversationId] = page.items;
  }

  async schedule(conversationId: string, sendAt: Date, message: ScheduledContent): Promise<Scheduled> {
    const s = await api.post<Scheduled>(`/api/v1/conversations/${conversationId}/scheduled`, {
      send_at: sendAt.toISOString(),
      message,
    });
    this.upsert(s);
    return s;
  }

  async edit(s: Scheduled, patch: { text?: string; send_at?: string }): Promise<void> {
    this.upsert(await api.patch<Scheduled>(`/api/v1/scheduled/${s.id}`, patch));
  }

  async cancel(s: Scheduled): Promise<void> {
    await api.delete(`/api/v1/scheduled/${s.id}`);
    this.remove(s.conversation_id, s.id);
  }

  private upsert(s: Scheduled): void {
    const list = this.byConversation[s.conversation_id];
    if (!list) return;
    if (!SHOWN.has(s.status)) {
      this.remove(s.conversation_id, s.id);
      return;
    }
    const rest = list.filter((x) => x.id !== s.id);
    this.byConversation[s.conversation_id] = [...rest, s].sort((a, b) => Date.parse(a.send_at) - Date.parse(b.send_at));
  }

  private remove(conversationId: string, id: string): void {
    const list = this.byConversation[conversationId];
    if (list) this.byConversation[conversationId] = list.filter((x) => x.id !== id);
  }

  /** After a reconnect or a `resync`: nothing is replayed, so the shown lists are reloaded. */
  resync(): void {
    for (const id of Object.keys(this.byConversation)) void this.load(id).catch(() => {});
  }

  handleEvent(event: RealtimeEvent): void {
    switch (event.type) {
      case 'scheduled.created':
      case 'scheduled.updated':
      case 'scheduled.failed':
        this.upsert(event.data);
        break;
    }
  }
}
