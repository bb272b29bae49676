import { describe, expect, it } from 'vitest';
import { customChange } from '../../src/components/contacts/fields';

describe('customChange', () => {
  it('names only the values that changed, null clearing', () => {
    expect(customChange({ rfc: 'A1', nivel: 'Oro', alta: '2024-01-31' }, { rfc: 'A1', nivel: 'Plata', alta: '' })).toEqual({
      nivel: 'Plata',
      alta: null,
    });
  });

  it('ignores surrounding spaces and fields left empty', () => {
    expect(customChange({ rfc: 'A1' }, { rfc: ' A1 ', monto: '  ' })).toEqual({});
    expect(customChange({}, { monto: '12.5' })).toEqual({ monto: '12.5' });
  });
});
