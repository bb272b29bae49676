// The browser suite's harness: one `inbox demo` server (fresh data directory, a free port) and one
// Chromium (Debian's, never a downloaded one) for the whole run, a fresh browser context per test,
// and helpers to log in, make simulated customers write and read what the Meta simulator received.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Api } from './api.mjs';
import { Sim } from './sim.mjs';
import { poll } from './expect.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const webDir = path.resolve(here, '../..');
export const repoDir = path.resolve(webDir, '..');

export const PASSWORD = 'demo-password';
export const USERS = {
  admin: { email: 'admin@demo.escala.test', password: PASSWORD, name: 'Admin Demo' },
  ana: { email: 'ana@demo.escala.test', password: PASSWORD, name: 'Ana Vendedora' },
  bruno: { email: 'bruno@demo.escala.test', password: PASSWORD, name: 'Bruno Vendedor' },
};

/** How long an action or an awaited condition may take before the test fails. */
export const TIMEOUT = 10_000;
/** Screenshots of the main screens go here when SCREENSHOTS=1. */
export const screenshotDir = path.join(repoDir, 'docs/screenshots');
/**
 * This run's directory for the server's log and the screenshots of failing tests (printed with each
 * failure); removed at the end when every test passed.
 */
let artifactDir = '';
let failures = 0;

/** Everything a test needs; filled by `startSuite`. */
export const env = {
  /** The inbox's base URL, e.g. http://127.0.0.1:41234 */
  url: '',
  /** The demo's data directory and the `inbox` binary (to run CLI commands against it). */
  dataDir: '',
  bin: '',
  /** The Meta simulator. */
  sim: /** @type {Sim} */ (null),
  /** The API as the demo admin (for setting up state, never for asserting what the UI shows). */
  admin: /** @type {Api} */ (null),
  browser: /** @type {import('playwright-core').Browser} */ (null),
  /** The simulator's assets: WhatsApp numbers (Cloud API and Business App), the Page, Instagram. */
  assets: {
    cloud: /** @type {{phone_number_id: string, display_phone_number: string, waba_id: string}} */ (null),
    app: /** @type {{phone_number_id: string, display_phone_number: string, waba_id: string}} */ (null),
    pageId: '',
    igId: '',
  },
  serverLog: '',
};

let server = null;
let dataDir = null;
let launching = null;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts `inbox demo` and resolves with its URL and the simulator's once it printed both. */
async function startServer() {
  const bin = process.env.INBOX_BIN ?? path.join(repoDir, 'target/debug/inbox');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'inbox-browser-data-'));
  env.dataDir = dataDir;
  env.bin = bin;
  artifactDir = await mkdtemp(path.join(os.tmpdir(), 'inbox-browser-tests-'));
  env.serverLog = path.join(artifactDir, 'server.log');
  const log = createWriteStream(env.serverLog);
  const port = await freePort();
  // Outgoing webhooks may reach the receivers the tests run on 127.0.0.1 (webhooks.mjs).
  const childEnv = {
    ...process.env,
    INBOX_DATA_DIR: dataDir,
    INBOX_LOG: process.env.INBOX_LOG ?? 'warn',
    INBOX_WEBHOOK_ALLOW_PRIVATE: '1',
  };
  for (const k of ['INBOX_DATABASE_URL', 'INBOX_LISTEN', 'INBOX_PUBLIC_URL', 'INBOX_GRAPH_API_BASE', 'INBOX_SECRET_KEY']) {
    delete childEnv[k];
  }
  server = spawn(bin, ['demo', '--listen', `127.0.0.1:${port}`], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr.pipe(log);
  return new Promise((resolve, reject) => {
    let out = '';
    let urls = null;
    const timer = setTimeout(() => reject(new Error(`inbox demo printed no URLs in 60 s; see ${env.serverLog}`)), 60_000);
    server.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${bin}: ${e.message} (build it with \`cargo build -p inbox\`)`));
    });
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!urls) reject(new Error(`inbox demo exited (${code ?? signal}) before it was ready; see ${env.serverLog}`));
    });
    server.stdout.on('data', (chunk) => {
      log.write(chunk);
      if (urls) return;
      out += chunk.toString();
      const app = out.match(/demo running at (http:\/\/\S+)/);
      const sim = out.match(/Meta simulator: (http:\/\/[^\s(]+)/);
      if (app && sim) {
        urls = { url: app[1].replace(/\/$/, ''), sim: sim[1].replace(/\/$/, '') };
        clearTimeout(timer);
        resolve(urls);
      }
    });
  });
}

/** Waits until the conversations `inbox demo` seeds on its first run are all in. */
async function seeded(admin) {
  await poll(
    async () => {
      const page = await admin.get('/api/v1/conversations?status=all&limit=100');
      const kinds = page.items.map((c) => c.channel.kind);
      const ig = page.items.find((c) => c.channel.kind === 'instagram');
      return (
        page.items.length >= 6 &&
        ['whatsapp_cloud', 'whatsapp_business_app', 'messenger', 'instagram'].every((k) => kinds.includes(k)) &&
        ig?.last_message?.kind !== undefined &&
        ig.last_message.kind !== 'text'
      );
    },
    { timeout: 60_000, message: 'the demo conversations were not seeded' },
  );
}

export async function startSuite() {
  try {
    await start();
  } catch (e) {
    failures += 1; // keep the server's log
    throw e;
  }
}

async function start() {
  const started = Date.now();
  launching = chromium
    .launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    })
    .then((browser) => (env.browser = browser));
  const [{ url, sim }] = await Promise.all([startServer(), launching]);
  env.url = url;
  env.sim = new Sim(sim);
  await poll(
    async () => {
      const r = await fetch(`${url}/readyz`).catch(() => null);
      return r?.ok === true;
    },
    { timeout: 30_000, message: `${url}/readyz never answered 200` },
  );
  env.admin = await Api.login(url, USERS.admin);
  const assets = await env.sim.assets();
  const cloud = assets.whatsapp_numbers.find((n) => !n.coexistence);
  const app = assets.whatsapp_numbers.find((n) => n.coexistence);
  env.assets = { cloud, app, pageId: assets.pages[0].page_id, igId: assets.instagram_accounts[0].ig_id };
  await seeded(env.admin);
  if (process.env.SCREENSHOTS === '1') await mkdir(screenshotDir, { recursive: true });
  process.stderr.write(`# inbox demo at ${url}, simulator at ${sim}, ready in ${Date.now() - started} ms\n`);
}

export async function stopSuite() {
  await launching?.catch(() => {});
  await env.browser?.close().catch(() => {});
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  if (artifactDir && failures === 0) await rm(artifactDir, { recursive: true, force: true });
}

// A crash of the test process must not leave the server running.
process.on('exit', () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
});

/** A fresh browser context (own cookies and storage) and one page in it. */
export async function newContext() {
  const context = await env.browser.newContext({
    baseURL: env.url,
    viewport: { width: 1280, height: 800 },
    locale: 'es-MX',
    timezoneId: 'America/Mexico_City',
  });
  await context.grantPermissions(['microphone'], { origin: env.url });
  context.setDefaultTimeout(TIMEOUT);
  const errors = [];
  context.on('weberror', (e) => errors.push(String(e.error())));
  // API calls the server refused (a signed-out `/me` is expected and left out).
  const refused = [];
  context.on('response', (r) => {
    const url = new URL(r.url());
    if (r.status() >= 400 && url.pathname.startsWith('/api/') && !(r.status() === 401 && url.pathname === '/api/v1/me')) {
      refused.push(r);
    }
  });
  const page = await context.newPage();
  return { context, page, errors, refused };
}

function slug(name) {
  return name
    .normalize('NFD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .toLowerCase()
    .slice(0, 80);
}

/**
 * A test with its own browser context, closed afterwards. On failure the page's screenshot is kept
 * and uncaught page errors are added to the failure message.
 */
export function browserTest(test, name, fn, { timeout = 60_000 } = {}) {
  test(name, { timeout }, async (t) => {
    const { context, page, errors, refused } = await newContext();
    try {
      await fn({ t, context, page });
    } catch (e) {
      failures += 1;
      const pages = context.pages();
      const alerts = [];
      for (const [i, p] of pages.entries()) {
        const file = path.join(artifactDir, `${slug(name)}${pages.length > 1 ? `-${i + 1}` : ''}.png`);
        await p.screenshot({ path: file, fullPage: true, timeout: 5_000 }).catch(() => {});
        t.diagnostic(`screenshot: ${file}`);
        const shown = await p
          .getByRole('alert')
          .filter({ visible: true })
          .allInnerTexts()
          .catch(() => []);
        alerts.push(...shown.map((a) => a.trim()).filter(Boolean));
      }
      if (alerts.length && e instanceof Error) e.message += `\nalerts shown on the page: "${alerts.join('" | "')}"`;
      if (errors.length && e instanceof Error) e.message += `\nerrors in the page:\n  ${errors.join('\n  ')}`;
      if (refused.length && e instanceof Error) {
        const lines = await Promise.all(
          refused.map(async (r) => {
            const url = new URL(r.url());
            const body = (await r.text().catch(() => '')).slice(0, 300);
            return `${r.request().method()} ${url.pathname}${url.search} → ${r.status()} ${body}`;
          }),
        );
        e.message += `\nAPI calls the server refused:\n  ${lines.join('\n  ')}`;
      }
      t.diagnostic(`server log: ${env.serverLog}`);
      throw e;
    } finally {
      await context.close().catch(() => {});
    }
  });
}

/** Opens the app and signs in through the login form; resolves once the conversation list shows. */
export async function login(page, who = 'admin') {
  const user = USERS[who];
  await page.goto('/');
  await page.getByLabel('Correo electrónico').fill(user.email);
  await page.getByLabel('Contraseña').fill(user.password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await conversationList(page).waitFor();
}

/** The conversation list (the `<ul>` named "Conversaciones"). */
export function conversationList(page) {
  return page.getByRole('list', { name: 'Conversaciones' });
}

/** A conversation's row in the list, by the customer's name. */
export function listRow(page, name) {
  return conversationList(page).getByRole('link', { name: new RegExp(escapeRegExp(name)) });
}

/** The open conversation's messages (the log named "Mensajes con {name}"; any name if omitted). */
export function messageLog(page, name) {
  return page.getByRole('log', { name: name === undefined ? /^Mensajes con / : `Mensajes con ${name}` });
}

/** The composer's text box. */
export function composer(page) {
  return page.getByRole('textbox', { name: 'Escribe un mensaje…' });
}

/** Clicks a conversation in the list and waits for its messages. */
export async function openConversation(page, name) {
  await listRow(page, name).click();
  await messageLog(page, name).waitFor();
}

/** Signs in and opens a conversation straight from its URL (`/c/{id}`). */
export async function openById(page, id, name = undefined, who = 'admin') {
  await login(page, who);
  await page.goto(`/c/${id}`);
  await messageLog(page, name).waitFor();
}

/** Writes a PNG of the page into docs/screenshots when SCREENSHOTS=1. */
export async function screenshot(page, name) {
  if (process.env.SCREENSHOTS !== '1') return;
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

export function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

let counter = 0;
/** A Mexican mobile number (wa_id form, `521` + 10 digits) no other test uses. */
export function uniquePhone() {
  counter += 1;
  const tail = String((Date.now() % 10_000) * 100 + counter).padStart(6, '0').slice(-6);
  return `52155${String(counter).padStart(2, '0')}${tail}`;
}

/** A Messenger/Instagram scoped id no other test uses. */
export function uniqueScopedId() {
  counter += 1;
  return `7${Date.now() % 1e10}${String(counter).padStart(4, '0')}`;
}

/**
 * A WhatsApp customer writes on a number and their conversation is in the inbox; resolves with the
 * conversation (API view) and the message's `wamid`.
 */
export async function whatsappCustomerWrites(phoneNumberId, waId, name, text) {
  const sent = await env.sim.whatsappWrites(phoneNumberId, waId, { text, name });
  const conversation = await conversationOf((c) => c.handle.wa_id === waId && c.channel.kind.startsWith('whatsapp'));
  return { conversation, wamid: sent.message_id };
}

/** Waits for the conversation matching `pred` to exist (the webhook is processed asynchronously). */
export async function conversationOf(pred) {
  let found = null;
  await poll(
    async () => {
      const page = await env.admin.get('/api/v1/conversations?status=all&limit=100');
      found = page.items.find(pred) ?? null;
      return found !== null && found.last_message !== null;
    },
    { message: 'the conversation did not appear in the inbox' },
  );
  return found;
}

/** An Instagram customer writes to the account; resolves with the conversation (API view). */
export async function instagramCustomerWrites(igsid, name, text) {
  await env.sim.instagramWrites(env.assets.igId, igsid, { text, name });
  return conversationOf((c) => c.channel.kind === 'instagram' && c.handle.external_id === igsid);
}

/**
 * Waits for the simulator to receive, for `recipient`, a message matching `pred`; fails at once
 * with the page's error if the page shows one (role="alert") meanwhile.
 */
export async function sentFromPage(page, recipient, pred, { timeout = 20_000, what = 'the message' } = {}) {
  const alerts = page.getByRole('alert').filter({ visible: true });
  let alert = null;
  const found = await poll(
    async () => {
      const hit = (await env.sim.sentTo(recipient)).find(pred);
      if (hit) return hit;
      if ((await alerts.count()) > 0) {
        alert = (await alerts.allInnerTexts()).join(' | ');
        return true;
      }
      return null;
    },
    { timeout, message: `the simulator never received ${what} for ${recipient}` },
  );
  if (alert !== null) throw new Error(`${what} was not sent; the page shows: "${alert}"`);
  return found;
}
