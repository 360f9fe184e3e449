// The live class in a real browser, on phones, without audio/video (that part
// runs in its own network namespace: liveclass_media.test.mjs): the teacher
// schedules from the form; a pupil with JavaScript joins from "today" and sees
// the teacher's chat and poll live, votes, raises a hand; a pupil's old phone
// without JavaScript reads the chat and posts. Screenshots go to E2E_ARTIFACTS.
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

function hhmm(d) {
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

test('a live class: scheduled from the form, joined from today, chat and a poll both ways, no-JS phone included', async () => {
  const teacher = await signedIn(browser, s.url, 'demo.prof');
  await teacher.page.goto(s.url + '/live');
  await fitsTheScreen(teacher.page);
  const maths = await teacher.page.locator('#teaching option', { hasText: 'Mathématiques · 5e B' }).getAttribute('value');
  await teacher.page.selectOption('#teaching', maths);
  await teacher.page.fill('#title', 'Fractions en direct');
  // the browser's local time is the server's zone (Europe/Paris) only by chance: give the
  // server's own wall clock, read back from the form's default day
  const now = new Date(new Date().toLocaleString('en-US', { timeZone: 'Europe/Paris' }));
  await teacher.page.fill('#start', hhmm(now));
  await teacher.page.fill('#minutes', '60');
  await shot(teacher.page, 'live-schedule-form');
  await Promise.all([teacher.page.waitForNavigation(), teacher.page.getByRole('button', { name: 'Programmer' }).click()]);
  assert.match(await teacher.page.content(), /La classe virtuelle est programmée/);
  const roomUrl = new URL(teacher.page.url()).pathname;
  await teacher.page.locator('#liveclass[data-live="1"]').waitFor({ timeout: 5000 });
  await shot(teacher.page, 'live-teacher-room');

  // the pupil joins from "today"
  const pupil = await signedIn(browser, s.url, 'demo.eleve');
  const join = pupil.page.locator(`a.button[href="${roomUrl}"]`);
  await join.waitFor({ timeout: 5000 });
  await shot(pupil.page, 'live-pupil-today');
  await Promise.all([pupil.page.waitForNavigation(), join.click()]);
  await pupil.page.locator('#liveclass[data-live="1"]').waitFor({ timeout: 5000 });
  await fitsTheScreen(pupil.page);
  await teacher.page.locator('#people li', { hasText: 'Élodie' }).or(teacher.page.locator('#people li').nth(1)).first().waitFor({ timeout: 5000 });

  // chat, from the teacher to the class, live
  await teacher.page.fill('#chat-text', 'Bonjour à tous, ouvrez le livre page 42.');
  await teacher.page.getByRole('button', { name: 'Envoyer' }).click();
  await pupil.page.locator('#chat li', { hasText: 'ouvrez le livre page 42' }).waitFor({ timeout: 5000 });
  // and back, to the teacher only
  await pupil.page.fill('#chat-text', 'Je n’ai pas mon livre.');
  await pupil.page.selectOption('#chat-to', 'hosts');
  await pupil.page.getByRole('button', { name: 'Envoyer' }).click();
  await teacher.page.locator('#chat li', { hasText: 'Je n’ai pas mon livre.' }).waitFor({ timeout: 5000 });
  assert.equal(new URL(pupil.page.url()).pathname, roomUrl, 'the chat went over the socket, no reload');

  // a hand, seen by the teacher
  await pupil.page.locator('#hand').click();
  await teacher.page.locator('#people li .badge', { hasText: '✋' }).waitFor({ timeout: 5000 });

  // a poll: opened by the teacher, answered by the pupil, counted live
  await teacher.page.fill('#poll-form input[name=question]', 'Combien font 1/2 + 1/4 ?');
  await teacher.page.fill('#poll-form input[name=choices]', '3/4; 2/6; 1');
  await teacher.page.getByRole('button', { name: 'Lancer le sondage' }).click();
  await pupil.page.locator('#poll-choices button', { hasText: '3/4' }).click();
  await teacher.page.locator('#poll-choices li', { hasText: /3\/4\s*1/ }).waitFor({ timeout: 5000 });
  await shot(pupil.page, 'live-pupil-room');
  await shot(teacher.page, 'live-teacher-poll');

  // an old phone without JavaScript: reads the chat, posts through the form
  const plain = await signedIn(browser, s.url, 'demo.eleve', { javaScript: false });
  await plain.page.goto(s.url + roomUrl);
  assert.match(await plain.page.content(), /ouvrez le livre page 42/);
  assert.match(await plain.page.content(), /Je n’ai pas mon livre/); // their own private message
  await plain.page.fill('#chat-text', 'Présent depuis le téléphone de maman.');
  await Promise.all([plain.page.waitForNavigation(), plain.page.getByRole('button', { name: 'Envoyer' }).click()]);
  assert.match(await plain.page.content(), /Message envoyé/);
  assert.match(await plain.page.content(), /Présent depuis le téléphone de maman/);
  await teacher.page.locator('#chat li', { hasText: 'Présent depuis le téléphone de maman.' }).waitFor({ timeout: 5000 });
  await fitsTheScreen(plain.page);
  await shot(plain.page, 'live-pupil-no-javascript');

  for (const who of [teacher, pupil, plain]) assert.deepEqual(who.errors, []);
});
