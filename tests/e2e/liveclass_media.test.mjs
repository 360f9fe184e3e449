// A live class with audio and video, end to end, in a network namespace of its
// own (lib/medianet.mjs: Janus does no ICE on loopback): Cartable runs inside
// with Janus configured; a teacher and two pupils of 5e B, each in their own
// Chromium with a fake camera, sign in and join the live class; both pupils
// receive and decode the teacher's video (getStats), while the chat and a poll
// work over the room's socket. Needs root; fails, never skips, when it cannot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startMediaNet } from './lib/medianet.mjs';
import { BIN } from '../http/lib/server.mjs';
import { ARTIFACTS } from './lib/browser.mjs';

const URL_INSIDE = 'http://127.0.0.1:8080';
let net, dir, server;
const browsers = {};

function cli(args, input) {
  const r = spawnSync(BIN, [...args, '--data', join(dir, 'data')], { input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

async function until(what, fn, ms = 15000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function signIn(context, login, password = 'cartable-demo') {
  const page = context.pages()[0] || await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(URL_INSIDE + '/login');
  await page.fill('#login', login);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.equal(new URL(page.url()).pathname, '/', `${login} signed in`);
  return page;
}

before(async () => {
  net = await startMediaNet();
  dir = mkdtempSync(join(tmpdir(), 'cartable-media-'));
  server = net.spawn(BIN, ['serve', '--listen', '127.0.0.1:8080', '--data', join(dir, 'data'), '--threads', '2', '--demo',
    '--admission', 'false', '--requests-per-account-per-second', '100000', '--log-file', join(dir, 'cartable.log'),
    '--janus-urls', net.janus.api, '--janus-admin-key', net.janus.adminKey]);
  await until('cartable to listen', () => existsSync(join(dir, 'cartable.log')) &&
    /msg=listening/.test(readFileSync(join(dir, 'cartable.log'), 'utf8')), 15000);
  for (const name of ['teacher', 'pupil', 'classmate']) browsers[name] = await net.launchChromium({ args: ['--lang=fr-FR'] });
});

after(async () => {
  await net?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a teacher and two pupils in a live class: the pupils decode the teacher\'s video; chat and poll work', async (t) => {
  // a classmate of demo.eleve's, found by the administrator, given a password
  const admin = await signIn(browsers.classmate, 'demo.admin');
  const school = await admin.locator('a[href^="/admin/schools/"]').first().getAttribute('href');
  await admin.goto(URL_INSIDE + school);
  await admin.goto(URL_INSIDE + await admin.locator('a', { hasText: /^5e B$/ }).first().getAttribute('href'));
  const ids = await admin.locator('td a[href^="/people/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  let login = null;
  for (const href of ids) {
    await admin.goto(URL_INSIDE + href);
    const text = await admin.content();
    if (/Léa Martin/.test(await admin.locator('h1').textContent())) continue;
    login = text.match(/<dt>(?:Identifiant|Login)<\/dt><dd>([^<]+)<\/dd>/)?.[1];
    if (login) break;
  }
  assert.ok(login, `a classmate's login (school ${school}, ${ids.length} people, at ${admin.url()})`);
  await browsers.classmate.clearCookies();
  cli(['user', 'password', login], 'media-password\n');

  const teacher = await signIn(browsers.teacher, 'demo.prof');
  const pupil = await signIn(browsers.pupil, 'demo.eleve');
  const classmate = await signIn(browsers.classmate, login, 'media-password');

  // the teacher schedules it for now and opens the room
  await teacher.goto(URL_INSIDE + '/live');
  const maths = await teacher.locator('#teaching option', { hasText: 'Mathématiques · 5e B' }).getAttribute('value');
  await teacher.selectOption('#teaching', maths);
  await teacher.fill('#title', 'Cours en visio');
  const paris = new Date(new Date().toLocaleString('en-US', { timeZone: 'Europe/Paris' }));
  await teacher.fill('#start', `${String(paris.getHours()).padStart(2, '0')}:${String(paris.getMinutes()).padStart(2, '0')}`);
  await teacher.fill('#minutes', '60');
  await Promise.all([teacher.waitForNavigation(), teacher.click('form[action="/live"] button[type=submit]')]);
  const room = new URL(teacher.url()).pathname;
  await until('the teacher to publish', () => teacher.evaluate(() =>
    document.getElementById('media')?.dataset.state === 'publishing'));

  // the pupils join from their "today"
  for (const p of [pupil, classmate]) {
    await p.goto(URL_INSIDE + '/');
    await Promise.all([p.waitForNavigation(), p.locator(`a.button[href="${room}"]`).click()]);
  }
  const t0 = Date.now();
  for (const [name, p] of [['pupil', pupil], ['classmate', classmate]]) {
    const st = await until(`${name} to decode the teacher's video`, async () => {
      const s = await p.evaluate(() => window.CartableMedia && CartableMedia.stats());
      return s && s.video.framesDecoded > 0 && s;
    }, 20000);
    t.diagnostic(`${name}: ${st.video.framesDecoded} frames decoded, ${Date.now() - t0} ms after joining`);
    assert.equal(await p.locator('#media-videos video[data-display="Nadia Benali"]').count(), 1);
  }
  // pupils do not publish until allowed
  const pupilState = await pupil.evaluate(() => document.getElementById('media').dataset.state);
  assert.notEqual(pupilState, 'publishing');

  // chat, over the room's socket
  await pupil.fill('#chat-text', 'On vous voit bien !');
  await pupil.click('#chat-form button[type=submit]');
  await teacher.locator('#chat li', { hasText: 'On vous voit bien !' }).waitFor({ timeout: 5000 });
  await classmate.locator('#chat li', { hasText: 'On vous voit bien !' }).waitFor({ timeout: 5000 });

  // a poll, answered by both pupils
  await teacher.fill('#poll-form input[name=question]', 'Le son est-il bon ?');
  await teacher.fill('#poll-form input[name=choices]', 'Oui; Non');
  await teacher.click('#poll-form button[type=submit]');
  for (const p of [pupil, classmate]) await p.locator('#poll-choices button', { hasText: 'Oui' }).click();
  await teacher.locator('#poll-choices li', { hasText: /Oui\s*2/ }).waitFor({ timeout: 5000 });

  for (const [name, p] of [['teacher', teacher], ['pupil', pupil], ['classmate', classmate]]) {
    await p.screenshot({ path: join(ARTIFACTS, `live-media-${name}.png`), fullPage: true });
    assert.deepEqual(p.errors, [], name);
  }
  const log = readFileSync(join(dir, 'cartable.log'), 'utf8');
  assert.doesNotMatch(log, /live room without audio and video/);
  server.kill('SIGTERM');
});
