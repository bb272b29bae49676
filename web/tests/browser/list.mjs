// The conversation list's filters: channel kind, assignment, status and unread.
import { describe, test } from 'node:test';
import { browserTest, env, listRow, login, uniquePhone, whatsappCustomerWrites } from './harness.mjs';
import { attribute, hidden, visible } from './expect.mjs';

// The demo's seeded conversations, one (or more) per channel kind.
const CLOUD = 'María López';
const APP = 'Pedro Ruiz';

/**
 * The name the list shows for the demo's Messenger or Instagram customer: its profile name when the
 * inbox knows it, else its page-scoped id (Meta's webhooks carry no names on those channels).
 */
async function seededName(kind) {
  const page = await env.admin.get(`/api/v1/conversations?status=all&channel=${kind}&limit=100`);
  const first = page.items.at(-1);
  if (!first) throw new Error(`no seeded ${kind} conversation`);
  return first.handle.profile_name ?? first.handle.external_id;
}

async function chooseChannel(page, label) {
  await page.getByRole('combobox', { name: 'Canal' }).selectOption({ label });
}

async function press(page, group, name) {
  const button = page.getByRole('group', { name: group }).getByRole('button', { name, exact: true });
  await button.click();
  await attribute(button, 'aria-pressed', 'true');
}

export default () =>
  describe('conversation list filters', () => {
    browserTest(test, 'the channel filter shows only conversations of that channel kind', async ({ page }) => {
      const MESSENGER = await seededName('messenger');
      const INSTAGRAM = await seededName('instagram');
      await login(page);
      for (const name of [CLOUD, APP, MESSENGER, INSTAGRAM]) await visible(listRow(page, name), 'all kinds at first');

      await chooseChannel(page, 'WhatsApp API');
      await visible(listRow(page, CLOUD));
      for (const name of [APP, MESSENGER, INSTAGRAM]) await hidden(listRow(page, name), 'WhatsApp API only');

      await chooseChannel(page, 'WhatsApp Business App');
      await visible(listRow(page, APP));
      for (const name of [CLOUD, MESSENGER, INSTAGRAM]) await hidden(listRow(page, name), 'Business App only');

      await chooseChannel(page, 'Messenger');
      await visible(listRow(page, MESSENGER));
      for (const name of [CLOUD, APP, INSTAGRAM]) await hidden(listRow(page, name), 'Messenger only');

      await chooseChannel(page, 'Instagram');
      await visible(listRow(page, INSTAGRAM));
      for (const name of [CLOUD, APP, MESSENGER]) await hidden(listRow(page, name), 'Instagram only');

      await chooseChannel(page, 'WhatsApp');
      await visible(listRow(page, CLOUD));
      await visible(listRow(page, APP));
      for (const name of [MESSENGER, INSTAGRAM]) await hidden(listRow(page, name), 'both WhatsApp kinds only');

      await chooseChannel(page, 'Todos');
      for (const name of [CLOUD, APP, MESSENGER, INSTAGRAM]) await visible(listRow(page, name), 'all kinds again');
    });

    browserTest(test, 'Mías, Sin asignar and Todas filter by assignee', async ({ page }) => {
      const mine = await whatsappCustomerWrites(env.assets.cloud.phone_number_id, uniquePhone(), 'Marta Asignada', 'Hola');
      const free = await whatsappCustomerWrites(env.assets.cloud.phone_number_id, uniquePhone(), 'Tomás Libre', 'Hola');
      const adminId = await env.admin.userId('admin@demo.escala.test');
      await env.admin.patch(`/api/v1/conversations/${mine.conversation.id}`, { assignee_id: adminId });
      await env.admin.patch(`/api/v1/conversations/${free.conversation.id}`, { assignee_id: null });

      await login(page);
      await press(page, 'Asignación', 'Mías');
      await visible(listRow(page, 'Marta Asignada'));
      await hidden(listRow(page, 'Tomás Libre'), 'an unassigned conversation is not mine');

      await press(page, 'Asignación', 'Sin asignar');
      await visible(listRow(page, 'Tomás Libre'));
      await hidden(listRow(page, 'Marta Asignada'), 'an assigned conversation is not unassigned');

      await press(page, 'Asignación', 'Todas');
      await visible(listRow(page, 'Marta Asignada'));
      await visible(listRow(page, 'Tomás Libre'));
    });

    browserTest(test, 'Abiertas and Resueltas filter by status', async ({ page }) => {
      const done = await whatsappCustomerWrites(env.assets.cloud.phone_number_id, uniquePhone(), 'Rita Resuelta', 'Gracias, eso es todo');
      await env.admin.patch(`/api/v1/conversations/${done.conversation.id}`, { status: 'resolved' });

      await login(page);
      await visible(listRow(page, CLOUD), 'open conversations by default');
      await hidden(listRow(page, 'Rita Resuelta'), 'a resolved conversation is not open');

      await press(page, 'Estado', 'Resueltas');
      await visible(listRow(page, 'Rita Resuelta'));
      await hidden(listRow(page, CLOUD), 'an open conversation is not resolved');

      await press(page, 'Estado', 'Abiertas');
      await visible(listRow(page, CLOUD));
      await hidden(listRow(page, 'Rita Resuelta'));
    });

    browserTest(test, 'No leídas shows only conversations with unread messages', async ({ page }) => {
      await whatsappCustomerWrites(env.assets.cloud.phone_number_id, uniquePhone(), 'Nora Noleída', '¿Siguen abiertos?');
      const read = await whatsappCustomerWrites(env.assets.cloud.phone_number_id, uniquePhone(), 'Lalo Leído', 'Ok');
      await env.admin.post(`/api/v1/conversations/${read.conversation.id}/read`);

      await login(page);
      await visible(listRow(page, 'Lalo Leído'));
      const unread = page.getByRole('button', { name: 'No leídas', exact: true });
      await unread.click();
      await attribute(unread, 'aria-pressed', 'true');
      await visible(listRow(page, 'Nora Noleída'));
      await hidden(listRow(page, 'Lalo Leído'), 'a read conversation is not listed under No leídas');

      await unread.click();
      await attribute(unread, 'aria-pressed', 'false');
      await visible(listRow(page, 'Lalo Leído'));
    });
  });
