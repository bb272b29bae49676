// The Meta simulator's control API (crates/simulator/src/control.rs): customers write, and the
// tests read what the simulator received from the inbox (sent messages, uploads).
import { poll } from './expect.mjs';

export class Sim {
  constructor(base) {
    this.base = base;
  }

  async call(method, path, body) {
    const r = await fetch(`${this.base}/_sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`simulator ${method} /_sim${path}: HTTP ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** `GET /_sim`: ids and tokens of the simulated numbers, Page and Instagram account. */
  assets() {
    return this.call('GET', '');
  }

  /** Checks the inbox accepted a webhook (the simulator answers with the receiver's status). */
  static accepted(answer) {
    if (answer.status !== 200) throw new Error(`the inbox answered the webhook with ${answer.status}`);
    return answer;
  }

  /** A WhatsApp customer writes: `action` is `{text}` or `{type, …}` (see control.rs), `name` the profile name. */
  async whatsappWrites(phoneNumberId, waId, action) {
    return Sim.accepted(await this.call('POST', `/whatsapp/${phoneNumberId}/customers/${waId}/messages`, action));
  }

  /** The business writes from the WhatsApp Business App phone (coexistence echo). */
  async whatsappEcho(phoneNumberId, waId, action) {
    return Sim.accepted(await this.call('POST', `/whatsapp/${phoneNumberId}/customers/${waId}/echoes`, action));
  }

  async messengerWrites(pageId, psid, action) {
    return Sim.accepted(await this.call('POST', `/messenger/${pageId}/customers/${psid}/messages`, action));
  }

  async instagramWrites(igId, igsid, action) {
    return Sim.accepted(await this.call('POST', `/instagram/${igId}/customers/${igsid}/messages`, action));
  }

  /** Signs and POSTs a webhook payload as is (e.g. a message with an old timestamp). */
  async rawWebhook(payload) {
    return Sim.accepted(await this.call('POST', '/webhooks', payload));
  }

  /** Messages the inbox sent through the Graph API, with their fate (`outcome`). */
  sent() {
    return this.call('GET', '/sent');
  }

  /** Every Graph API request the inbox made (uploads included). */
  requests() {
    return this.call('GET', '/requests');
  }

  /** Waits for the inbox to send messages to `recipient` matching `pred`; resolves with the first. */
  async waitForSent(recipient, pred = () => true, { timeout = 15_000, message } = {}) {
    return poll(
      async () => (await this.sent()).find((m) => m.recipient === recipient && pred(m)),
      { timeout, message: message ?? `the simulator received no matching message for ${recipient}` },
    );
  }

  /** Everything sent to `recipient` so far. */
  async sentTo(recipient) {
    return (await this.sent()).filter((m) => m.recipient === recipient);
  }

  /** The multipart upload request (WhatsApp `/media` or Messenger/Instagram attachments) matching `pred`. */
  async waitForUpload(pred, { timeout = 15_000, message } = {}) {
    return poll(
      async () =>
        (await this.requests()).find(
          (r) => r.method === 'POST' && r.body.kind === 'multipart' && pred(r, r.body.value),
        ),
      { timeout, message: message ?? 'the simulator received no matching upload' },
    );
  }

  /**
   * A WhatsApp customer's message stamped `hoursAgo` in the past, signed and delivered as Meta would
   * (the customer service window is counted from the message's timestamp).
   */
  async whatsappOldMessage(number, waId, name, text, hoursAgo) {
    const timestamp = String(Math.floor(Date.now() / 1000) - hoursAgo * 3600);
    const id = `wamid.test${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    await this.rawWebhook({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: number.waba_id,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: number.display_phone_number, phone_number_id: number.phone_number_id },
                contacts: [{ profile: { name }, wa_id: waId }],
                messages: [{ from: waId, id, timestamp, type: 'text', text: { body: text } }],
              },
            },
          ],
        },
      ],
    });
    return id;
  }
}
