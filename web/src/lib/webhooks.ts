// Outgoing webhooks in the settings: the events a webhook may subscribe to (in the order the form
// shows them) and what the delivery log needs to decide. Pure, so it is unit-tested.
import type { Schemas } from '../api/client';
import type { MessageKey } from '../i18n/catalogue';

export type Webhook = Schemas['WebhookView'];
export type HookEvent = Schemas['HookEvent'];
export type Delivery = Schemas['DeliveryView'];

/** What a webhook may subscribe to (`ping` is only sent by "Enviar prueba"). */
export const HOOK_EVENTS: readonly HookEvent[] = [
  'message.created',
  'message.updated',
  'conversation.created',
  'conversation.assigned',
  'conversation.status_changed',
  'contact.created',
  'contact.updated',
];

export function eventLabel(event: HookEvent): MessageKey {
  return `wh.event.${event}` as MessageKey;
}

/** The chosen events in the form's order (the server answers a set; the form keeps one order). */
export function orderedEvents(chosen: Iterable<HookEvent>): HookEvent[] {
  const set = new Set(chosen);
  return HOOK_EVENTS.filter((e) => set.has(e));
}

/** Whether the log should look again soon: something is still being attempted. */
export function awaitingOutcome(deliveries: readonly Delivery[]): boolean {
  return deliveries.some((d) => d.status === 'pending');
}

/** Only a finished delivery can be sent again (a pending one is still being attempted). */
export function mayRetry(d: Delivery): boolean {
  return d.status !== 'pending';
}
