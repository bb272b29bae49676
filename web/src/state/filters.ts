// The conversation list's filters and how they become the API's query (docs/api.md, conversations).
export type ChannelFilter =
  | { kind: 'all' }
  | { kind: 'whatsapp' }
  | { kind: 'kind'; value: 'whatsapp_cloud' | 'whatsapp_business_app' | 'messenger' | 'instagram' }
  | { kind: 'channel'; id: string };

export type AssigneeFilter = 'all' | 'me' | 'unassigned';
export type StatusFilter = 'open' | 'resolved';

export interface Filters {
  channel: ChannelFilter;
  assignee: AssigneeFilter;
  status: StatusFilter;
  unread: boolean;
  /** A label id: only conversations carrying it. */
  label: string | null;
}

export const defaultFilters = (canSeeAll: boolean): Filters => ({
  channel: { kind: 'all' },
  assignee: canSeeAll ? 'all' : 'me',
  status: 'open',
  unread: false,
  label: null,
});

export function filterQuery(f: Filters): Record<string, string | boolean | undefined> {
  const q: Record<string, string | boolean | undefined> = {
    status: f.status,
    assignee: f.assignee === 'all' ? undefined : f.assignee,
    unread: f.unread || undefined,
    label: f.label ?? undefined,
  };
  switch (f.channel.kind) {
    case 'whatsapp':
      q.channel = 'whatsapp';
      break;
    case 'kind':
      q.channel = f.channel.value;
      break;
    case 'channel':
      q.channel_id = f.channel.id;
      break;
  }
  return q;
}

/** Whether a conversation (e.g. from a realtime event) belongs in the list under these filters. */
export function matchesFilters(
  f: Filters,
  c: {
    status: string;
    unread_count: number;
    channel: { id: string; kind: string };
    assignee?: { id: string } | null;
    labels?: { id: string }[];
  },
  myId: string,
): boolean {
  if (c.status !== f.status) return false;
  if (f.unread && c.unread_count === 0) return false;
  if (f.assignee === 'me' && c.assignee?.id !== myId) return false;
  if (f.assignee === 'unassigned' && c.assignee) return false;
  if (f.label && !c.labels?.some((l) => l.id === f.label)) return false;
  switch (f.channel.kind) {
    case 'whatsapp':
      return c.channel.kind === 'whatsapp_cloud' || c.channel.kind === 'whatsapp_business_app';
    case 'kind':
      return c.channel.kind === f.channel.value;
    case 'channel':
      return c.channel.id === f.channel.id;
    default:
      return true;
  }
}

/** Serialising the channel filter into one <select> value and back. */
export function channelFilterValue(c: ChannelFilter): string {
  if (c.kind === 'kind') return c.value;
  if (c.kind === 'channel') return `channel:${c.id}`;
  return c.kind;
}

export function parseChannelFilter(v: string): ChannelFilter {
  if (v === 'all' || v === 'whatsapp') return { kind: v };
  if (v.startsWith('channel:')) return { kind: 'channel', id: v.slice('channel:'.length) };
  if (v === 'whatsapp_cloud' || v === 'whatsapp_business_app' || v === 'messenger' || v === 'instagram')
    return { kind: 'kind', value: v };
  return { kind: 'all' };
}
