// What the browser tests share: Debian's headless Chromium, a phone-sized
// signed-in page, screenshots under E2E_ARTIFACTS, and the mobile-first check.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const ARTIFACTS = process.env.E2E_ARTIFACTS || new URL('../artifacts/', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}

// A phone (360 px wide) signed in through the form; errors collects page errors.
// javaScript: false is a phone with scripts off (the pages must work without).
export async function signedIn(browser, url, login, { javaScript = true, password = 'cartable-demo' } = {}) {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'fr-FR', javaScriptEnabled: javaScript });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url + '/login');
  await page.fill('#login', login);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.equal(new URL(page.url()).pathname, '/');
  return { context, page, errors };
}

export async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// No horizontal scrolling at 360 px: the layout is mobile first.
export async function fitsTheScreen(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than the screen`);
}
