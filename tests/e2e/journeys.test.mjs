// Main journeys in a real browser (Debian's headless Chromium driven by
// playwright-core), on a phone-sized screen: a teacher writes the cahier de
// textes, gives a mark and takes a roll call; a pupil reads today and hands in
// homework with a file; a parent reads the child's day and justifies an absence.
// Screenshots go to E2E_ARTIFACTS (default tests/e2e/artifacts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, signIn } from '../http/lib/server.mjs';
import { ARTIFACTS, launch, signedIn as signedInAs, shot, fitsTheScreen } from './lib/browser.mjs';

let s, browser;
let homeworkTitle;

before(async () => {
  s = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await s?.stop();
});

// A phone: 360 px wide, no JavaScript needed by the pages (it stays on: the
// pages must not depend on it, and the test does not either).
const signedIn = (login) => signedInAs(browser, s.url, login);

test('teacher: writes a lesson with homework, gives a mark, takes a roll call', async () => {
  const { context, page, errors } = await signedIn('demo.prof');
  await shot(page, 'teacher-today');
  await fitsTheScreen(page);
  await Promise.all([page.waitForNavigation(), page.click('a[href^="/teaching/"]:has-text("5e B · Mathématiques")')]);
  assert.match(page.url(), /\/teaching\/\d+$/);
  const teachingId = page.url().match(/\/teaching\/(\d+)$/)[1];
  homeworkTitle = `Fiche navigateur ${Date.now() % 100000}`;
  const due = new Date(Date.now() + 4 * 86400e3).toISOString().slice(0, 10);
  await page.fill('#title', 'Séance écrite dans le navigateur');
  await page.fill('#content', 'Correction des exercices, puis cours sur les fractions.');
  await page.fill('#hw_title', homeworkTitle);
  await page.fill('#hw_due', due);
  await page.fill('#hw_minutes', '20');
  await page.check('input[name=hw_hand_in]');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/lessons"] button[type=submit]')]);
  assert.match(await page.content(), new RegExp(homeworkTitle));
  await shot(page, 'teacher-notebook');
  await fitsTheScreen(page);

  // a mark: a new evaluation, the first pupil gets 15/20
  await page.goto(`${s.url}/teaching/${teachingId}/evaluations`);
  await page.fill('input[name=title]', 'Interrogation du navigateur');
  await Promise.all([page.waitForNavigation(), page.click(`form[action$="/evaluations"] button[type=submit]`)]);
  assert.match(page.url(), /\/evaluations\/\d+/);
  const first = page.locator('input[name^=value_]').first();
  const field = await first.getAttribute('name');
  await page.selectOption(`select[name=status_${field.slice(6)}]`, 'mark');
  await first.fill('15');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/marks"] button[type=submit]')]);
  assert.equal(await page.locator(`input[name=${field}]`).inputValue(), '15');
  await shot(page, 'teacher-marks');

  // a roll call on the last day this class had maths
  let date = null;
  for (let back = 1; back <= 10 && !date; back++) {
    const d = new Date(Date.now() - back * 86400e3).toISOString().slice(0, 10);
    const r = await page.request.get(`${s.url}/api/v1/roll-calls?date=${d}`, { headers: { accept: 'application/json' } });
    const body = await r.json();
    if ((body.lessons || []).some((l) => String(l.teaching_id) === teachingId)) date = d;
  }
  assert.ok(date, 'a recent maths lesson in 5e B');
  await page.goto(`${s.url}/teaching/${teachingId}/roll-call?date=${date}`);
  const radios = page.locator('input[type=radio][value=absent]');
  assert.ok(await radios.count() > 10, 'the class roster');
  await radios.nth(1).check();
  await Promise.all([page.waitForNavigation(), page.click('form[action*="roll-call"] button[type=submit]')]);
  assert.match(page.url(), /saved=1/);
  await shot(page, 'teacher-roll-call');
  assert.deepEqual(errors, []);
  await context.close();
});

test('pupil: reads today and hands in homework with a file', async () => {
  assert.ok(homeworkTitle, 'the teacher\'s journey gave homework');
  const { context, page, errors } = await signedIn('demo.eleve');
  const html = await page.content();
  assert.match(html, /id="day-heading"/);
  assert.match(html, new RegExp(homeworkTitle));
  await shot(page, 'pupil-today');
  await fitsTheScreen(page);
  await Promise.all([page.waitForNavigation(), page.click(`a:has-text("${homeworkTitle}")`)]);
  await page.fill('#text', 'Voici ma fiche, faite ce soir.');
  await page.setInputFiles('#files', { name: 'fiche.pdf', mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n') });
  await Promise.all([page.waitForNavigation(), page.click('form[enctype] button[type=submit]')]);
  assert.match(page.url(), /handed=1/);
  assert.match(await page.content(), /reçu le/);
  assert.match(await page.content(), /fiche\.pdf/);
  await shot(page, 'pupil-handed-in');
  await page.goto(s.url + '/timetable');
  await shot(page, 'pupil-week');
  await fitsTheScreen(page);
  assert.deepEqual(errors, []);
  await context.close();
});

test('parent: reads the child\'s day and justifies an absence', async () => {
  const { context, page, errors } = await signedIn('demo.parent');
  assert.match(await page.content(), /id="day-heading"/);
  await shot(page, 'parent-today');
  await fitsTheScreen(page);
  const me = await (await page.request.get(`${s.url}/api/v1/me`, { headers: { accept: 'application/json' } })).json();
  const lea = (me.children || []).find((c) => c.first_name === 'Léa');
  assert.ok(lea, 'Léa among the children');
  await page.goto(`${s.url}/pupils/${lea.id}/absences`);
  const reason = page.locator('textarea[name=reason]').first();
  assert.ok(await reason.count() === 1, 'an absence to justify');
  await reason.fill('Rendez-vous chez le médecin, certificat remis au CPE.');
  await Promise.all([page.waitForNavigation(), page.locator('form[action$="/justify"] button[type=submit]').first().click()]);
  assert.match(await page.content(), /médecin/);
  await shot(page, 'parent-absences');
  assert.deepEqual(errors, []);
  writeFileSync(join(ARTIFACTS, 'README.txt'), 'Screenshots of the last browser journeys run (tests/e2e).\n');
  await context.close();
});
