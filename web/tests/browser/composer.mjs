// Writing to a customer: a personalised text, a reply to a message, a quick reply by typing `/`,
// and a file dropped on the conversation. Each checks what the Meta simulator received.
import { describe, test } from 'node:test';
import {
  browserTest,
  composer,
  env,
  login,
  messageLog,
  openConversation,
  sentFromPage,
  uniquePhone,
  whatsappCustomerWrites,
} from './harness.mjs';
import { assert, disabled, poll, visible } from './expect.mjs';

// A 1×1 PNG.
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export default () =>
  describe('composer', () => {
    browserTest(test, 'a text with a Personalizar field reaches the customer rendered', async ({ page }) => {
      const wa = uniquePhone();
      await whatsappCustomerWrites(env.assets.cloud.phone_number_id, wa, 'Paula Personal', 'Hola, ¿quién me atiende?');
      await login(page);
      await openConversation(page, 'Paula Personal');
      await composer(page).fill('Hola, te atiende ');
      await page.getByRole('button', { name: 'Personalizar' }).click();
      const menu = page.getByRole('dialog', { name: 'Insertar campo del CRM' });
      await menu.getByRole('button', { name: /^Tu nombre/ }).click();
      await poll(async () => (await composer(page).inputValue()) === 'Hola, te atiende {{agent.name}}', {
        message: 'the field is inserted at the cursor as {{agent.name}}',
      });
      await page.getByRole('button', { name: 'Enviar', exact: true }).click();
      const sent = await sentFromPage(page, wa, (m) => m.kind === 'text', { what: 'the personalised text' });
      assert.equal(sent.body.text.body, 'Hola, te atiende Admin Demo', 'the simulator received the rendered text');
      await poll(async () => (await composer(page).inputValue()) === '', { message: 'the composer is emptied' });
    });

    browserTest(test, 'Responder sends the text as a reply to that message', async ({ page }) => {
      const wa = uniquePhone();
      const question = '¿Tienen envío gratis?';
      const { wamid } = await whatsappCustomerWrites(env.assets.cloud.phone_number_id, wa, 'Ramón Respuesta', question);
      await login(page);
      await openConversation(page, 'Ramón Respuesta');
      const log = messageLog(page, 'Ramón Respuesta');
      await log.getByRole('article').filter({ hasText: question }).hover();
      await log.getByRole('button', { name: 'Responder' }).click();
      await visible(page.getByText(`Respondiendo a: ${question}`), 'the composer shows what is being answered');
      await composer(page).fill('Sí, en compras desde $500');
      await page.getByRole('button', { name: 'Enviar', exact: true }).click();
      const sent = await sentFromPage(page, wa, (m) => m.kind === 'text', { what: 'the reply' });
      assert.equal(sent.body.text.body, 'Sí, en compras desde $500');
      assert.equal(sent.body.context?.message_id, wamid, 'the send carries the reply context (the customer’s wamid)');
    });

    browserTest(test, 'typing / offers the quick replies and picking one sends it', async ({ page }) => {
      await env.admin.post('/api/v1/quick_replies', {
        shortcut: 'envio',
        title: 'Tiempo de envío',
        text: 'El envío tarda 2 días hábiles.',
      });
      const wa = uniquePhone();
      await whatsappCustomerWrites(env.assets.cloud.phone_number_id, wa, 'Queta Rápida', '¿Cuánto tarda el envío?');
      await login(page);
      await openConversation(page, 'Queta Rápida');
      await composer(page).pressSequentially('/envi');
      const menu = page.getByRole('dialog', { name: 'Respuestas rápidas' });
      await menu.getByRole('button', { name: /\/envio/ }).click();
      const sent = await sentFromPage(page, wa, (m) => m.kind === 'text', { what: 'the quick reply' });
      assert.equal(sent.body.text.body, 'El envío tarda 2 días hábiles.');
    });

    browserTest(test, 'a file dropped on the conversation is sent as an attachment', async ({ page }) => {
      const wa = uniquePhone();
      await whatsappCustomerWrites(env.assets.cloud.phone_number_id, wa, 'Diana Arrastre', '¿Me mandas la foto?');
      await login(page);
      await openConversation(page, 'Diana Arrastre');
      const mark = (await env.sim.requests()).length;
      const dataTransfer = await page.evaluateHandle((b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'foto.png', { type: 'image/png' }));
        return dt;
      }, PNG_BASE64);
      const target = messageLog(page, 'Diana Arrastre');
      for (const type of ['dragenter', 'dragover', 'drop']) await target.dispatchEvent(type, { dataTransfer });
      await visible(page.getByRole('button', { name: 'Quitar foto.png' }), 'the dropped file waits in the composer');
      const send = page.getByRole('button', { name: 'Enviar', exact: true });
      await disabled(send, 'Enviar once the file is uploaded', { enabled: true });
      await send.click();
      const sent = await sentFromPage(page, wa, (m) => m.kind === 'image', { what: 'the dropped image' });
      assert.ok(sent.body.image?.id || sent.body.image?.link, 'the image is sent by media id or link');
      const upload = (await env.sim.requests())
        .slice(mark)
        .find((r) => r.path.endsWith('/media') && r.body.kind === 'multipart');
      assert.ok(upload, 'the file was uploaded to the number’s /media');
      const file = upload.body.value.find((p) => p.name === 'file');
      assert.match(file?.content_type ?? '', /^image\/png/, 'uploaded as image/png');
    });
  });
