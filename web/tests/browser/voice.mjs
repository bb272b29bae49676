// Voice notes recorded with Chromium's fake microphone: an Ogg/Opus voice note on WhatsApp, a WAV on
// Instagram, and "Plantilla" while recording cancels the recording.
import { describe, test } from 'node:test';
import {
  browserTest,
  composer,
  env,
  instagramCustomerWrites,
  login,
  openById,
  openConversation,
  sentFromPage,
  uniquePhone,
  uniqueScopedId,
  whatsappCustomerWrites,
} from './harness.mjs';
import { assert, hidden, poll, visible } from './expect.mjs';

/** Starts recording and waits until at least a second of audio is in. */
async function record(page) {
  await page.getByRole('button', { name: 'Micrófono' }).click();
  const recorder = page.getByRole('group', { name: 'Grabando audio' });
  await visible(recorder, 'the recorder shows while recording');
  const timer = recorder.getByRole('timer');
  await poll(async () => /^\d+:\d\d$/.test(await timer.innerText()) && (await timer.innerText()) !== '0:00', {
    message: 'the recording timer never passed 0:00',
  });
  return recorder;
}

export default () =>
  describe('voice notes', () => {
    browserTest(test, 'a recorded voice note reaches WhatsApp as an Ogg/Opus voice message', async ({ page }) => {
      const wa = uniquePhone();
      await whatsappCustomerWrites(env.assets.cloud.phone_number_id, wa, 'Vero Voz', 'Mándame un audio');
      await login(page);
      await openConversation(page, 'Vero Voz');
      const mark = (await env.sim.requests()).length;
      const recorder = await record(page);
      await recorder.getByRole('button', { name: 'Enviar audio' }).click();
      await hidden(recorder, 'the recorder closes once sent');
      const sent = await sentFromPage(page, wa, (m) => m.kind === 'audio', { what: 'the voice note' });
      // The simulator refuses (131053) a `voice: true` audio whose media is not Ogg/Opus, as Meta does.
      assert.equal(sent.body.audio?.voice, true, 'sent with voice: true');
      assert.equal(sent.outcome.outcome, 'delivered', 'the simulator accepted the voice note');
      const upload = (await env.sim.requests())
        .slice(mark)
        .find((r) => r.path.endsWith('/media') && r.body.kind === 'multipart');
      assert.ok(upload, 'the audio was uploaded to the number’s /media');
      const file = upload.body.value.find((p) => p.name === 'file');
      assert.match(file?.content_type ?? '', /^audio\/ogg/, 'uploaded as audio/ogg');
      const type = upload.body.value.find((p) => p.name === 'type');
      if (type?.text) assert.match(type.text, /^audio\/ogg/, 'declared as audio/ogg');
    });

    browserTest(test, 'a recorded voice note to Instagram is accepted as WAV', async ({ page }) => {
      const igsid = uniqueScopedId();
      const conversation = await instagramCustomerWrites(igsid, 'vale.ig', '¿Me mandas un audio?');
      await openById(page, conversation.id);
      const mark = (await env.sim.requests()).length;
      const recorder = await record(page);
      await recorder.getByRole('button', { name: 'Enviar audio' }).click();
      await hidden(recorder, 'the recorder closes once sent');
      const sent = await sentFromPage(page, igsid, (m) => m.kind === 'attachment', { what: 'the voice note' });
      assert.equal(sent.body.message?.attachment?.type, 'audio', 'sent as an audio attachment');
      assert.equal(sent.outcome.outcome, 'delivered', 'Instagram (the simulator) accepted it');
      const upload = (await env.sim.requests())
        .slice(mark)
        .find((r) => r.path.endsWith('/message_attachments') && r.body.kind === 'multipart');
      assert.ok(upload, 'the audio was uploaded as an attachment');
      const file = upload.body.value.find((p) => p.name === 'filedata');
      assert.match(file?.content_type ?? '', /^audio\/(x-)?wav/, 'uploaded as WAV');
    });

    browserTest(test, 'clicking Plantilla while recording cancels the recording', async ({ page }) => {
      const wa = uniquePhone();
      await whatsappCustomerWrites(env.assets.cloud.phone_number_id, wa, 'Ceci Cancela', 'Hola');
      await login(page);
      await openConversation(page, 'Ceci Cancela');
      const recorder = await record(page);
      await page.getByRole('button', { name: 'Plantilla', exact: true }).click();
      await hidden(recorder, 'the recording is gone');
      const picker = page.getByRole('dialog', { name: 'Enviar plantilla' });
      await visible(picker, 'the template picker opens');
      await picker.getByRole('button', { name: 'Cerrar' }).click();
      await hidden(picker);
      // Nothing was sent for the recording: a text sent afterwards is the first thing to arrive.
      await composer(page).fill('Te escribo en lugar del audio');
      await page.getByRole('button', { name: 'Enviar', exact: true }).click();
      await sentFromPage(page, wa, (m) => m.kind === 'text', { what: 'the text' });
      const kinds = (await env.sim.sentTo(wa)).map((m) => m.kind);
      assert.deepEqual(kinds, ['text'], 'no audio reached the simulator');
    });
  });
