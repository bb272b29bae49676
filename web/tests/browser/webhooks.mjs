// Outgoing webhooks: an administrator points a webhook at a receiver this test runs on 127.0.0.1 (the
// suite's server allows private URLs: INBOX_WEBHOOK_ALLOW_PRIVATE in harness.mjs), keeps the secret
// shown once, sends a test and sees it delivered in the log — and the receiver checks the signature.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import { browserTest, login, screenshot } from './harness.mjs';
import { hidden, poll, visible } from './expect.mjs';

/** A receiver on a free loopback port: records each POST (headers and exact body), answers 200. */
async function startReceiver() {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/hook`;
  return { url, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

export default () =>
  describe('outgoing webhooks', () => {
    browserTest(test, 'an admin creates a webhook, sends a test and sees it delivered', async ({ page }) => {
      const receiver = await startReceiver();
      try {
        await login(page);
        await page.getByRole('link', { name: 'Configuración' }).click();
        await page.getByRole('navigation', { name: 'Configuración' }).getByRole('link', { name: 'Webhooks' }).click();
        await visible(page.getByRole('heading', { name: 'Webhooks', level: 2 }));

        await page.getByRole('button', { name: 'Nuevo webhook' }).click();
        await page.getByLabel('URL').fill(receiver.url);
        await page.getByRole('checkbox', { name: /Contacto creado/ }).check();
        await page.getByRole('button', { name: 'Crear webhook' }).click();

        // The secret is shown once, to copy.
        const shown = page.getByRole('status').filter({ hasText: 'Secreto de firma' });
        await visible(shown);
        const secret = (await shown.locator('code').textContent()).trim();
        assert.match(secret, /^whsec_[0-9a-f]{64}$/);
        await visible(shown.getByRole('button', { name: 'Copiar Secreto de firma' }));
        await screenshot(page, 'settings-webhooks');
        await page.getByRole('button', { name: 'Listo, ya lo guardé' }).click();
        await hidden(page.getByText(secret), 'the secret is not shown again');

        const row = page.getByRole('row').filter({ hasText: receiver.url });
        await visible(row.getByText('Contacto creado'));
        await visible(row.getByRole('checkbox', { name: `${receiver.url} activo` }));
        await row.getByRole('button', { name: `Enviar prueba a ${receiver.url}` }).click();
        await visible(row.getByRole('status').filter({ hasText: 'Prueba enviada' }));

        // The receiver got a signed ping…
        const ping = await poll(() => receiver.received.find((r) => r.headers['x-inbox-event'] === 'ping'), {
          message: 'the receiver got no ping',
        });
        const expected = 'sha256=' + createHmac('sha256', secret).update(ping.body).digest('hex');
        assert.equal(ping.headers['x-inbox-signature-256'], expected, 'signed with the secret shown');
        const body = JSON.parse(ping.body.toString('utf8'));
        assert.equal(body.type, 'ping');
        assert.equal(ping.headers['x-inbox-delivery'], body.id);

        // …and the log, which opened beside it, shows it delivered on the first attempt.
        const log = page.getByRole('region', { name: `Registro de entregas de ${receiver.url}` });
        const entry = log.locator(`tr[data-delivery="${body.id}"]`);
        await visible(entry.getByText('Entregado'), 'the log shows the test delivered');
        await visible(entry.getByText('HTTP 200'));

        await row.getByRole('button', { name: `Eliminar ${receiver.url}` }).click();
        await row.getByRole('button', { name: 'Sí, eliminar con su registro' }).click();
        await hidden(page.getByRole('row').filter({ hasText: receiver.url }), 'deleted');
      } finally {
        await receiver.close();
      }
    });
  });
