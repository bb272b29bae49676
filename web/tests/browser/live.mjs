// Realtime and visibility: a customer's message shows up live in two tabs, and a seller sees only
// the conversations assigned to her.
import { describe, test } from 'node:test';
import {
  browserTest,
  env,
  listRow,
  login,
  messageLog,
  uniquePhone,
  whatsappCustomerWrites,
} from './harness.mjs';
import { hidden, visible } from './expect.mjs';

/** Resolves once the page's events socket said hello (so later events reach it). */
function eventsConnected(page) {
  return page
    .waitForEvent('websocket', (ws) => ws.url().endsWith('/api/v1/events'))
    .then((ws) => ws.waitForEvent('framereceived', (f) => String(f.payload).includes('"hello"')));
}

export default () =>
  describe('live updates and visibility', () => {
    browserTest(test, 'a customer message arrives live in two tabs', async ({ context, page }) => {
      const wa = uniquePhone();
      const { conversation } = await whatsappCustomerWrites(env.assets.cloud.phone_number_id, wa, 'Tania Tabs', 'Primer mensaje');
      await login(page);
      const second = await context.newPage();
      const tabs = [page, second];
      await Promise.all(
        tabs.map(async (p) => {
          const connected = eventsConnected(p);
          await p.goto(`/c/${conversation.id}`);
          await connected;
          await visible(messageLog(p, 'Tania Tabs').getByText('Primer mensaje'));
        }),
      );
      await env.sim.whatsappWrites(env.assets.cloud.phone_number_id, wa, { text: 'Llegó en vivo 4721' });
      for (const [i, p] of tabs.entries()) {
        await visible(messageLog(p, 'Tania Tabs').getByText('Llegó en vivo 4721'), `the new message in tab ${i + 1}`);
      }
    });

    browserTest(test, 'a seller sees only the conversations assigned to her', async ({ page }) => {
      const anaId = await env.admin.userId('ana@demo.escala.test');
      const brunoId = await env.admin.userId('bruno@demo.escala.test');
      const hers = await whatsappCustomerWrites(env.assets.cloud.phone_number_id, uniquePhone(), 'Ángela de Ana', 'Hola Ana');
      const his = await whatsappCustomerWrites(env.assets.cloud.phone_number_id, uniquePhone(), 'Bruno Cliente', 'Hola Bruno');
      await env.admin.patch(`/api/v1/conversations/${hers.conversation.id}`, { assignee_id: anaId });
      await env.admin.patch(`/api/v1/conversations/${his.conversation.id}`, { assignee_id: brunoId });

      await login(page, 'ana');
      await visible(listRow(page, 'Ángela de Ana'), 'her conversation');
      await hidden(listRow(page, 'Bruno Cliente'), 'not Bruno’s');
      // The demo leaves the username customer unassigned.
      await hidden(listRow(page, '@carla.compras'), 'not an unassigned one');
      await page.goto(`/c/${his.conversation.id}`);
      await visible(
        page.getByRole('alert').filter({ hasText: 'Esta conversación no existe o no tienes acceso a ella.' }),
        'Bruno’s conversation is not found by its URL',
      );
    });
  });
