import { describe, expect, it } from 'vitest';
import { customerName, initials } from '../../src/lib/names';

const handle = { external_id: '5215512345678', wa_id: '5215512345678' };

describe('customerName', () => {
  it('prefers the CRM contact', () => {
    expect(customerName({ contact: { first_name: 'María', last_name: 'López' }, handle: { ...handle, profile_name: 'Mary' } })).toBe('María López');
  });
  it('then the WhatsApp profile, then the saved name', () => {
    expect(customerName({ handle: { ...handle, profile_name: 'Mary' } })).toBe('Mary');
    expect(customerName({ handle: { ...handle, saved_name: 'Mary (tienda)' } })).toBe('Mary (tienda)');
  });
  it('then @username for a WhatsApp username', () => {
    expect(customerName({ handle: { external_id: 'MX.123', username: 'maria.lopez' } })).toBe('@maria.lopez');
  });
  it('then the number, formatted', () => {
    expect(customerName({ handle })).toBe('+52 1 55 1234 5678');
  });
  it('then the channel id', () => {
    expect(customerName({ handle: { external_id: '2718281828' } })).toBe('2718281828');
  });
  it('ignores an empty contact name', () => {
    expect(customerName({ contact: { first_name: ' ', last_name: null }, handle: { ...handle, profile_name: 'Mary' } })).toBe('Mary');
  });
});

describe('initials', () => {
  it('takes two initials and a # for numbers', () => {
    expect(initials('María López Pérez')).toBe('ML');
    expect(initials('@ana')).toBe('A');
    expect(initials('+52 1 55')).toBe('#');
  });
});
