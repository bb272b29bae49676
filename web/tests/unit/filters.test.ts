import { describe, expect, it } from 'vitest';
import { defaultFilters, filterQuery, matchesFilters } from '../../src/state/filters';

const conversation = (labels: string[]) => ({
  status: 'open',
  unread_count: 0,
  channel: { id: 'ch', kind: 'whatsapp_cloud' },
  assignee: null,
  labels: labels.map((id) => ({ id })),
});

describe('the label filter', () => {
  it('is sent as label=<id>', () => {
    expect(filterQuery({ ...defaultFilters(true), label: 'L1' }).label).toBe('L1');
    expect(filterQuery(defaultFilters(true)).label).toBeUndefined();
  });
  it('keeps only conversations carrying the label', () => {
    const f = { ...defaultFilters(true), label: 'L1' };
    expect(matchesFilters(f, conversation(['L0', 'L1']), 'me')).toBe(true);
    expect(matchesFilters(f, conversation(['L0']), 'me')).toBe(false);
    expect(matchesFilters(defaultFilters(true), conversation([]), 'me')).toBe(true);
  });
});
