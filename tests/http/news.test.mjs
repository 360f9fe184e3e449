// News over HTTP on the demo school: who sees what, read receipts counted once,
// who may publish where, and every bad input with the draft handed back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signIn, Visitor } from './lib/server.mjs';

let s;
const who = {};
const ids = {};

function must(re, text, what) {
  const m = text.match(re);
  if (!m) throw new Error(`${what} not found`);
  return m[1];
}
async function api(v, method, path, body) {
  const token = (await v.json('GET', '/api/v1/me')).data.csrf_token;
  return v.json(method, path, body, { 'x-csrf-token': token });
}
const titles = async (v) => (await v.json('GET', '/api/v1/news')).data.news.map((n) => n.title);
const idOf = async (v, prefix) => (await v.json('GET', '/api/v1/news')).data.news.find((n) => n.title.startsWith(prefix)).id;

// A 3e A pupil's account, activated through a reset letter as a school would.
async function activatedPupil(admin, classId) {
  const roster = (await admin.get(`/classes/${classId}`)).text;
  const id = [...roster.matchAll(/<td><a href="\/people\/(\d+)">([^<]+)<\/a>/g)].find((m) => !m[2].includes('Hugo'))[1];
  const letter = (await admin.post(`/people/${id}/reset`, {})).text;
  const codes = [...letter.matchAll(/<dd class="code">([^<]+)<\/dd>/g)].map((m) => m[1]);
  const [login, code] = codes;
  const v = new Visitor(s.url);
  await v.get('/activate');
  const r = await v.post('/activate', { login, code, password: 'pupil-password-3a', confirm: 'pupil-password-3a' });
  assert.equal(r.status, 303, r.text.slice(0, 300));
  return signIn(s.url, login, 'pupil-password-3a');
}

before(async () => {
  s = await startServer();
  who.pupil = await signIn(s.url, 'demo.eleve');
  who.parent = await signIn(s.url, 'demo.parent');
  who.teacher = await signIn(s.url, 'demo.prof');
  who.admin = await signIn(s.url, 'demo.admin');
  who.anonymous = new Visitor(s.url);
  ids.school = (await who.admin.json('GET', '/api/v1/me')).data.school.id;
  const schoolPage = (await who.admin.get(`/admin/schools/${ids.school}`)).text;
  ids.class5B = Number(must(/<a href="\/classes\/(\d+)">5e B<\/a>/, schoolPage, '5e B'));
  ids.class3A = Number(must(/<a href="\/classes\/(\d+)">3e A<\/a>/, schoolPage, '3e A'));
  ids.class4F = Number(must(/<a href="\/classes\/(\d+)">4e F<\/a>/, schoolPage, '4e F'));
  who.pupil3A = await activatedPupil(who.admin, ids.class3A);
});

after(async () => { await s.cleanup(); });

test('each person sees the news that reaches them', async () => {
  const parent = await titles(who.parent), pupil = await titles(who.pupil), p3a = await titles(who.pupil3A);
  const teacher = await titles(who.teacher), admin = await titles(who.admin);
  const has = (list, prefix) => list.some((t) => t.startsWith(prefix));
  // a 5e B parent sees the 5e B news; a 3e pupil does not (and the reverse)
  assert.ok(has(parent, '5e B : sortie') && has(parent, '3e A : brevet'));
  assert.ok(has(pupil, '5e B : sortie') && !has(pupil, '3e A : brevet'));
  assert.ok(!has(p3a, '5e B : sortie') && has(p3a, '3e A : brevet'));
  // parents' news: parents (and staff) only
  assert.ok(has(parent, 'Réunion parents') && !has(pupil, 'Réunion parents') && !has(teacher, 'Réunion parents'));
  assert.ok(has(admin, 'Réunion parents') && has(admin, '3e A : brevet'));
  // school-wide: everyone
  for (const list of [parent, pupil, p3a, teacher, admin]) assert.ok(has(list, 'Bienvenue sur Cartable'));
  // opening an item that does not reach you
  const id3A = await idOf(who.parent, '3e A : brevet');
  assert.equal((await who.pupil.get(`/news/${id3A}`)).status, 403);
  assert.equal((await who.pupil.json('GET', `/api/v1/news/${id3A}`)).status, 403);
  assert.equal((await who.pupil.get('/news/99999999')).status, 404);
  assert.equal((await who.anonymous.get('/news')).status, 303);
  assert.equal((await who.anonymous.json('GET', '/api/v1/news')).status, 401);
  // the list page, unread flags
  const page = await who.pupil.get('/news');
  assert.equal(page.status, 200);
  assert.match(page.text, /5e B : sortie/);
  assert.match(page.text, /Nouveau/);
  assert.doesNotMatch(page.text, /Nouvelle annonce/, 'a pupil has nothing to publish');
});

test('a teacher publishes to their class; reads are counted once', async () => {
  const t = who.teacher;
  const form = await t.get('/news/new');
  assert.equal(form.status, 200);
  assert.match(form.text, new RegExp(`value="class-${ids.class5B}"`));
  assert.doesNotMatch(form.text, /value="school-/, 'a teacher may not choose the whole school');
  assert.doesNotMatch(form.text, new RegExp(`value="class-${ids.class4F}"`));
  let r = await t.post('/news/new', { audience: `class-${ids.class5B}`, title: 'Contrôle de mathématiques', body: 'Mardi prochain, chapitre 4 : les fractions.' });
  assert.equal(r.status, 303, r.text.slice(0, 400));
  const id = Number(must(/^\/news\/(\d+)\?published=1$/, r.headers.get('location'), 'the new item'));
  const own = await t.get(`/news/${id}?published=1`);
  assert.match(own.text, /Annonce publiée/);
  const audience = Number(must(/Lu par 0 sur (\d+)/, own.text, 'the read count'));
  assert.ok(audience > 25, 'pupils, parents and teachers of the class');
  // the pupil reads it twice, her mother once: two readers
  assert.ok((await titles(who.pupil)).includes('Contrôle de mathématiques'));
  assert.equal((await who.pupil3A.get(`/news/${id}`)).status, 403);
  let j = await who.pupil.json('GET', `/api/v1/news/${id}`);
  assert.equal(j.status, 200);
  assert.equal(j.data.unread, false);
  assert.equal(j.data.reads, undefined, 'readers do not see the counts');
  assert.equal((await who.pupil.get(`/news/${id}`)).status, 200);
  assert.equal((await who.parent.get(`/news/${id}`)).status, 200);
  // staff read it too, but are not its audience
  assert.equal((await who.admin.get(`/news/${id}`)).status, 200);
  j = await t.json('GET', `/api/v1/news/${id}`);
  assert.deepEqual(j.data.reads, { read: 2, audience });
  assert.match((await who.admin.get(`/news/${id}`)).text, new RegExp(`Lu par 2 sur ${audience}`));
  // unread counts go down as items are opened
  const before = (await who.parent.json('GET', '/api/v1/news')).data.unread;
  const another = (await who.parent.json('GET', '/api/v1/news')).data.news.find((n) => n.unread);
  await who.parent.json('GET', `/api/v1/news/${another.id}`);
  assert.equal((await who.parent.json('GET', '/api/v1/news')).data.unread, before - 1);
});

test('publishing refusals keep the draft', async () => {
  const t = who.teacher;
  // the whole school: not for a teacher
  let r = await t.post('/news/new', { audience: `school-${ids.school}`, title: 'Pour tous', body: 'Un texte à garder' });
  assert.equal(r.status, 403);
  assert.match(r.text, /value="Pour tous"/);
  assert.match(r.text, /Un texte à garder<\/textarea>/);
  r = await t.post('/news/new', { audience: `parents-${ids.school}`, title: 'Parents', body: 'x' });
  assert.equal(r.status, 403);
  // a class they do not teach
  r = await t.post('/news/new', { audience: `class-${ids.class4F}`, title: 'Autre classe', body: 'x' });
  assert.equal(r.status, 403);
  assert.equal((await api(t, 'POST', '/api/v1/news', { audience: 'school', title: 'a', body: 'b' })).status, 403);
  assert.equal((await api(t, 'POST', '/api/v1/news', { audience: 'class', class_id: ids.class4F, title: 'a', body: 'b' })).status, 403);
  // pupils and parents publish nothing
  assert.equal((await who.pupil.get('/news/new')).status, 403);
  assert.equal((await who.parent.post('/news/new', { audience: `class-${ids.class5B}`, title: 'a', body: 'b' })).status, 403);
  assert.equal((await api(who.pupil, 'POST', '/api/v1/news', { audience: 'class', class_id: ids.class5B, title: 'a', body: 'b' })).status, 403);
  // the administration may address the whole school
  r = await api(who.admin, 'POST', '/api/v1/news', { audience: 'school', title: 'Journée portes ouvertes', body: 'Samedi de 9 h à 12 h.' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.data.audience, 'school');
  assert.ok((await titles(who.pupil3A)).includes('Journée portes ouvertes'));
});

test('bad inputs are refused with the text handed back', async () => {
  const t = who.teacher;
  const aud = `class-${ids.class5B}`;
  const cases = [
    [{ audience: aud, title: '', body: 'Le corps reste' }, /Le titre est obligatoire/],
    [{ audience: aud, title: '   ', body: 'Le corps reste' }, /Le titre est obligatoire/],
    [{ audience: aud, title: 'Titre gardé', body: '' }, /texte de l'annonce est obligatoire/],
    [{ audience: aud, title: 'Titre gardé', body: 'é'.repeat(10001) }, /10 000 caractères/],
    [{ audience: aud, title: 'T'.repeat(201), body: 'Le corps reste' }, /200 caractères/],
    [{ audience: 'n-importe-quoi', title: 'Titre gardé', body: 'Le corps reste' }, /Choisissez les destinataires/],
    [{ audience: 'class-99999999', title: 'Titre gardé', body: 'Le corps reste' }, /n'existe pas/],
    [{ title: 'Titre gardé', body: 'Le corps reste' }, /Choisissez les destinataires/],
  ];
  for (const [fields, message] of cases) {
    const r = await t.post('/news/new', fields);
    assert.equal(r.status, 400, JSON.stringify(fields).slice(0, 80));
    assert.match(r.text, message);
    if (fields.title && fields.title.trim()) assert.ok(r.text.includes(`value="${fields.title.slice(0, 50)}`), 'title kept');
    if (fields.body && fields.body.length < 100) assert.ok(r.text.includes(`${fields.body}</textarea>`), 'body kept');
  }
  const post = (body) => api(t, 'POST', '/api/v1/news', body);
  const apiCases = [
    [{ audience: 'class', class_id: ids.class5B, title: '', body: 'b' }, 400, 'error.title_empty'],
    [{ audience: 'class', class_id: ids.class5B, title: 'a', body: 'x'.repeat(10001) }, 400, 'error.body_too_long'],
    [{ audience: 'class', class_id: ids.class5B, title: 'a\nb', body: 'b' }, 400, 'error.bad_text'],
    [{ audience: 'everyone', title: 'a', body: 'b' }, 400, 'error.bad_audience'],
    [{ audience: 'class', title: 'a', body: 'b' }, 400, 'error.bad_class'],
    [{ audience: 'class', class_id: 99999999, title: 'a', body: 'b' }, 404, 'not_found'],
    [{ audience: 'class', class_id: ids.class5B, title: 3, body: 'b' }, 400, 'bad_input'],
  ];
  for (const [body, status, code] of apiCases) {
    const r = await post(body);
    assert.equal(r.status, status, JSON.stringify(body).slice(0, 80));
    assert.equal(r.data.error.code, code);
  }
  // nothing of that was published
  assert.ok(!(await titles(who.pupil)).includes('Titre gardé'));
});
