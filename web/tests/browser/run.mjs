// The browser suite's single entry point (`npm run test:browser`, or `node --test tests/browser/run.mjs`
// in web/): one `inbox demo` server and one Chromium for every test, one test after the other, each
// in a fresh browser context. Needs `target/debug/inbox` (`cargo build -p inbox`) and /usr/bin/chromium.
// SCREENSHOTS=1 also writes PNGs of the main screens to docs/screenshots/.
import { after, before, describe } from 'node:test';
import { startSuite, stopSuite } from './harness.mjs';
import login from './login.mjs';
import list from './list.mjs';
import search from './search.mjs';
import conversation from './conversation.mjs';
import composer from './composer.mjs';
import templates from './templates.mjs';
import voice from './voice.mjs';
import live from './live.mjs';
import admin from './admin.mjs';
import team from './team.mjs';
import contacts from './contacts.mjs';
import scheduled from './scheduled.mjs';
import webhooks from './webhooks.mjs';

describe('Escala Inbox in the browser', { concurrency: 1 }, () => {
  before(startSuite, { timeout: 180_000 });
  after(stopSuite, { timeout: 30_000 });
  login();
  list();
  search();
  conversation();
  composer();
  templates();
  voice();
  live();
  admin();
  team();
  contacts();
  scheduled();
  webhooks();
});
