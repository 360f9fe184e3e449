// Messaging in a real browser, on phones: a teacher sends a class broadcast (to
// the class and its parents) from the compose page; a pupil and a parent with
// JavaScript see their badge change live, without reloading; a pupil on a phone
// with JavaScript off sees the message on the next page load. Screenshots go to
// E2E_ARTIFACTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../http/lib/server.mjs';
import { launch, signedIn, shot, fitsTheScreen } from './lib/browser.mjs';

let s, browser;

before(async () => {
  s = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await s?.stop();
});

const count = async (page) => Number((await page.locator('#badge-messages').textContent()) || 0);

test('a class broadcast: live badges with JavaScript, the message on reload without', async () => {
  const pupil = await signedIn(browser, s.url, 'demo.eleve');
  const parent = await signedIn(browser, s.url, 'demo.parent');
  const plain = await signedIn(browser, s.url, 'demo.eleve', { javaScript: false });
  // the live pages are open before the message is sent
  const sockets = [pupil, parent].map(({ page }) => page.waitForEvent('websocket'));
  await pupil.page.goto(s.url + '/timetable');
  await parent.page.goto(s.url + '/news');
  await Promise.all(sockets);
  const pupilBefore = await count(pupil.page), parentBefore = await count(parent.page);
  await plain.page.goto(s.url + '/messages');
  const plainBefore = await count(plain.page);

  // the teacher writes to 5e B and its parents from the compose page
  const teacher = await signedIn(browser, s.url, 'demo.prof');
  await teacher.page.goto(s.url + '/messages/new');
  await fitsTheScreen(teacher.page);
  await teacher.page.getByLabel('Toute la classe 5e B').check();
  await teacher.page.getByLabel('Les parents de 5e B').check();
  await teacher.page.fill('#subject', 'Sortie au musée : départ 8 h 45');
  await teacher.page.fill('#body', 'Rendez-vous devant le collège à 8 h 45.\nPrévoir un pique-nique.');
  await shot(teacher.page, 'teacher-compose-broadcast');
  await Promise.all([teacher.page.waitForNavigation(), teacher.page.getByRole('button', { name: 'Envoyer' }).click()]);
  assert.match(await teacher.page.content(), /Message envoyé à \d+ personne/);
  await shot(teacher.page, 'teacher-broadcast-sent');

  // JavaScript on: the badges move where the pupil and the parent are, with no reload
  const t0 = Date.now();
  await pupil.page.locator('#badge-messages', { hasText: new RegExp(`^${pupilBefore + 1}$`) }).waitFor({ timeout: 5000 });
  await parent.page.locator('#badge-messages', { hasText: new RegExp(`^${parentBefore + 1}$`) }).waitFor({ timeout: 5000 });
  const liveMs = Date.now() - t0;
  assert.equal(new URL(pupil.page.url()).pathname, '/timetable', 'the pupil did not navigate');
  await shot(pupil.page, 'pupil-badge-after-broadcast');
  await shot(parent.page, 'parent-badge-after-broadcast');

  // JavaScript off: the next page load shows the badge and the conversation
  assert.equal(await count(plain.page), plainBefore, 'nothing moves without a reload');
  await plain.page.reload();
  assert.equal(await count(plain.page), plainBefore + 1);
  await Promise.all([plain.page.waitForNavigation(), plain.page.getByRole('link', { name: 'Sortie au musée : départ 8 h 45' }).click()]);
  assert.match(await plain.page.content(), /Prévoir un pique-nique/);
  assert.match(await plain.page.content(), /Répondre à Nadia Benali/, 'a broadcast is answered privately');
  await fitsTheScreen(plain.page);
  await shot(plain.page, 'pupil-nojs-broadcast');

  for (const who of [pupil, parent, plain, teacher]) assert.deepEqual(who.errors, []);
  for (const who of [pupil, parent, plain, teacher]) await who.context.close();
  assert.ok(liveMs < 5000);
});
