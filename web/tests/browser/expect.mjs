// Waiting for conditions instead of sleeping: `poll` retries a check until it holds, and the
// locator helpers wrap Playwright's auto-waiting with readable failure messages.
import assert from 'node:assert/strict';

const TIMEOUT = 10_000;

/**
 * Retries `check` (sync or async) until it returns a truthy value, which it resolves with; fails
 * with `message` (and the last error thrown by `check`, if any) after `timeout` ms.
 */
export async function poll(check, { timeout = TIMEOUT, interval = 100, message = 'condition not met' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    let lastError = null;
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`${message} (after ${timeout} ms)${lastError ? `: ${lastError.message}` : ''}`, {
        cause: lastError ?? undefined,
      });
    }
    await new Promise((r) => setTimeout(r, interval));
    interval = Math.min(interval * 1.5, 500);
  }
}

/** Waits for the locator to be visible. */
export async function visible(locator, message, timeout = TIMEOUT) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch (e) {
    throw new Error(`${message ?? 'expected to be visible'}: ${locator} (${e.message.split('\n')[0]})`, { cause: e });
  }
}

/** Waits for the locator to match nothing visible. */
export async function hidden(locator, message, timeout = TIMEOUT) {
  await poll(async () => (await locator.filter({ visible: true }).count()) === 0, {
    timeout,
    message: `${message ?? 'expected to be hidden'}: ${locator}`,
  });
}

/** Waits for the locator to match exactly `n` elements. */
export async function count(locator, n, message, timeout = TIMEOUT) {
  await poll(async () => (await locator.count()) === n, {
    timeout,
    message: `${message ?? `expected ${n} elements`}: ${locator}`,
  });
}

/** Waits for the element to be disabled (or enabled with `enabled: true`). */
export async function disabled(locator, message, { enabled = false, timeout = TIMEOUT } = {}) {
  await poll(async () => (await locator.isDisabled()) !== enabled, {
    timeout,
    message: `${message ?? (enabled ? 'expected enabled' : 'expected disabled')}: ${locator}`,
  });
}

/** Waits for an attribute to have a value. */
export async function attribute(locator, name, value, message, timeout = TIMEOUT) {
  await poll(async () => (await locator.getAttribute(name)) === value, {
    timeout,
    message: `${message ?? `expected ${name}="${value}"`}: ${locator}`,
  });
}

export { assert };
