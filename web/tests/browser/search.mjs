// The search box: by name, by phone in another format, by WhatsApp username.
import { describe, test } from 'node:test';
import { browserTest, login, messageLog } from './harness.mjs';
import { hidden, visible } from './expect.mjs';

function results(page) {
  return page.getByRole('region', { name: 'Buscar por nombre o número' });
}

async function search(page, q) {
  await page.getByLabel('Buscar por nombre o número').fill(q);
}

export default () =>
  describe('search', () => {
    browserTest(test, 'a name finds its conversation, and the result opens it', async ({ page }) => {
      await login(page);
      await search(page, 'maría');
      await visible(results(page).getByRole('button', { name: /María López/ }), 'María by a lower-case name');
      await hidden(results(page).getByRole('button', { name: /Pedro Ruiz/ }), 'only matching conversations');
      await results(page).getByRole('button', { name: /María López/ }).first().click();
      await visible(messageLog(page, 'María López'), 'the result opens the conversation');
    });

    browserTest(test, 'a phone number typed in another format finds the conversation', async ({ page }) => {
      // María writes from 5215512345678 (wa_id); the seller types the national number.
      await login(page);
      await search(page, '(55) 1234-5678');
      await visible(results(page).getByRole('button', { name: /María López/ }), 'María by her national number');
      await hidden(results(page).getByRole('button', { name: /Luis Gómez/ }), 'only that number');
    });

    browserTest(test, 'a WhatsApp username finds the customer who has no phone', async ({ page }) => {
      await login(page);
      await search(page, 'carla.compras');
      await visible(results(page).getByRole('button', { name: /carla\.compras/ }), 'the username customer');
      await hidden(results(page).getByRole('button', { name: /María López/ }), 'only that customer');
    });
  });
