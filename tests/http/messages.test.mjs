// Messaging pages on the demo school: the picker offers only whom one may write
// to, a class broadcast reaches the class and its replies stay private, the
// school's rules are enforced and configurable, attachments follow the upload
// rules, a retried send sends once, drafts, archive, reports, blocks, and every
// bad input hands the text back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signIn, cli, multipart } from './lib/server.mjs';

let s;
const who = {};
const ids = {};

function must(re, text, what) {
  const m = text.match(re);
  if (!m) throw new Error(`${what} not found in ${text.slice(0, 600)}`);
  return m[1];
}
const badge = (html) => Number(must(/id="badge-messages"[^>]*>(\d*)</, html, 'messages badge') || 0);
const inbox = async (v, q = '') => (await v.get(`/messages${q}`)).text;
const subjects = (html) => [...html.matchAll(/<a href="\/messages\/(\d+)">([^<]+)<\/a>/g)].map((m) => ({ id: Number(m[1]), subject: m[2] }));
const conversationId = async (v, subject) => {
  const c = subjects(await inbox(v)).find((x) => x.subject === subject);
  return c ? c.id : 0;
};
const compose = async (v, fields, files = []) => {
  await v.get('/messages/new');
  return multipart(v, '/messages/new', { action: 'send', key: `k${Math.random()}`, ...fields }, files);
};
const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

async function signInAs(login, password) {
  const r = cli(s, ['user', 'password', login], { input: `${password}\n` });
  assert.equal(r.code, 0, r.stderr);
  return signIn(s.url, login, password);
}

before(async () => {
  s = await startServer();
  who.pupil = await signIn(s.url, 'demo.eleve');
  who.parent = await signIn(s.url, 'demo.parent');
  who.teacher = await signIn(s.url, 'demo.prof');
  who.admin = await signIn(s.url, 'demo.admin');
  ids.lea = (await who.pupil.json('GET', '/api/v1/me')).data.id;
  ids.prof = (await who.teacher.json('GET', '/api/v1/me')).data.id;
  ids.school = (await who.admin.json('GET', '/api/v1/me')).data.school.id;
  const schoolPage = (await who.admin.get(`/admin/schools/${ids.school}`)).text;
  ids.class5B = Number(must(/<a href="\/classes\/(\d+)">5e B<\/a>/, schoolPage, '5e B'));
  ids.class3A = Number(must(/<a href="\/classes\/(\d+)">3e A<\/a>/, schoolPage, '3e A'));
  // a classmate of Léa, signed in after an administrator set a password
  const roster = (await who.admin.get(`/classes/${ids.class5B}`)).text;
  const mate = [...roster.matchAll(/<td><a href="\/people\/(\d+)">([^<]+)<\/a>/g)].find((m) => Number(m[1]) !== ids.lea);
  ids.mate = Number(mate[1]);
  const matePage = (await who.admin.get(`/people/${ids.mate}`)).text;
  const mateLogin = must(/<dd>([a-z0-9.]+)<\/dd>/, matePage, 'classmate login');
  who.mate = await signInAs(mateLogin, 'mate-password-1');
  const staffLogin = cli(s, ['user', 'list', '--role', 'staff']).stdout.split('\n')[1].split(/\s+/)[0];
  who.staff = await signInAs(staffLogin, 'staff-password-1');
  ids.staff = (await who.staff.json('GET', '/api/v1/me')).data.id;
});

after(async () => { await s.cleanup(); });

test('the demo inbox: a parent has the teacher\'s answer and the class broadcast, with a badge on every page', async () => {
  const html = await inbox(who.parent);
  const list = subjects(html).map((c) => c.subject);
  assert.ok(list.includes('Absence de Léa jeudi matin'), list.join(' | '));
  assert.ok(list.includes('5e B : autorisation de sortie au musée'), list.join(' | '));
  assert.ok(badge(html) >= 1, 'the broadcast is unread');
  assert.equal(badge((await who.parent.get('/timetable')).text), badge(html), 'the badge is on other pages too');
  // the pupil's note from the school life office
  assert.ok(subjects(await inbox(who.pupil)).some((c) => c.subject === 'Carnet de correspondance'));
});

test('the picker offers only whom one may write to', async () => {
  const pupilForm = (await who.pupil.get('/messages/new')).text;
  assert.match(pupilForm, new RegExp(`value="p:${ids.prof}"`), 'a pupil may write to their teacher');
  assert.match(pupilForm, new RegExp(`value="p:${ids.staff}"`), 'and to the staff');
  assert.doesNotMatch(pupilForm, new RegExp(`value="p:${ids.mate}"`), 'not to a classmate by default');
  assert.doesNotMatch(pupilForm, /value="c:\d+"/, 'and to no class');
  const teacherForm = (await who.teacher.get('/messages/new')).text;
  assert.match(teacherForm, new RegExp(`value="c:${ids.class5B}"`), 'a teacher broadcasts to a class they teach');
  assert.match(teacherForm, new RegExp(`value="cp:${ids.class5B}"`), 'and to its parents');
  // filtering keeps what was typed
  const filtered = await multipart(who.teacher, '/messages/new', { action: 'filter', filter: 'zzzz-nobody', subject: 'Sujet gardé', body: 'Texte gardé' });
  assert.equal(filtered.status, 200);
  assert.match(filtered.text, /value="Sujet gardé"/);
  assert.match(filtered.text, />Texte gardé<\/textarea>/);
  assert.doesNotMatch(filtered.text, /value="p:\d+"/);
});

test('a class broadcast reaches the class; replies go to the sender only', async () => {
  const before = badge(await inbox(who.mate));
  const r = await compose(who.teacher, { to: `c:${ids.class5B}`, subject: 'Contrôle de géométrie', body: 'Révisez le chapitre 4.' });
  assert.equal(r.status, 303, r.text.slice(0, 300));
  const sent = await who.teacher.get(r.headers.get('location'));
  assert.match(sent.text, /Message envoyé à \d+ personne/);
  const conv = await conversationId(who.mate, 'Contrôle de géométrie');
  assert.ok(conv, 'the classmate received it');
  assert.equal(badge(await inbox(who.mate)), before + 1);
  assert.ok(await conversationId(who.pupil, 'Contrôle de géométrie'), 'Léa received it');
  assert.equal(await conversationId(who.parent, 'Contrôle de géométrie'), 0, 'parents were not addressed');
  // opening it reads it
  const page = await who.mate.get(`/messages/${conv}`);
  assert.match(page.text, /Révisez le chapitre 4\./);
  assert.match(page.text, /name="private" value="1"/, 'the reply form is a private one');
  assert.equal(badge((await who.mate.get('/messages')).text), before);
  // a reply to all is refused, the text handed back
  const all = await multipart(who.mate, `/messages/${conv}/reply`, { body: 'Réponse à tous', key: 'kk-all-1' });
  assert.equal(all.status, 403);
  assert.match(all.text, />Réponse à tous<\/textarea>/);
  // a private reply opens a conversation with the teacher alone
  const priv = await multipart(who.mate, `/messages/${conv}/reply`, { body: 'Quelles pages ?', key: 'kk-priv-1', private: '1' });
  assert.equal(priv.status, 303, priv.text.slice(0, 300));
  const replyConv = Number(must(/\/messages\/(\d+)/, priv.headers.get('location'), 'private conversation'));
  assert.notEqual(replyConv, conv);
  assert.match((await who.teacher.get(`/messages/${replyConv}`)).text, /Quelles pages \?/);
  assert.equal((await who.pupil.get(`/messages/${replyConv}`)).status, 404, 'another pupil does not see it');
  // a second private reply continues the same conversation
  const again = await multipart(who.mate, `/messages/${conv}/reply`, { body: 'Et les exercices ?', key: 'kk-priv-2', private: '1' });
  assert.equal(Number(must(/\/messages\/(\d+)/, again.headers.get('location'), 'conversation')), replyConv);
});

test('the school\'s rules: refused by default with the text kept, allowed once the administrator switches them on', async () => {
  const refused = await compose(who.pupil, { to: `p:${ids.mate}`, subject: 'Devoir de groupe', body: 'On se retrouve au CDI ?' });
  assert.equal(refused.status, 403);
  assert.match(refused.text, /ne vous permettent pas d'écrire/);
  assert.match(refused.text, /value="Devoir de groupe"/);
  assert.match(refused.text, />On se retrouve au CDI \?<\/textarea>/);
  // only an administrator sees and changes the rules
  assert.equal((await who.teacher.get('/messages/rules')).status, 403);
  assert.equal((await who.teacher.post('/messages/rules', { school: ids.school, pupil_to_classmates: '1' })).status, 403);
  const form = await who.admin.get('/messages/rules');
  assert.equal(form.status, 200);
  assert.match(form.text, /name="pupil_to_teachers" value="1" checked/);
  assert.doesNotMatch(form.text, /name="pupil_to_classmates" value="1" checked/);
  const saved = await who.admin.post('/messages/rules', {
    school: ids.school, pupil_to_teachers: '1', pupil_to_staff: '1', pupil_to_classmates: '1', parent_to_teachers: '1', parent_to_staff: '1',
  });
  assert.equal(saved.status, 303);
  assert.match((await who.pupil.get('/messages/new')).text, new RegExp(`value="p:${ids.mate}"`), 'the picker follows the rules');
  const ok = await compose(who.pupil, { to: `p:${ids.mate}`, subject: 'Devoir de groupe', body: 'On se retrouve au CDI ?' });
  assert.equal(ok.status, 303, ok.text.slice(0, 300));
  assert.ok(await conversationId(who.mate, 'Devoir de groupe'));
  // switching it off again stops it
  await who.admin.post('/messages/rules', { school: ids.school, pupil_to_teachers: '1', pupil_to_staff: '1', parent_to_teachers: '1', parent_to_staff: '1' });
  assert.equal((await compose(who.pupil, { to: `p:${ids.mate}`, subject: 'Encore', body: 'x' })).status, 403);
  // a pupil cannot broadcast to a class, a parent cannot write to a pupil
  assert.equal((await compose(who.pupil, { to: `c:${ids.class5B}`, subject: 'Tous', body: 'x' })).status, 403);
  assert.equal((await compose(who.parent, { to: `p:${ids.mate}`, subject: 'Bonjour', body: 'x' })).status, 403);
  // a teacher cannot broadcast to a class they do not teach
  assert.equal((await compose(who.teacher, { to: `c:${ids.class3A}`, subject: 'Tous', body: 'x' })).status, 403);
});

test('attachments: stored, readable by members only, disguised files refused with the text kept', async () => {
  const r = await compose(who.parent, { to: `p:${ids.prof}`, subject: 'Certificat médical', body: 'Ci-joint le certificat.' },
    [{ name: 'certificat.pdf', type: 'application/pdf', data: pdf }]);
  assert.equal(r.status, 303, r.text.slice(0, 300));
  const conv = Number(must(/\/messages\/(\d+)/, r.headers.get('location'), 'conversation'));
  const page = (await who.teacher.get(`/messages/${conv}`)).text;
  const file = must(/href="\/files\/([0-9a-f]{32})">certificat\.pdf/, page, 'attachment link');
  const dl = await fetch(`${s.url}/files/${file}`, { headers: { cookie: who.teacher.cookieHeader() } });
  assert.equal(dl.status, 200);
  assert.equal(dl.headers.get('content-type'), 'application/pdf');
  assert.equal((await who.pupil.get(`/files/${file}`)).status, 404, 'not a member: no file');
  const html = Buffer.from('<html><script>alert(1)</script></html>');
  const bad = await compose(who.parent, { to: `p:${ids.prof}`, subject: 'Photo', body: 'Voici la photo.' },
    [{ name: 'photo.pdf', type: 'application/pdf', data: html }]);
  assert.equal(bad.status, 415);
  assert.match(bad.text, />Voici la photo\.<\/textarea>/);
  assert.equal(await conversationId(who.teacher, 'Photo'), 0, 'nothing was sent');
});

test('a retried send (same key) sends once', async () => {
  await who.teacher.get('/messages/new');
  const fields = { action: 'send', key: 'retry-key-0001', to: `p:${ids.lea}`, subject: 'Une seule fois', body: 'Bonjour Léa' };
  const first = await multipart(who.teacher, '/messages/new', fields);
  const second = await multipart(who.teacher, '/messages/new', fields);
  assert.equal(first.status, 303);
  assert.equal(second.status, 303);
  assert.match(second.headers.get('location'), /sent=again/);
  assert.equal(first.headers.get('location').split('?')[0], second.headers.get('location').split('?')[0]);
  const page = (await who.pupil.get(first.headers.get('location').split('?')[0])).text;
  assert.equal(page.match(/Bonjour Léa/g).length, 1);
  assert.equal(subjects(await inbox(who.pupil)).filter((c) => c.subject === 'Une seule fois').length, 1);
});

test('drafts are kept, reopened, and gone once sent', async () => {
  await who.parent.get('/messages/new');
  const saved = await multipart(who.parent, '/messages/new', { action: 'save', to: `p:${ids.prof}`, subject: 'Brouillon de parent', body: 'À finir' });
  assert.equal(saved.status, 200);
  assert.match(saved.text, /Brouillon enregistré/);
  const list = (await who.parent.get('/messages/drafts')).text;
  const draft = must(/href="\/messages\/new\?draft=(\d+)">Brouillon de parent/, list, 'draft');
  const reopened = (await who.parent.get(`/messages/new?draft=${draft}`)).text;
  assert.match(reopened, />À finir<\/textarea>/);
  assert.match(reopened, new RegExp(`value="p:${ids.prof}" checked`));
  assert.equal((await who.teacher.get(`/messages/new?draft=${draft}`)).status, 404, 'someone else\'s draft');
  const sent = await multipart(who.parent, '/messages/new', { action: 'send', key: 'draft-send-1', draft, to: `p:${ids.prof}`, subject: 'Brouillon de parent', body: 'À finir, fini.' });
  assert.equal(sent.status, 303, sent.text.slice(0, 300));
  assert.doesNotMatch((await who.parent.get('/messages/drafts')).text, /Brouillon de parent/);
});

test('archive, search, and someone else\'s conversation', async () => {
  const conv = await conversationId(who.pupil, 'Carnet de correspondance');
  assert.ok(conv);
  assert.equal((await who.pupil.post(`/messages/${conv}/archive`, { archived: '1' })).status, 303);
  assert.equal(await conversationId(who.pupil, 'Carnet de correspondance'), 0);
  assert.ok(subjects(await inbox(who.pupil, '?folder=archive')).some((c) => c.id === conv));
  assert.equal((await who.pupil.post(`/messages/${conv}/archive`, { archived: '0' })).status, 303);
  assert.ok(await conversationId(who.pupil, 'Carnet de correspondance'));
  // search by subject and by a member's name
  assert.deepEqual(subjects(await inbox(who.parent, '?q=Absence')).map((c) => c.subject), ['Absence de Léa jeudi matin']);
  assert.ok(subjects(await inbox(who.parent, '?q=benali')).length >= 1);
  assert.equal(subjects(await inbox(who.parent, '?q=%25%25')).length, 0, 'LIKE characters are literal');
  // not a member: 404 everywhere, nothing changes
  assert.equal((await who.mate.get(`/messages/${conv}`)).status, 404);
  assert.equal((await who.mate.post(`/messages/${conv}/archive`, { archived: '1' })).status, 404);
  assert.equal((await multipart(who.mate, `/messages/${conv}/reply`, { body: 'intrus', key: 'intrus-1' })).status, 404);
  assert.doesNotMatch((await who.pupil.get(`/messages/${conv}`)).text, /intrus/);
});

test('bad input: each refusal names the problem and keeps the text', async () => {
  const cases = [
    [{ to: '', subject: 'Sans destinataire', body: 'texte 1' }, 400, /Choisissez au moins un destinataire/],
    [{ to: 'x:1', subject: 'Mauvais destinataire', body: 'texte 2' }, 400, /inconnu/],
    [{ to: 'p:abc', subject: 'Mauvais destinataire', body: 'texte 3' }, 400, /inconnu/],
    [{ to: 'p:999999', subject: 'Inconnu', body: 'texte 4' }, 400, /inconnu/],
    [{ to: `p:${ids.prof}`, subject: '', body: 'texte 5' }, 400, /Indiquez un sujet/],
    [{ to: `p:${ids.prof}`, subject: 's'.repeat(201), body: 'texte 6' }, 400, /200 caractères/],
    [{ to: `p:${ids.prof}`, subject: 'Vide', body: '   ' }, 400, /Le message est vide/],
    [{ to: `p:${ids.prof}`, subject: 'Long', body: 'é'.repeat(20001) }, 400, /20 000 caractères/],
    [{ to: `p:${ids.prof}`, subject: 'Contrôle\u0007', body: 'texte 9' }, 400, /caractère de contrôle|invalides/],
  ];
  for (const [fields, status, message] of cases) {
    const r = await compose(who.parent, fields);
    assert.equal(r.status, status, JSON.stringify(fields).slice(0, 80));
    assert.match(r.text, message, JSON.stringify(fields).slice(0, 80));
    if (status === 400 && fields.body.length < 100 && !fields.subject.includes('\u0007')) {
      assert.ok(r.text.includes(`>${fields.body}</textarea>`), 'text kept');
    }
  }
  // a NUL byte in the body is refused by the multipart reader
  const nul = await compose(who.parent, { to: `p:${ids.prof}`, subject: 'Nul', body: 'a\u0000b' });
  assert.equal(nul.status, 400);
  // too many recipients
  const many = Array.from({ length: 51 }, (_, i) => `p:${i + 1}`).join(',');
  assert.equal((await compose(who.teacher, { to: many, subject: 'Trop', body: 'x' })).status, 400);
  // without the CSRF token nothing is sent
  const fd = new FormData();
  fd.append('to', `p:${ids.prof}`); fd.append('subject', 'Sans jeton'); fd.append('body', 'x'); fd.append('action', 'send');
  const noCsrf = await fetch(`${s.url}/messages/new`, { method: 'POST', body: fd, redirect: 'manual', headers: { cookie: who.parent.cookieHeader() } });
  assert.equal(noCsrf.status, 403);
  assert.equal(await conversationId(who.teacher, 'Sans jeton'), 0);
  // signed out: the sign-in page, nothing else
  const anon = await fetch(`${s.url}/messages`, { redirect: 'manual' });
  assert.ok([302, 303, 401].includes(anon.status), String(anon.status));
});

test('forward carries the text and the attachments to someone the author may write to', async () => {
  const conv = await conversationId(who.teacher, 'Certificat médical');
  const page = (await who.teacher.get(`/messages/${conv}`)).text;
  const messageId = must(/href="\/messages\/new\?forward=(\d+)"/, page, 'forward link');
  const form = (await who.teacher.get(`/messages/new?forward=${messageId}`)).text;
  assert.match(form, /value="Tr: Certificat médical"/);
  assert.match(form, /Ci-joint le certificat\./);
  const r = await multipart(who.teacher, '/messages/new', { action: 'send', key: 'fwd-1', forward: messageId, to: `p:${ids.staff}`, subject: 'Tr: Certificat médical', body: 'Pour information.' });
  assert.equal(r.status, 303, r.text.slice(0, 300));
  const fwd = (await who.staff.get(r.headers.get('location').split('?')[0])).text;
  assert.match(fwd, /certificat\.pdf/);
  // a message one cannot read cannot be forwarded
  const stolen = await multipart(who.mate, '/messages/new', { action: 'send', key: 'fwd-2', forward: messageId, to: `p:${ids.prof}`, subject: 'Vol', body: 'x' });
  assert.equal(stolen.status, 400);
});

test('report, moderation and blocking a sender', async () => {
  // the classmate reports the teacher's broadcast (as an example of a report)
  const conv = await conversationId(who.mate, 'Contrôle de géométrie');
  const page = (await who.mate.get(`/messages/${conv}`)).text;
  const messageId = must(/action="\/messages\/report\/(\d+)"/, page, 'report form');
  const rep = await who.mate.post(`/messages/report/${messageId}`, { reason: 'Test de signalement' });
  assert.equal(rep.status, 303);
  assert.match((await who.mate.get(rep.headers.get('location'))).text, /signalé/);
  const again = await who.mate.post(`/messages/report/${messageId}`, { reason: 'encore' });
  assert.match(again.headers.get('location'), /reported=again/);
  assert.equal((await who.parent.post(`/messages/report/${messageId}`, {})).status, 404, 'not a member');
  // the administrator sees it, reads the thread, blocks the sender
  assert.equal((await who.teacher.get('/messages/moderation')).status, 403);
  const mod = (await who.admin.get('/messages/moderation')).text;
  assert.match(mod, /Test de signalement/);
  assert.match((await who.admin.get(`/messages/moderation/conversations/${conv}`)).text, /Révisez le chapitre 4\./);
  const other = await conversationId(who.parent, 'Absence de Léa jeudi matin');
  assert.equal((await who.admin.get(`/messages/moderation/conversations/${other}`)).status, 404, 'only reported ones');
  assert.equal((await who.admin.post('/messages/moderation/block', { school: ids.school, person: ids.prof, blocked: '1' })).status, 303);
  const blocked = await compose(who.teacher, { to: `p:${ids.lea}`, subject: 'Bloqué', body: 'Texte du professeur bloqué' });
  assert.equal(blocked.status, 403);
  assert.match(blocked.text, />Texte du professeur bloqué<\/textarea>/);
  assert.match((await who.teacher.get('/messages')).text, /suspendu votre messagerie/);
  assert.equal((await who.admin.post('/messages/moderation/block', { school: ids.school, person: ids.prof, blocked: '0' })).status, 303);
  assert.equal((await compose(who.teacher, { to: `p:${ids.lea}`, subject: 'Débloqué', body: 'x' })).status, 303);
  // closing the report empties the list
  const reportId = must(/action="\/messages\/moderation\/reports\/(\d+)\/close"/, mod, 'close form');
  assert.equal((await who.admin.post(`/messages/moderation/reports/${reportId}/close`, { school: ids.school })).status, 303);
  assert.doesNotMatch((await who.admin.get('/messages/moderation')).text, /Test de signalement/);
});

test('paging through a long inbox loses nothing, even when conversations share a second', async () => {
  const csrf = (await who.staff.json('GET', '/api/v1/me')).data.csrf_token;
  await Promise.all(Array.from({ length: 35 }, (_, i) => who.staff.json('POST', '/api/v1/conversations',
    { to: [`p:${ids.mate}`], subject: `Page ${i}`, body: 'x' }, { 'x-csrf-token': csrf })));
  const seen = new Set();
  let path = '/messages';
  for (let pages = 0; path && pages < 10; pages++) {
    const html = (await who.mate.get(path)).text;
    for (const c of subjects(html)) if (/^Page \d+$/.test(c.subject)) seen.add(c.subject);
    const older = html.match(/href="(\/messages\?folder=&amp;q=&amp;before=[0-9.]+)"/);
    path = older ? older[1].replace(/&amp;/g, '&') : null;
  }
  assert.equal(seen.size, 35);
});
