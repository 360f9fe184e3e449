// Notifications over HTTP: the feed of what is new (a mark, homework, a message)
// for a pupil and a parent, marking it seen, the e-mail digest setting with and
// without CSRF, and the digests themselves against a test SMTP server: one mail
// listing what is new, well-formed, none when nothing is new, none for who did
// not ask, and retries when the mail server refuses or is down.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startServer, signIn, cli, multipart, waitForLog, eventually } from './lib/server.mjs';
import { startSmtpSink, parseMail, decodeWords } from './lib/smtp_sink.mjs';

let s, sink;
const who = {};
const ids = {};
const PUBLIC = 'https://ent.example.org';

function must(re, text, what) {
  const m = text.match(re);
  if (!m) throw new Error(`${what} not found in ${text.slice(0, 600)}`);
  return m[1];
}
async function api(v, method, path, body) {
  const token = (await v.json('GET', '/api/v1/me')).data.csrf_token;
  return v.json(method, path, body, { 'x-csrf-token': token });
}
// The server runs in a time zone where it is 22:xx: the demo's school day is over,
// so nothing it made for today (lessons, roll calls, marks) lies in the future and
// the feed's "new" and "seen" do not depend on the hour the test runs at.
const OFFSET = ((h) => (22 - h > 14 ? 22 - h - 24 : 22 - h))(new Date().getUTCHours());
const ZONE = OFFSET === 0 ? 'Etc/GMT' : OFFSET > 0 ? `Etc/GMT-${OFFSET}` : `Etc/GMT+${-OFFSET}`;
const localDate = (days = 0) => new Date(Date.now() + OFFSET * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
const feed = async (v) => (await v.get('/notifications')).text;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// An account with an e-mail address, made with the command line as a school would.
async function personWithEmail(first, last, login, email) {
  const r = cli(s, ['user', 'add', '--first', first, '--last', last, '--role', 'staff', '--school', '0999999F',
    '--login', login, '--email', email, '--password-stdin'], { input: 'digest-password-1\n' });
  assert.equal(r.code, 0, r.stderr);
  return signIn(s.url, login, 'digest-password-1');
}
async function publishSchoolNews(title) {
  const r = await api(who.admin, 'POST', '/api/v1/news', { audience: 'school', title, body: 'Détails à venir.' });
  assert.equal(r.status, 201, r.text);
  return r.data.id;
}

before(async () => {
  sink = await startSmtpSink();
  s = await startServer({
    args: ['--smtp-url', `smtp://127.0.0.1:${sink.port}`, '--smtp-from', 'Cartable Démo <ent@example.org>',
      '--digest-period', '1s', '--public-url', PUBLIC + '/', '--timezone', ZONE],
  });
  who.pupil = await signIn(s.url, 'demo.eleve');
  who.parent = await signIn(s.url, 'demo.parent');
  who.teacher = await signIn(s.url, 'demo.prof');
  who.admin = await signIn(s.url, 'demo.admin');
  const me = await who.pupil.json('GET', '/api/v1/me');
  ids.lea = me.data.id;
  const g = await who.pupil.json('GET', '/api/v1/grades');
  ids.maths = g.data.subjects.find((x) => x.teacher === 'Nadia Benali').marks[0].teaching_id;
  const home = await who.teacher.get('/');
  ids.mathsTeaching = must(/href="\/teaching\/(\d+)">5e B · Mathématiques/, home.text, 'the 5e B maths teaching');
});

after(async () => {
  await s.cleanup();
  await sink.close();
});

test('the feed shows a new mark, homework and message to the pupil and her parent', async () => {
  // everything so far is seen: what follows is new
  for (const v of [who.pupil, who.parent]) {
    await v.get('/notifications');
    assert.equal((await v.post('/notifications/seen', {})).status, 303);
  }
  await sleep(1100); // seen is to the second: what follows happens after it
  // a mark
  const ev = await api(who.teacher, 'POST', `/api/v1/teaching/${ids.maths}/evaluations`,
    { title: 'Contrôle des notifications', date: localDate(), coefficient: 1, scale: 20 });
  assert.equal(ev.status, 201, ev.text);
  assert.equal((await api(who.teacher, 'PUT', `/api/v1/evaluations/${ev.data.id}/marks`,
    [{ pupil: ids.lea, status: 'mark', value: 16 }])).status, 200);
  // homework
  await who.teacher.get(`/teaching/${ids.mathsTeaching}`);
  const hw = await multipart(who.teacher, `/teaching/${ids.mathsTeaching}/lessons`, {
    date: localDate(), title: 'Séance des notifications', publish: '1', hw_title: 'Exercices de notification', hw_due: localDate(3) });
  assert.equal(hw.status, 303, hw.text.slice(0, 300));
  // a message
  const msg = await api(who.teacher, 'POST', '/api/v1/conversations',
    { to: [`p:${ids.lea}`], subject: 'Votre copie', body: 'Venez me voir à la fin du cours.' });
  assert.equal(msg.status, 201, msg.text);
  const conversation = msg.data.conversation_id || msg.data.id;

  const pupil = await feed(who.pupil);
  assert.match(pupil, /<h1>Notifications<\/h1>/);
  assert.match(pupil, new RegExp(`<a href="/pupils/${ids.lea}/grades">Nouvelle note en Mathématiques : Contrôle des notifications</a>`));
  assert.match(pupil, /<a href="\/homework\/\d+">Travail à faire en Mathématiques : Exercices de notification<\/a>/);
  assert.match(pupil, new RegExp(`<a href="/messages/${conversation}">1 message\\(s\\) non lu\\(s\\) de Nadia Benali : Votre copie</a>`));
  assert.match(pupil, /2 nouveauté\(s\) non vue\(s\)/, 'the mark and the homework (messages are counted apart)');
  assert.match(pupil, /<span class="badge">Nouveau<\/span>/);
  // newest first: the message was sent last
  assert.ok(pupil.indexOf('Votre copie') < pupil.indexOf('Exercices de notification'));
  assert.ok(pupil.indexOf('Exercices de notification') < pupil.indexOf('Contrôle des notifications'));
  // her parent sees the mark and the homework, with whose they are; not her messages
  const parent = await feed(who.parent);
  assert.match(parent, /Léa · Nouvelle note en Mathématiques : Contrôle des notifications/);
  assert.match(parent, /Léa · Travail à faire en Mathématiques : Exercices de notification/);
  assert.doesNotMatch(parent, /Votre copie/);
  // the page is small, even compressed by the server
  const page = await fetch(s.url + '/notifications', { headers: { cookie: who.pupil.cookieHeader(), 'accept-encoding': 'gzip' } });
  const bytes = (await page.arrayBuffer()).byteLength;
  assert.ok(bytes < 15 * 1024, `${bytes} bytes`);
  // in English too
  const en = await who.pupil.get('/notifications', { cookie: who.pupil.cookieHeader() + '; lang=en' });
  assert.match(en.text, /New mark in Mathématiques: Contrôle des notifications/);
});

test('marking everything seen empties the unseen count; unread messages stay', async () => {
  const before = await feed(who.pupil);
  assert.match(before, /nouveauté\(s\) non vue\(s\)/);
  assert.match(before, /id="badge-notifications"[^>]*>[1-9]/, 'the badge counts them');
  const r = await who.pupil.post('/notifications/seen', {});
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/notifications?seen=1');
  const after = (await who.pupil.get('/notifications?seen=1')).text;
  assert.match(after, /Tout est marqué comme vu/);
  assert.match(after, /Tout est vu\./);
  assert.doesNotMatch(after, /non vue\(s\)/);
  assert.match(after, /id="badge-notifications"[^>]*hidden/);
  assert.match(after, /Votre copie/, 'an unread message is still listed');
  assert.match(after, /Les messages restent signalés/);
  assert.match((await who.parent.get('/notifications')).text, /nouveauté\(s\) non vue\(s\)/, 'seen is per person');
  // CSRF and sign-in
  assert.equal((await who.pupil.post('/notifications/seen', {}, { noCsrf: true })).status, 403);
  const anon = await fetch(s.url + '/notifications', { redirect: 'manual' });
  assert.equal(anon.status, 303);
  assert.match(anon.headers.get('location'), /^\/login/);
});

test('the digest setting: offered only with an address; CSRF checked; bad values refused', async () => {
  // demo.eleve has no e-mail address: no checkbox, an explanation
  const page = await feed(who.pupil);
  assert.doesNotMatch(page, /name="email_digest"/);
  assert.match(page, /Aucune adresse électronique/);
  assert.equal((await who.pupil.post('/notifications/settings', { email_digest: '1' })).status, 409);
  assert.equal((await who.pupil.post('/notifications/settings', {})).status, 303, 'switching off is always allowed');

  const v = await personWithEmail('Zoé', 'Réglages', 'zoe.reglages', 'zoe.reglages@example.org');
  let p = await feed(v);
  assert.match(p, /<input type="checkbox" name="email_digest" value="1" aria-describedby="digest-help">/);
  assert.match(p, /zoe\.reglages@example\.org/);
  assert.equal((await v.post('/notifications/settings', { email_digest: '1' }, { noCsrf: true })).status, 403);
  assert.doesNotMatch(await feed(v), /name="email_digest" value="1"[^>]*checked/, 'nothing changed without the token');
  assert.equal((await v.post('/notifications/settings', { email_digest: 'yes' })).status, 400);
  const on = await v.post('/notifications/settings', { email_digest: '1' });
  assert.equal(on.status, 303);
  assert.equal(on.headers.get('location'), '/notifications?saved=1');
  p = (await v.get('/notifications?saved=1')).text;
  assert.match(p, /Préférence enregistrée/);
  assert.match(p, /name="email_digest" value="1"[^>]*checked/);
  assert.equal((await v.post('/notifications/settings', {})).status, 303);
  assert.doesNotMatch(await feed(v), /name="email_digest" value="1"[^>]*checked/);
});

test('one digest lists what is new, well-formed; nothing new, no mail; who did not ask gets none', async () => {
  const v = await personWithEmail('Élodie', 'Courriel', 'elodie.courriel', 'elodie@example.org');
  const silent = await personWithEmail('Paul', 'Silence', 'paul.silence', 'paul@example.org');
  await silent.get('/notifications');
  await v.get('/notifications');
  // everything before is seen: the digest only tells what comes next
  assert.equal((await v.post('/notifications/seen', {})).status, 303);
  assert.equal((await v.post('/notifications/settings', { email_digest: '1' })).status, 303);
  await sleep(1100); // seen is to the second: what follows happens after it
  await sleep(2500);
  assert.equal(sink.to('elodie@example.org').length, 0, 'nothing new, no mail');

  const id = await publishSchoolNews('Fête de l’école — samedi');
  const [mail] = await sink.waitFor('elodie@example.org');
  const m = parseMail(mail.data);
  // envelope and headers
  assert.equal(mail.from, 'ent@example.org');
  assert.deepEqual(mail.rcpt, ['elodie@example.org']);
  for (const h of ['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type', 'content-transfer-encoding'])
    assert.ok(m.headers.has(h), `header ${h}`);
  assert.equal(decodeWords(m.headers.get('from')), 'Cartable Démo <ent@example.org>');
  assert.equal(decodeWords(m.headers.get('to')), 'Élodie Courriel <elodie@example.org>');
  assert.match(m.headers.get('subject'), /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=/, 'a non-ASCII subject is encoded');
  assert.equal(decodeWords(m.headers.get('subject')), 'Cartable : 1 nouveauté(s)');
  assert.ok(!Number.isNaN(Date.parse(m.headers.get('date'))), m.headers.get('date'));
  assert.ok(Math.abs(Date.parse(m.headers.get('date')) - Date.now()) < 60000);
  assert.match(m.headers.get('message-id'), /^<[^<>@\s]+@example\.org>$/);
  assert.equal(m.headers.get('mime-version'), '1.0');
  assert.equal(m.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(m.headers.get('content-transfer-encoding'), 'quoted-printable');
  // CRLF only, short lines, 7-bit
  assert.doesNotMatch(m.raw.replace(/\r\n/g, ''), /[\r\n]/, 'no bare CR or LF');
  for (const line of m.lines) assert.ok(line.length <= 78, `line of ${line.length}: ${line}`);
  assert.doesNotMatch(m.raw, /[^\x00-\x7f]/);
  // the body: the new item with its link, and how to stop
  assert.match(m.body, /^Bonjour Élodie,/);
  assert.match(m.body, /- Actualité : Fête de l’école — samedi \(/);
  assert.match(m.body, new RegExp(`  ${PUBLIC}/news/${id}\\r?\\n`));
  assert.match(m.body, new RegExp(`${PUBLIC}/notifications`));
  assert.match(m.body, /décochez l'option/);
  assert.doesNotMatch(m.body, /Bienvenue sur Cartable/, 'what was seen is not told');

  // no second mail while nothing is new
  await sleep(2500);
  assert.equal(sink.to('elodie@example.org').length, 1);
  // something new: one more mail, with only that
  await publishSchoolNews('Photo de classe');
  const list = await sink.waitFor('elodie@example.org', { count: 2 });
  const second = parseMail(list[1].data);
  assert.match(second.body, /Photo de classe/);
  assert.doesNotMatch(second.body, /Fête de l’école/);
  assert.notEqual(second.headers.get('message-id'), m.headers.get('message-id'));
  await sleep(1500);
  assert.equal(sink.to('elodie@example.org').length, 2);
  // who did not ask got nothing
  assert.equal(sink.to('paul@example.org').length, 0);
  assert.match(s.log(), /msg="digest sent" person=\d+ items=1/);
});

test('a refusing or absent mail server: logged, tried again later, the server stays healthy', async () => {
  const v = await personWithEmail('Inès', 'Relance', 'ines.relance', 'ines@example.org');
  await v.get('/notifications');
  assert.equal((await v.post('/notifications/seen', {})).status, 303);
  assert.equal((await v.post('/notifications/settings', { email_digest: '1' })).status, 303);
  await sleep(1100); // seen is to the second: what follows happens after it
  const from = s.log().length;

  sink.mode = 'refuse-rcpt';
  await publishSchoolNews('Sortie au musée');
  await waitForLog(s, /msg="e-mail not accepted" person=\d+ smtp_code=550/, { from, ms: 8000 });
  assert.equal((await fetch(s.url + '/healthz')).status, 200);
  sink.mode = 'refuse-data';
  const refused = sink.refused;
  await eventually(() => sink.refused > refused, { ms: 8000, what: 'a refusal after the data' });
  assert.equal(sink.to('ines@example.org').length, 0);

  // down: the round ends early, the server answers on
  await sink.down();
  const from2 = s.log().length;
  await waitForLog(s, /mail server cannot be reached/, { from: from2, ms: 8000 });
  assert.equal((await fetch(s.url + '/healthz')).status, 200);
  assert.equal((await v.get('/notifications')).status, 200);

  // back and accepting: the mail that failed goes out, once
  sink.mode = 'accept';
  await sink.up();
  const [mail] = await sink.waitFor('ines@example.org', { ms: 10000 });
  assert.match(parseMail(mail.data).body, /Sortie au musée/);
  await sleep(2000);
  assert.equal(sink.to('ines@example.org').length, 1);
});

test('the server stops promptly while a digest round is stuck on a silent mail server', async () => {
  // A "mail server" that accepts connections and never answers.
  const net = await import('node:net');
  let connections = 0;
  const silent = net.createServer(() => { connections++; });
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const t = await startServer({
    args: ['--smtp-url', `smtp://127.0.0.1:${silent.address().port}`, '--smtp-from', 'ent@example.org', '--digest-period', '1s'],
  });
  try {
    const r = cli(t, ['user', 'add', '--first', 'Léo', '--last', 'Attente', '--role', 'staff', '--school', '0999999F',
      '--login', 'leo.attente', '--email', 'leo@example.org', '--password-stdin'], { input: 'digest-password-1\n' });
    assert.equal(r.code, 0, r.stderr);
    const v = await signIn(t.url, 'leo.attente', 'digest-password-1');
    await v.get('/notifications');
    assert.equal((await v.post('/notifications/settings', { email_digest: '1' })).status, 303);
    await eventually(() => connections > 0, { what: 'a round waiting on the silent server' });
    await sleep(300);
  } finally {
    const t0 = Date.now();
    await t.cleanup();
    assert.ok(Date.now() - t0 < 5000, `stopped in ${Date.now() - t0} ms`);
    silent.close();
  }
});

test('bad mail settings are refused at startup with a clear message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cartable-mailcfg-'));
  const serve = (...args) => spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), ...args],
    { encoding: 'utf8', timeout: 20000, env: { PATH: process.env.PATH } });
  try {
    const cases = [
      [['--smtp-url', 'ftp://mail.example.org'], /smtp_url: "ftp:\/\/mail\.example\.org" is not smtp:\/\/host\[:port\] or smtps:\/\/host\[:port\]/],
      [['--smtp-url', 'smtp://'], /smtp_url: "smtp:\/\/" is not/],
      [['--smtp-url', 'smtp://mail example.org'], /smtp_url: .* is not/],
      [['--smtp-url', 'smtp://127.0.0.1:2525'], /smtp_from: the sender address is needed when smtp_url is set/],
      [['--smtp-url', 'smtp://127.0.0.1:2525', '--smtp-from', 'not an address'], /smtp_from: "not an address" is not an address or "Name <address>"/],
      [['--smtp-url', 'smtp://127.0.0.1:2525', '--smtp-from', 'Ent <a@b@c>'], /smtp_from: .* is not an address/],
      [['--digest-period', '500ms'], /digest_period: 500ms is out of range \(1000 to \d+ ms\)/],
      [['--digest-period', 'often'], /digest_period: "often" is not a valid duration/],
      [['--smtp-tls=maybe'], /option --smtp-tls: smtp_tls: expected true or false, got "maybe"/],
      [['--public-url', 'javascript:alert(1)'], /public_url: "javascript:alert\(1\)" is not an http:\/\/ or https:\/\/ address/],
    ];
    for (const [args, re] of cases) {
      const r = serve(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
    // the environment, too
    const env = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', join(dir, 'data')],
      { encoding: 'utf8', timeout: 20000, env: { PATH: process.env.PATH, CARTABLE_DIGEST_PERIOD: '0' } });
    assert.equal(env.status, 2);
    assert.match(env.stderr, /environment CARTABLE_DIGEST_PERIOD: digest_period: 0 is out of range/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
