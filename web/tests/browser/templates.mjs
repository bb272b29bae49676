// A closed WhatsApp window: the text box is disabled and a template is the way to write, on a Cloud
// API number and on a WhatsApp Business App (coexistence) number.
import { describe, test } from 'node:test';
import {
  browserTest,
  composer,
  conversationOf,
  env,
  login,
  openConversation,
  screenshot,
  sentFromPage,
  uniquePhone,
} from './harness.mjs';
import { disabled, hidden, visible } from './expect.mjs';

async function templateOnClosedWindow(page, number, name, shots = false) {
  const wa = uniquePhone();
  // The customer last wrote 30 hours ago: the 24 h window is closed.
  await env.sim.whatsappOldMessage(number, wa, name, 'Hola, ¿sigue la promoción?', 30);
  await conversationOf((c) => c.handle.wa_id === wa);
  await login(page);
  await openConversation(page, name);
  await disabled(composer(page), 'the text box is disabled outside the window');
  await visible(page.getByRole('status').filter({ hasText: 'La ventana de 24 h cerró' }), 'the banner says the window closed');
  const reason = 'Solo plantillas: la ventana de 24 h está cerrada.';
  const placeholder = await composer(page).getAttribute('placeholder');
  if (placeholder !== reason) throw new Error(`the text box should say why it is disabled, says ${placeholder}`);
  const described = await composer(page).evaluate((el) => document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent);
  if (described !== reason) throw new Error(`screen readers should hear why the text box is disabled, hear ${described}`);
  if (shots) await screenshot(page, 'closed-window');

  await page.getByRole('button', { name: 'Plantilla', exact: true }).click();
  const picker = page.getByRole('dialog', { name: 'Enviar plantilla' });
  await visible(picker, 'the template picker');
  await picker.getByRole('button', { name: /^bienvenida/ }).click();
  await picker.getByLabel(/^Parámetro/).fill(name.split(' ')[0]);
  await visible(picker.getByText(`¡Hola ${name.split(' ')[0]}! Gracias por escribirnos.`), 'the preview shows the rendered body');
  if (shots) await screenshot(page, 'template-picker');
  await picker.getByRole('button', { name: 'Enviar plantilla' }).click();
  const sent = await sentFromPage(page, wa, (m) => m.kind === 'template' && m.body.template?.name === 'bienvenida', {
    what: 'the "bienvenida" template',
  });
  await hidden(picker, 'the picker closes once the template is sent');
  if (sent.outcome.outcome !== 'delivered') throw new Error(`the template was not delivered: ${JSON.stringify(sent.outcome)}`);
  const params = sent.body.template.components?.find((c) => c.type === 'body')?.parameters ?? [];
  if (params[0]?.text !== name.split(' ')[0]) throw new Error(`unexpected body parameters: ${JSON.stringify(params)}`);
  await visible(page.getByText('Plantilla «bienvenida»'), 'the sent template shows in the conversation');
}

export default () =>
  describe('templates on a closed window', () => {
    browserTest(test, 'on a Cloud API number the text box is disabled and a template is delivered', async ({ page }) => {
      await templateOnClosedWindow(page, env.assets.cloud, 'Carmen Cerrada', true);
    });

    browserTest(test, 'on a Business App number the text box is disabled and a template is delivered', async ({ page }) => {
      await templateOnClosedWindow(page, env.assets.app, 'Beto Cerrado');
    });
  });
