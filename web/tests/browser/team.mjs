// Team features in the browser: the availability switch, labels on conversations and the label
// filter, private notes with an @mention that reaches the teammate's "Menciones".
import { describe, test } from 'node:test';
import {
  browserTest,
  env,
  listRow,
  login,
  messageLog,
  newContext,
  openConversation,
  screenshot,
  uniquePhone,
  whatsappCustomerWrites,
} from './harness.mjs';
import { assert, attribute, hidden, poll, visible } from './expect.mjs';

const ANA = 'Ana Vendedora';

async function userId(name) {
  const users = await env.admin.get('/api/v1/users');
  const user = users.items.find((u) => u.name === name);
  if (!user) throw new Error(`no demo user ${name}`);
  return user;
}

export default () =>
  describe('team features', () => {
    browserTest(test, 'a seller turns her availability for new conversations off and on', async ({ page }) => {
      await login(page, 'ana');
      const toggle = page.getByRole('switch', { name: 'Recibir conversaciones nuevas (asignación automática)' });
      await attribute(toggle, 'aria-checked', 'true', 'available at first');
      await toggle.click();
      await attribute(toggle, 'aria-checked', 'false');
      await visible(toggle.getByText('No disponible'), 'says so');
      await poll(async () => (await userId(ANA)).available === false, { message: 'the server has her unavailable' });
      await toggle.click();
      await attribute(toggle, 'aria-checked', 'true');
      await poll(async () => (await userId(ANA)).available === true, { message: 'and available again' });
    });

    browserTest(test, 'a label put on a conversation shows as a chip and filters the list', async ({ page }) => {
      const label = await env.admin.post('/api/v1/labels', { name: `Cotización ${Date.now() % 100000}`, color: '#2563eb' });
      await whatsappCustomerWrites(env.assets.cloud.phone_number_id, uniquePhone(), 'Lorena Etiquetas', 'Quiero una cotización');
      await login(page);
      await openConversation(page, 'Lorena Etiquetas');
      await page.getByRole('button', { name: /Etiquetar/ }).click();
      await page.getByRole('group', { name: 'Etiquetas' }).getByLabel(label.name).check();
      const main = page.getByRole('main', { name: 'Lorena Etiquetas' });
      await visible(main.getByRole('list', { name: 'Etiquetas' }).getByText(label.name), 'the chip in the header');
      await visible(listRow(page, 'Lorena Etiquetas').getByText(label.name), 'the chip on the list row');
      await screenshot(page, 'labels');

      await page.getByRole('combobox', { name: 'Etiqueta' }).selectOption({ label: label.name });
      await visible(listRow(page, 'Lorena Etiquetas'), 'the labelled conversation stays');
      await hidden(listRow(page, 'María López'), 'an unlabelled one goes');
      await page.getByRole('combobox', { name: 'Etiqueta' }).selectOption({ label: 'Todas las etiquetas' });
      await visible(listRow(page, 'María López'), 'back without the filter');
    });

    browserTest(test, 'a private note mentioning a teammate stays in the team and reaches her mentions', async ({ page }) => {
      const phone = uniquePhone();
      const { conversation } = await whatsappCustomerWrites(env.assets.cloud.phone_number_id, phone, 'Nora Notas', 'Hola, ¿me ayudan?');
      const ana = await userId(ANA);
      await env.admin.patch(`/api/v1/conversations/${conversation.id}`, { assignee_id: ana.id });

      await login(page);
      await openConversation(page, 'Nora Notas');
      await page.getByRole('tab', { name: /Notas/ }).click();
      const box = page.getByRole('textbox', { name: 'Escribe una nota para tu equipo…' });
      await box.click();
      await box.pressSequentially('Revisa su pedido @An');
      await page.getByRole('option', { name: `@${ANA}` }).click();
      await box.pressSequentially('por favor');
      await page.getByRole('button', { name: 'Agregar nota' }).click();
      const notes = page.getByRole('region', { name: 'Notas privadas' });
      await visible(notes.getByText(`@${ANA}`), 'the mention, by name');
      await visible(notes.getByText('por favor', { exact: false }), 'the note');
      await screenshot(page, 'notes');
      await page.getByRole('tab', { name: 'Mensajes' }).click();
      await hidden(messageLog(page, 'Nora Notas').getByText('Revisa su pedido', { exact: false }), 'not among the messages');

      const other = await newContext();
      try {
        await login(other.page, 'ana');
        const mentions = other.page.getByRole('button', { name: /Menciones/ });
        await visible(mentions.getByText('1'), 'one unread mention');
        await mentions.click();
        const row = other.page.getByRole('region', { name: 'Menciones' }).getByRole('button', { name: /Nora Notas/ });
        await visible(row.getByText('Admin Demo te mencionó'), 'who mentioned her');
        await row.click();
        await visible(
          other.page.getByRole('region', { name: 'Notas privadas' }).getByText('Revisa su pedido', { exact: false }),
          'the conversation opens on its notes',
        );
      } finally {
        await other.context.close();
      }
      const sent = await env.sim.sentTo(phone);
      assert.equal(sent.length, 0, `nothing was sent to the customer: ${JSON.stringify(sent)}`);
    });
  });
