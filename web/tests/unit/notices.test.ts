import { describe, expect, it } from 'vitest';
import { callDuration, noticeText } from '../../src/lib/notices';
import { translate } from '../../src/i18n/translate';
import type { MessageKey } from '../../src/i18n/catalogue';

const t = (key: MessageKey, params?: Record<string, string>) => translate('es', key, params);

describe('call notices', () => {
  it('say what happened, with the duration', () => {
    expect(noticeText(t, { type: 'call', direction: 'inbound', outcome: 'missed' }, null)).toBe('Llamada perdida');
    expect(noticeText(t, { type: 'call', direction: 'inbound', outcome: 'completed', duration_seconds: 125 }, null)).toBe(
      'Llamada de 2 min 5 s',
    );
    expect(noticeText(t, { type: 'call', direction: 'outbound', outcome: 'not_answered' }, null)).toBe(
      'Llamada no contestada por el cliente',
    );
    expect(noticeText(t, { type: 'call', direction: 'inbound', outcome: 'ringing' }, null)).toBe('Llamada entrante');
  });
  it('formats durations', () => {
    expect(callDuration(45)).toBe('45 s');
    expect(callDuration(120)).toBe('2 min');
    expect(callDuration(3780)).toBe('1 h 3 min');
  });
});

describe('other notices', () => {
  it('words marketing preferences and shared phones', () => {
    expect(noticeText(t, { type: 'marketing_preference', value: 'stop', source: 'customer' }, null)).toBe(
      'El cliente dejó de recibir mensajes de marketing',
    );
    expect(noticeText(t, { type: 'marketing_preference', value: 'resume' }, null)).toBe(
      'El cliente volvió a aceptar mensajes de marketing',
    );
    expect(noticeText(t, { type: 'marketing_preference', value: 'stop', source: 'meta_error_131050' }, null)).toMatch(/131050/);
    expect(noticeText(t, { type: 'phone_shared', phone: '+5215512345678' }, null)).toBe(
      'El cliente compartió su número: +5215512345678',
    );
    expect(noticeText(t, { type: 'something_new' }, 'texto')).toBe('texto');
    expect(noticeText(t, null, null)).toBe('Aviso del sistema');
  });
});

describe('assignment notices', () => {
  const ana = { id: 'a', name: 'Ana' };
  const bruno = { id: 'b', name: 'Bruno' };
  it('say who gave the conversation to whom', () => {
    expect(noticeText(t, { type: 'assignment', assignee: ana, previous: null, by: bruno, auto: false }, null)).toBe(
      'Asignada a Ana por Bruno',
    );
    expect(noticeText(t, { type: 'assignment', assignee: bruno, previous: ana, by: bruno, auto: false }, null)).toBe(
      'Transferida de Ana a Bruno por Bruno',
    );
    expect(noticeText(t, { type: 'assignment', assignee: ana, previous: null, by: ana, auto: false }, null)).toBe(
      'Ana tomó la conversación',
    );
    expect(noticeText(t, { type: 'assignment', assignee: ana, previous: null, by: null, auto: true }, null)).toBe(
      'Asignada automáticamente a Ana',
    );
    expect(noticeText(t, { type: 'assignment', assignee: null, previous: ana, by: bruno, auto: false }, null)).toBe(
      'Bruno quitó la asignación',
    );
  });
});
