// The settings screens: an administrator connects a channel, creates a role scoped to one channel and
// a user with it, who then sees only that channel's conversations.
import { describe, test } from 'node:test';
import { browserTest, conversationList, env, listRow, login, screenshot, uniqueScopedId } from './harness.mjs';
import { hidden, poll, visible } from './expect.mjs';

// A page the simulator knows (and the demo leaves unconnected), with its page token.
const SPARE_PAGE_ID = '110200345678902';
const SPARE_PAGE_TOKEN = 'EAAsim-spare-page-token';

async function openSettings(page, section) {
  await page.getByRole('link', { name: 'Configuración' }).click();
  await page.getByRole('navigation', { name: 'Configuración' }).getByRole('link', { name: section }).click();
  await visible(page.getByRole('heading', { name: section, level: 2 }));
}

async function seededName(kind) {
  const list = await env.admin.get(`/api/v1/conversations?status=all&channel=${kind}&limit=100`);
  const first = list.items.at(-1);
  if (!first) throw new Error(`no seeded ${kind} conversation`);
  return first.handle.profile_name ?? first.handle.external_id;
}

export default () =>
  describe('settings', () => {
    browserTest(test, 'an admin connects a Messenger page and its customers reach the inbox', async ({ page }) => {
      await login(page);
      await openSettings(page, 'Canales');
      // What to paste into Meta's app dashboard.
      await visible(page.getByText(/\/webhooks\/meta$/), 'the callback URL is shown');
      await visible(page.getByRole('button', { name: 'Copiar Token de verificación' }));

      await page.getByRole('button', { name: 'Conectar canal' }).click();
      await page.getByRole('radio', { name: 'Messenger' }).check();
      await page.getByLabel('Nombre').fill('Sucursal Norte');
      await page.getByLabel('ID de la página').fill(SPARE_PAGE_ID);
      // A token that does not control the page is refused by Meta's check, and nothing is connected.
      await page.getByLabel('Token de acceso de la página').fill('EAAsim-not-this-page');
      await page.getByRole('button', { name: 'Verificar y conectar' }).click();
      await visible(page.getByRole('alert').filter({ hasText: 'Meta no confirmó que este token controle' }));
      await hidden(page.getByRole('row').filter({ hasText: 'Sucursal Norte' }), 'nothing connected');

      await page.getByLabel('Token de acceso de la página').fill(SPARE_PAGE_TOKEN);
      await screenshot(page, 'settings-channels');
      await page.getByRole('button', { name: 'Verificar y conectar' }).click();
      await visible(page.getByRole('status').filter({ hasText: 'Canal «Sucursal Norte» conectado.' }));
      const row = page.getByRole('row').filter({ hasText: 'Sucursal Norte' });
      await visible(row, 'listed with the others');
      await row.getByRole('button', { name: 'Probar conexión de Sucursal Norte' }).click();
      await visible(row.getByRole('status').filter({ hasText: 'Conexión correcta' }), 'Meta confirms the stored token');

      // Connected for real: a customer of that page now lands in the inbox.
      const psid = uniqueScopedId();
      await env.sim.messengerWrites(SPARE_PAGE_ID, psid, { text: 'Hola desde la sucursal norte' });
      await page.getByRole('link', { name: /Volver a la bandeja/ }).click();
      await visible(conversationList(page));
      await visible(conversationList(page).getByText('Hola desde la sucursal norte'), 'the new page’s conversation is listed');
    });

    browserTest(
      test,
      'a role scoped to one channel: the user created with it sees only that channel',
      async ({ page, context }) => {
        const INSTAGRAM = await seededName('instagram');
        const MESSENGER = await seededName('messenger');
        await login(page);
        await openSettings(page, 'Roles');
        await page.getByRole('button', { name: 'Nuevo rol' }).click();
        const roleName = `Solo Instagram ${Date.now() % 100000}`;
        await page.getByLabel('Rol', { exact: true }).fill(roleName);
        await page.getByRole('radio', { name: 'Todas las de estos canales' }).check();
        await page.getByRole('group', { name: 'Todas las de estos canales' }).getByRole('checkbox', { name: /Instagram @escala/ }).check();
        await screenshot(page, 'settings-roles');
        await page.getByRole('button', { name: 'Crear rol' }).click();
        await visible(page.getByRole('row').filter({ hasText: roleName }).filter({ hasText: 'Conversaciones de Instagram @escala' }));

        await page.getByRole('navigation', { name: 'Configuración' }).getByRole('link', { name: 'Usuarios' }).click();
        await page.getByRole('button', { name: 'Nuevo usuario' }).click();
        const email = `ig-${Date.now()}@demo.escala.test`;
        await page.getByLabel('Nombre').fill('Irene Instagram');
        await page.getByLabel('Correo electrónico').fill(email);
        await page.getByLabel('Contraseña inicial').fill('irene-password');
        await page.getByRole('form', { name: 'Nuevo usuario' }).getByRole('combobox').selectOption({ label: roleName });
        await page.getByRole('button', { name: 'Crear usuario' }).click();
        const row = page.getByRole('row').filter({ hasText: email });
        await visible(row, 'the new user is listed');
        await poll(async () => (await row.getByRole('combobox').inputValue()) !== 'seller', { message: 'the user has the new role' });

        // The new user, in their own browser session.
        const other = await context.browser().newContext({ baseURL: env.url, locale: 'es-MX' });
        try {
          const p = await other.newPage();
          await p.goto('/');
          await p.getByLabel('Correo electrónico').fill(email);
          await p.getByLabel('Contraseña').fill('irene-password');
          await p.getByRole('button', { name: 'Entrar' }).click();
          await visible(conversationList(p));
          await visible(listRow(p, INSTAGRAM), 'the Instagram conversation is there');
          for (const name of ['María López', 'Pedro Ruiz', MESSENGER]) await hidden(listRow(p, name), 'nothing of other channels');
          await hidden(p.getByRole('link', { name: 'Configuración' }), 'no settings for this role');
        } finally {
          await other.close();
        }
      },
      { timeout: 90_000 },
    );

    browserTest(test, 'a seller has no settings, and /settings sends nobody past their role', async ({ page }) => {
      await login(page, 'ana');
      await hidden(page.getByRole('link', { name: 'Configuración' }));
      await page.goto('/settings/channels');
      await visible(page.getByText('Tu rol no tiene opciones de configuración.'));
    });

    browserTest(test, 'the activity log filters by action and exports the same selection', async ({ page }) => {
      await env.admin.post('/api/v1/users', {
        name: 'Auditada',
        email: `audit-${Date.now()}@demo.escala.test`,
        password: 'a-long-password',
        role: 'seller',
      });
      await login(page);
      await openSettings(page, 'Registro de actividad');
      await page.getByLabel('Acción').selectOption({ label: 'Usuarios' });
      await page.getByRole('button', { name: 'Filtrar' }).click();
      const rows = page.getByRole('row').filter({ hasText: /Creó un usuario|Cambió un usuario/ });
      await poll(async () => (await rows.count()) > 0, { message: 'user actions are listed' });
      await hidden(page.getByRole('row').filter({ hasText: 'Conectó un canal' }), 'only user actions');
      const href = await page.getByRole('link', { name: 'Exportar CSV' }).getAttribute('href');
      if (!href?.includes('action=user')) throw new Error(`the export does not carry the filter: ${href}`);
      await screenshot(page, 'settings-audit');
    });
  });
