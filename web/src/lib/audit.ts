// The audit log screen's filters: the families of actions it offers and the query sent to
// `GET /api/v1/audit` (docs/api.md). Dates are the user's local days; the server takes instants.

/** Action families recorded today; `action=channel` matches `channel.created`, `channel.updated`… */
export const AUDIT_FAMILIES = ['auth', 'channel', 'contact', 'conversation', 'message', 'rate_card', 'role', 'templates', 'user'] as const;

export interface AuditFilters {
  userId: string;
  action: string;
  /** `YYYY-MM-DD` from a date input, local time; empty for no bound. */
  from: string;
  to: string;
}

function localMidnight(day: string, addDays = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + addDays);
  return d.toISOString();
}

/** The query: `from` the start of its day, `until` the end of the `to` day (both in local time). */
export function auditQuery(f: AuditFilters): Record<string, string | undefined> {
  return {
    user_id: f.userId || undefined,
    action: f.action || undefined,
    from: f.from ? localMidnight(f.from) : undefined,
    until: f.to ? localMidnight(f.to, 1) : undefined,
  };
}
