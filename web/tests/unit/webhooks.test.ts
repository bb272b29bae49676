import { describe, expect, it } from 'vitest';
import { HOOK_EVENTS, awaitingOutcome, eventLabel, mayRetry, orderedEvents, type Delivery } from '../../src/lib/webhooks';
import { translate } from '../../src/i18n/translate';

function delivery(status: Delivery['status']): Delivery {
  return {
    id: 'd1',
    event: 'ping',
    status,
    attempts: 1,
    created_at: '2026-11-30T10:00:00Z',
    updated_at: '2026-11-30T10:00:00Z',
  } as Delivery;
}

describe('outgoing webhooks in the settings', () => {
  it('offers the seven events, each with a label in both languages', () => {
    expect(HOOK_EVENTS).toHaveLength(7);
    expect(HOOK_EVENTS).not.toContain('ping');
    for (const e of [...HOOK_EVENTS, 'ping' as const]) {
      for (const locale of ['es', 'en'] as const) {
        expect(translate(locale, eventLabel(e))).not.toBe(eventLabel(e));
      }
    }
  });
  it('keeps the chosen events in the form’s order, once each', () => {
    expect(orderedEvents(['contact.updated', 'message.created', 'contact.updated'])).toEqual([
      'message.created',
      'contact.updated',
    ]);
  });
  it('looks again while a delivery is pending, and retries only finished ones', () => {
    expect(awaitingOutcome([delivery('delivered'), delivery('pending')])).toBe(true);
    expect(awaitingOutcome([delivery('delivered'), delivery('failed')])).toBe(false);
    expect(mayRetry(delivery('failed'))).toBe(true);
    expect(mayRetry(delivery('pending'))).toBe(false);
  });
});
