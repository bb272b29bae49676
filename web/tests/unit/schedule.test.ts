import { describe, expect, it } from 'vitest';
import { inAnHour, localInputValue, parseLocalInput, tomorrowAtNine } from '../../src/lib/schedule';

describe('schedule times', () => {
  it('rounds "in an hour" to the minute', () => {
    const now = new Date(2026, 2, 17, 10, 20, 35, 500);
    expect(inAnHour(now)).toEqual(new Date(2026, 2, 17, 11, 20, 0, 0));
  });

  it('puts "tomorrow 9:00" on the next local day, also across a month end', () => {
    expect(tomorrowAtNine(new Date(2026, 2, 17, 23, 50))).toEqual(new Date(2026, 2, 18, 9, 0));
    expect(tomorrowAtNine(new Date(2026, 2, 31, 8, 0))).toEqual(new Date(2026, 3, 1, 9, 0));
  });

  it('round-trips the datetime-local value and refuses what is not a date', () => {
    const d = new Date(2026, 0, 5, 7, 3);
    expect(localInputValue(d)).toBe('2026-01-05T07:03');
    expect(parseLocalInput('2026-01-05T07:03')).toEqual(d);
    expect(parseLocalInput('2026-02-30T10:00')).toBeNull();
    expect(parseLocalInput('')).toBeNull();
  });
});
