// Opening a conversation, its contact panel, and customer text shown as text (never as HTML).
import { describe, test } from 'node:test';
import {
  browserTest,
  env,
  login,
  messageLog,
  openConversation,
  screenshot,
  uniquePhone,
  whatsappCustomerWrites,
} from './harness.mjs';
import { assert, count, visible } from './expect.mjs';

export default () =>
  describe('conversation', () => {
    browserTest(test, 'clicking a conversation in the list shows its messages', async ({ page }) => {
      await login(page);
      await openConversation(page, 'María López');
      const log = messageLog(page, 'María López');
      await visible(log.getByText('¿tienen el modelo azul en talla M?', { exact: false }), 'her first message');
      await visible(log.getByText('Y también en verde, por favor'), 'her reply');
      await visible(page.getByRole('main', { name: 'María López' }), 'the conversation area is named after her');
      await visible(page.getByRole('textbox', { name: 'Escribe un mensaje…' }), 'the composer');
      await screenshot(page, 'conversation');
    });

    browserTest(test, 'the contact panel shows the open conversation’s customer', async ({ page }) => {
      await login(page);
      await openConversation(page, 'Luis Gómez');
      const panel = page.getByRole('complementary', { name: 'Contacto' });
      await visible(panel, 'the contact panel (complementary region "Contacto")');
      await visible(panel.getByText('Luis Gómez', { exact: false }), 'the customer’s name in the panel');
      await visible(panel.getByText('+54 9 11 5555 6666'), 'his WhatsApp number, readable');
      await screenshot(page, 'contact-panel');
    });

    browserTest(test, 'HTML in a customer message is shown as text and never run', async ({ page }) => {
      const payload = '<b>x</b><script>window.__x=1</script>';
      await whatsappCustomerWrites(env.assets.cloud.phone_number_id, uniquePhone(), 'Xavier Script', payload);
      await login(page);
      await openConversation(page, 'Xavier Script');
      const log = messageLog(page, 'Xavier Script');
      await visible(log.getByText(payload, { exact: true }), 'the message’s text, literally');
      await count(page.locator('b', { hasText: /^x$/ }), 0, 'no <b> element made from the message');
      await count(log.locator('script'), 0, 'no <script> element made from the message');
      assert.equal(await page.evaluate(() => window.__x), undefined, 'the script in the message never ran');
    });
  });
