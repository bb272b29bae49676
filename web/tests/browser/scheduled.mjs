// "Enviar más tarde": a text scheduled from the composer is listed above it, edited and cancelled
// there; nothing reaches the customer meanwhile. Sending at its time (and the window checked again
// then) is tested against the API with the server's test clock (crates/server/tests/api/
// scheduled_sends.rs): the demo server's clock cannot be moved from a browser.
import { describe, test } from 'node:test';
import {
  browserTest,
  composer,
  env,
  login,
  openConversation,
  screenshot,
  uniquePhone,
  whatsappCustomerWrites,
} from './harness.mjs';
import { assert, hidden, poll, visible } from './expect.mjs';

export default () =>
  describe('scheduled sends', () => {
    browserTest(test, 'a text is scheduled, edited and another cancelled, and none is sent', async ({ page }) => {
      const wa = uniquePhone();
      const { conversation } = await whatsappCustomerWrites(
        env.assets.cloud.phone_number_id,
        wa,
        'Paco Programado',
        '¿Me escriben mañana?',
      );
      await login(page);
      await openConversation(page, 'Paco Programado');

      await composer(page).fill('Te escribo mañana temprano');
      await page.getByRole('button', { name: 'Enviar más tarde' }).click();
      await page.getByRole('dialog', { name: 'Enviar más tarde' }).getByRole('button', { name: 'Mañana 9:00' }).click();
      const list = page.getByRole('region', { name: 'Mensajes programados' });
      const first = list.getByRole('listitem').filter({ hasText: 'Te escribo mañana temprano' });
      await visible(first, 'the scheduled text is listed above the composer');
      await visible(first.getByText(/^Se enviará el /), 'with when it goes');
      await poll(async () => (await composer(page).inputValue()) === '', { message: 'the composer is emptied' });

      await composer(page).fill('Otro recordatorio');
      await page.getByRole('button', { name: 'Enviar más tarde' }).click();
      await page.getByRole('dialog', { name: 'Enviar más tarde' }).getByRole('button', { name: 'En 1 hora' }).click();
      const second = list.getByRole('listitem').filter({ hasText: 'Otro recordatorio' });
      await visible(second, 'the second one is listed too');
      await screenshot(page, 'scheduled');

      await first.getByRole('button', { name: 'Editar' }).click();
      const text = list.getByRole('textbox', { name: 'Texto del mensaje programado' });
      await text.fill('Te escribo el lunes');
      await list.getByRole('button', { name: 'Guardar' }).click();
      await visible(list.getByRole('listitem').filter({ hasText: 'Te escribo el lunes' }), 'the edited text is shown');

      await second.getByRole('button', { name: 'Cancelar' }).click();
      await hidden(second, 'the cancelled one leaves the list');

      const pending = await env.admin.get(`/api/v1/conversations/${conversation.id}/scheduled`);
      assert.deepEqual(
        pending.items.map((s) => s.message.text),
        ['Te escribo el lunes'],
        'the server keeps the edited one only',
      );
      assert.equal((await env.sim.sentTo(wa)).length, 0, 'nothing reached the customer');
    });
  });
