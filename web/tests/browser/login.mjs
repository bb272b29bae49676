// Signing in.
import { describe, test } from 'node:test';
import { browserTest, conversationList, listRow, screenshot, USERS } from './harness.mjs';
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
  });
