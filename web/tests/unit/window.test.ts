import { describe, expect, it } from 'vitest';
import { banner, canWriteFreely } from '../../src/lib/window';

const now = new Date('2026-11-30T12:00:00Z');

describe('window banner', () => {
  it('shows the time left while open', () => {
    expect(banner('whatsapp_cloud', { state: 'open', expires_at: '2026-11-30T15:00:00Z' }, now)).toEqual({ kind: 'open', leftMs: 3 * 3600_000 });
  });
  it('marks the Messenger/Instagram human-agent span', () => {
    expect(banner('instagram', { state: 'human_agent', expires_at: '2026-12-01T12:00:00Z' }, now)).toEqual({ kind: 'human_agent', leftMs: 24 * 3600_000 });
  });
  it('says since when a WhatsApp window is closed (templates only)', () => {
    expect(banner('whatsapp_business_app', { state: 'closed', last_inbound_at: '2026-11-29T10:00:00Z' }, now)).toEqual({
      kind: 'closed_whatsapp',
      closedAgoMs: 2 * 3600_000,
    });
    expect(banner('whatsapp_cloud', { state: 'closed' }, now)).toEqual({ kind: 'closed_whatsapp', closedAgoMs: null });
  });
  it('tells Messenger agents to wait for the customer', () => {
    expect(banner('messenger', { state: 'closed', last_inbound_at: '2026-11-01T10:00:00Z' }, now)).toEqual({ kind: 'closed_meta', neverWrote: false });
  });
  it('follows the server on free-form', () => {
    expect(canWriteFreely({ state: 'open', free_form: true })).toBe(true);
    expect(canWriteFreely({ state: 'closed', free_form: false })).toBe(false);
    expect(canWriteFreely({ state: 'human_agent' })).toBe(true);
  });
});
