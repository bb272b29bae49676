import { describe, expect, it } from 'vitest';
import { dayLabel, durationLeft, relativeTime, calendarDaysBetween, mediaDuration } from '../../src/i18n/time';

const now = new Date(2026, 10, 30, 10, 0, 0); // 30 Nov 2026, 10:00 local

describe('day separators', () => {
  it('says Hoy and Ayer, then the date', () => {
    expect(dayLabel('es', new Date(2026, 10, 30, 0, 5), now)).toBe('Hoy');
    expect(dayLabel('es', new Date(2026, 10, 29, 23, 59), now)).toBe('Ayer');
    expect(dayLabel('en', new Date(2026, 10, 29, 23, 59), now)).toBe('Yesterday');
    expect(dayLabel('es', new Date(2026, 10, 3, 12), now)).toMatch(/3 de noviembre/);
  });
  it('counts calendar days, not 24 h spans', () => {
    expect(calendarDaysBetween(new Date(2026, 10, 29, 23, 59), new Date(2026, 10, 30, 0, 1))).toBe(1);
  });
});

describe('relative times in the list', () => {
  it('reads like a chat app', () => {
    expect(relativeTime('es', new Date(now.getTime() - 20_000), now)).toBe('ahora');
    expect(relativeTime('es', new Date(now.getTime() - 5 * 60_000), now)).toBe('hace 5 min');
    expect(relativeTime('es', new Date(2026, 10, 29, 9, 0), now)).toBe('Ayer');
  });
});

describe('durations', () => {
  it('shows what is left of a window', () => {
    expect(durationLeft('es', (23 * 60 + 10) * 60_000)).toMatch(/23\s?h 10\s?min/);
    expect(durationLeft('es', 30_000)).toMatch(/1\s?min/);
  });
  it('formats audio lengths', () => {
    expect(mediaDuration(65)).toBe('1:05');
  });
});
