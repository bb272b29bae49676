// The CRM: an administrator defines a choice field, which the contact panel then edits with a list;
// in "Contactos" two contacts with the same number are found by the national number and merged after
// a confirmation; a CSV with a bad row is refused row by row, then a good one is checked and imported.
import { describe, test } from 'node:test';
import { browserTest, env, login } from './harness.mjs';
import { assert, hidden, visible } from './expect.mjs';

export default () =>
  describe('contacts', () => {
    browserTest(test, 'custom fields, search by any number format, merge and CSV import', async ({ page }) => {
      await login(page);
      // Configuración → Campos de contacto: a choice field.
      await page.getByRole('link', { name: 'Configuración' }).click();
      await page.getByRole('navigation', { name: 'Configuración' }).getByRole('link', { name: 'Campos de contacto' }).click();
      await page.getByLabel('Clave (minúsculas, números y _)').fill('nivel');
      await page.getByLabel('Etiqueta').fill('Nivel');
      await page.getByLabel('Tipo').selectOption('choice');
      await page.getByLabel('Opciones (una por línea)').fill('Oro\nPlata');
      await page.getByRole('button', { name: 'Agregar campo' }).click();
      await visible(page.getByText('Oro, Plata'), 'the field is listed with its choices');

      // The contact panel edits it with a list of its choices.
      const conversations = await env.admin.get('/api/v1/conversations?status=all&limit=1');
      const conversation = conversations.items[0];
      await env.admin.post('/api/v1/contacts', { first_name: 'Paula Panel', conversation_id: conversation.id });
      await page.goto(`/c/${conversation.id}`);
      await page.getByRole('button', { name: 'Editar contacto' }).click();
      await page.getByLabel('Nivel').selectOption('Plata');
      await page.getByRole('button', { name: 'Guardar' }).click();
      const panel = page.getByRole('complementary', { name: 'Contacto' });
      await visible(panel.getByText('Plata'), 'the value is shown with its label');
      await visible(panel.getByText('Nivel'));

      // Two contacts with the same number (one with Mexico's old `1`), found by the national number.
      await env.admin.post('/api/v1/contacts', { first_name: 'Lucía Doble', phone_primary: '+52 55 4444 3333' });
      await env.admin.post('/api/v1/contacts', { first_name: 'Lucía Copia', phone_whatsapp: '+52 1 55 4444 3333', email: 'lucia@example.com' });
      await page.goto('/contactos');
      await page.getByRole('searchbox').fill('55 4444 3333');
      const doble = page.getByRole('checkbox', { name: 'Seleccionar a Lucía Doble' });
      const copia = page.getByRole('checkbox', { name: 'Seleccionar a Lucía Copia' });
      await visible(doble);
      await visible(copia);
      await doble.check();
      await copia.check();
      await page.getByRole('radio', { name: 'Lucía Doble' }).check();
      page.once('dialog', (d) => d.accept());
      await page.getByRole('button', { name: 'Combinar contactos' }).click();
      await visible(page.getByRole('status').filter({ hasText: 'Contactos combinados.' }));
      await hidden(copia, 'the other contact is gone');
      const found = await env.admin.get('/api/v1/contacts?q=5544443333');
      assert.equal(found.items.length, 1, 'one contact is left');
      assert.equal(found.items[0].email, 'lucia@example.com', 'with the e-mail it lacked');

      // A CSV with a bad row: every problem by row and column, and no import button.
      const file = page.getByLabel('Archivo CSV');
      await file.setInputFiles({
        name: 'malo.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from('first_name,nivel\r\nMarta,Bronce\r\nNico,Oro\r\n'),
      });
      await page.getByRole('button', { name: 'Revisar archivo' }).click();
      const problems = page.getByRole('table');
      await visible(problems.getByRole('row').filter({ hasText: 'nivel' }).filter({ hasText: '2' }), 'row 2, column nivel');
      await hidden(page.getByRole('button', { name: 'Importar', exact: true }), 'nothing to import while a row is wrong');

      await file.setInputFiles({
        name: 'bueno.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from('first_name,nivel\r\nMarta Importada,Plata\r\n'),
      });
      await page.getByRole('button', { name: 'Revisar archivo' }).click();
      await visible(page.getByText('Filas: 1 · nuevos: 1 · actualizados: 0 · sin cambios: 0'));
      await page.getByRole('button', { name: 'Importar', exact: true }).click();
      await visible(page.getByRole('status').filter({ hasText: 'Importación completada.' }));
      await page.getByRole('searchbox').fill('marta importada');
      await visible(page.getByRole('checkbox', { name: 'Seleccionar a Marta Importada' }), 'the imported contact is listed');
    });
  });
