import { describe, expect, it } from 'vitest';
import { chipTextColor } from '../../src/lib/labels';

describe('label chips', () => {
  it('write dark on light colours and light on dark ones', () => {
    expect(chipTextColor('#ffd700')).toBe('#1f2933');
    expect(chipTextColor('#eab308')).toBe('#1f2933');
    expect(chipTextColor('#1e3a8a')).toBe('#ffffff');
    expect(chipTextColor('#e11d48')).toBe('#ffffff');
  });
  it('fall back to dark text on an unreadable colour', () => {
    expect(chipTextColor('red')).toBe('#1f2933');
  });
});
