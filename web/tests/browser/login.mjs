// Signing in.
import { describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { browserTest, conversationList, env, listRow, screenshot, USERS } from './harness.mjs';
import { hidden, visible } from './expect.mjs';

export default () =>
  describe('login', () => {
    browserTest(test, 'a wrong password shows an error and keeps the login form', async ({ page }) => {
      await page.goto('/');
      await visible(page.getByRole('heading', { name: 'Inicia sesión' }));
      await page.getByLabel('Correo electrónico').fill(USERS.admin.email);
      await page.getByLabel('Contraseña').fill('not-the-password');
      await page.getByRole('button', { name: 'Entrar' }).click();
      await visible(page.getByRole('alert').filter({ hasText: 'Correo o contraseña incorrectos.' }));
      await visible(page.getByLabel('Contraseña'), 'the form stays');
      await hidden(conversationList(page), 'no conversation list without a session');
    });

    browserTest(test, 'the right password shows the conversation list', async ({ page }) => {
      await page.goto('/');
      await page.getByLabel('Correo electrónico').fill(USERS.admin.email);
      await page.getByLabel('Contraseña').fill(USERS.admin.password);
      await page.getByRole('button', { name: 'Entrar' }).click();
      await visible(conversationList(page));
      await visible(listRow(page, 'María López'), 'a seeded conversation is listed');
      await hidden(page.getByRole('button', { name: 'Entrar' }), 'the login form is gone');
      await screenshot(page, 'conversation-list');
    });

    browserTest(test, 'an account without the WhatsApp add-on sees the upsell, not the inbox', async ({ page }) => {
      // Created with the CLI in the demo's own data directory: Pro, but no WhatsApp add-on.
      const email = `pro-${Date.now()}@upsell.test`;
      await promisify(execFile)(
        env.bin,
        ['account', 'create', '--name', 'Sin add-on', '--plan', 'pro', '--admin-email', email, '--admin-password', 'a-long-password'],
        { env: { ...process.env, INBOX_DATA_DIR: env.dataDir, INBOX_LOG: 'warn' } },
      );
      await page.goto('/');
      await page.getByLabel('Correo electrónico').fill(email);
      await page.getByLabel('Contraseña').fill('a-long-password');
      await page.getByRole('button', { name: 'Entrar' }).click();
      await visible(page.getByRole('heading', { name: 'La bandeja omnicanal no está incluida en tu plan' }));
      await visible(page.getByText('Falta: Add-on WhatsApp'), 'names what is missing');
      await hidden(page.getByText('Falta: Plan Pro'), 'the plan itself is there');
      const advisor = page.getByRole('link', { name: 'Hablar con un asesor' });
      await visible(advisor);
      if (!(await advisor.getAttribute('href'))?.startsWith('https://')) throw new Error('the advisor link has no URL');
      await hidden(conversationList(page), 'no inbox without the add-on');
    });
  });
