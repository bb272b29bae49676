// The words of the inbox's own notices (messages of kind `system`, docs/api.md): calls, marketing
// preferences, shared phones, assignments. Pure, so each wording is unit-tested.
import type { MessageKey } from '../i18n/catalogue';

type Translate = (key: MessageKey, params?: Record<string, string>) => string;
type Obj = Record<string, unknown>;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** "2 min 5 s", "45 s", "1 h 3 min". */
export function callDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return rest ? `${m} min ${rest} s` : `${m} min`;
  return `${rest} s`;
}

export function noticeText(t: Translate, system: Obj | null | undefined, fallback: string | null | undefined): string {
  if (!system) return fallback || t('msg.system.generic');
  switch (system.type) {
    case 'phone_shared':
      return t('msg.system.phone_shared', { phone: str(system.phone) });
    case 'call': {
      const outbound = system.direction === 'outbound';
      const duration = typeof system.duration_seconds === 'number' ? system.duration_seconds : null;
      switch (system.outcome) {
        case 'completed':
          return duration !== null
            ? t(outbound ? 'notice.call.outbound_completed' : 'notice.call.completed', { duration: callDuration(duration) })
            : t('notice.call.answered');
        case 'missed':
          return t('notice.call.missed');
        case 'not_answered':
          return t('notice.call.not_answered');
        case 'failed':
          return t('notice.call.failed');
        default:
          return t(outbound ? 'notice.call.outbound_ringing' : 'notice.call.ringing');
      }
    }
    case 'assignment':
      return assignmentText(t, system);
    case 'marketing_preference':
      if (system.source === 'meta_error_131050') return t('notice.marketing.meta_131050');
      return t(system.value === 'resume' ? 'notice.marketing.resumed' : 'notice.marketing.stopped');
    default:
      return fallback || t('msg.system.generic');
  }
}

const person = (v: unknown): { id: string; name: string } | null => {
  if (!v || typeof v !== 'object') return null;
  const o = v as Obj;
  return { id: str(o.id), name: str(o.name) };
};

/** "Asignada a Ana por Bruno", "Transferida de Ana a Bruno por Carla", "Asignada automáticamente a Ana". */
function assignmentText(t: Translate, system: Obj): string {
  const to = person(system.assignee);
  const from = person(system.previous);
  const by = person(system.by);
  if (!to) return by ? t('notice.assignment.unassigned', { by: by.name }) : t('notice.assignment.unassigned_auto');
  if (system.auto === true || !by) return t('notice.assignment.auto', { name: to.name });
  if (by.id === to.id && !from) return t('notice.assignment.took', { name: to.name });
  if (from) return t('notice.assignment.transferred', { previous: from.name, name: to.name, by: by.name });
  return t('notice.assignment.assigned', { name: to.name, by: by.name });
}
