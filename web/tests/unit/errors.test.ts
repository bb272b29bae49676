import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/client';
import { errorText } from '../../src/i18n/errors';
import { translate } from '../../src/i18n/translate';
import type { MessageKey } from '../../src/i18n/catalogue';

const t = (key: MessageKey, params?: Record<string, string>) => translate('es', key, params);

describe('errors in the user\'s words', () => {
  it('uses the catalogue for known codes, with the server\'s detail on refusals', () => {
    expect(errorText(t, new ApiError(422, 'window_closed', 'outside the 24 h window'))).toBe(
      'La ventana de 24 h está cerrada: solo puedes enviar plantillas. (outside the 24 h window)',
    );
    expect(errorText(t, new ApiError(403, 'forbidden', 'nope'))).toBe('Tu rol no permite esta acción.');
  });
  it('falls back to the server\'s message, then to a generic line', () => {
    expect(errorText(t, new ApiError(409, 'shortcut_taken', 'that shortcut exists'))).toBe('that shortcut exists');
    expect(errorText(t, new ApiError(0, 'network', 'network'))).toBe('No se pudo contactar al servidor. Revisa tu conexión.');
    expect(errorText(t, new Error('x'))).toBe('Algo salió mal. Inténtalo de nuevo.');
  });
});
