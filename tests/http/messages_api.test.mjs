// The messaging API on the demo school: who may write to whom for every role,
// class broadcasts and private replies, idempotent retries, reading, folders,
// reports, contacts, notifications, and every bad input refused with nothing sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signIn, cli, Visitor } from './lib/server.mjs';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

let s;
const who = {}; // role -> signed-in Visitor
const ids = {}; // name -> id

function must(re, text, what) {
  const m = text.match(re);
  if (!m) throw new Error(`${what} not found`);
  return m[1];
}

// An API call; writes carry the session's CSRF token.
async function call(v, method, path, body, headers = {}) {
  if (method !== 'GET' && !v.token) v.token = (await v.json('GET', '/api/v1/me')).data.csrf_token;
  return v.json(method, path, body, method === 'GET' ? headers : { 'x-csrf-token': v.token, ...headers });
}
const send = (v, to, subject, body = 'Bonjour, ceci est un message de test.', extra = {}, headers = {}) =>
  call(v, 'POST', '/api/v1/conversations', { to, subject, body, ...extra }, headers);
const reply = (v, id, body, extra = {}, headers = {}) =>
  call(v, 'POST', `/api/v1/conversations/${id}/messages`, { body, ...extra }, headers);
const list = async (v, query = '') => (await call(v, 'GET', `/api/v1/conversations${query}`)).data;
const thread = (v, id) => call(v, 'GET', `/api/v1/conversations/${id}/messages`);
const find = async (v, subject, folder = 'inbox') =>
  (await list(v, `?folder=${folder}&q=${encodeURIComponent(subject)}`)).conversations.filter((c) => c.subject === subject);

// A raw JSON body (bytes a JSON.stringify could not produce).
async function rawPost(v, path, bytes, type = 'application/json') {
  if (!v.token) v.token = (await v.json('GET', '/api/v1/me')).data.csrf_token;
  const res = await fetch(v.url + path, {
    method: 'POST', body: bytes, redirect: 'manual',
    headers: { 'content-type': type, accept: 'application/json', cookie: v.cookieHeader(), 'x-csrf-token': v.token },
  });
  const text = await res.text();
  let data = null;
  try { data = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, data, text };
}

function refused(r, status, code, what) {
  assert.equal(r.status, status, `${what}: ${r.text.slice(0, 300)}`);
  assert.equal(r.data.error.code, code, what);
  assert.equal(r.data.error.status, status, what);
}

// A roster row: the pupil, their parents.
function roster(page) {
  return [...page.matchAll(/<tr><td><a href="\/people\/(\d+)">[^<]*<\/a><\/td><td>[^<]*<\/td><td>(.*?)<\/td><\/tr>/g)]
    .map((m) => ({ id: Number(m[1]), parents: [...m[2].matchAll(/\/people\/(\d+)/g)].map((p) => Number(p[1])) }));
}
const teachersOf = (page) => Object.fromEntries([...page.matchAll(/<li>([^<·]+) · ([^<]+)<\/li>/g)].map((m) => [m[1].trim(), m[2].trim()]));

before(async () => {
  s = await startServer();
  // a second school (and a teacher there), a staff member with a password
  const imp = cli(s, ['import', 'csv', FIXTURES + 'csv/good']);
  assert.equal(imp.code, 0, imp.stderr);
  const accounts = { staff: ['msg.staff', 'staff', '0999999F'], other: ['msg.other', 'teacher', '0999998E'] };
  for (const [login, role, uai] of Object.values(accounts)) {
    const r = cli(s, ['user', 'add', '--first', 'Compte', '--last', login, '--role', role, '--school', uai, '--login', login,
      '--password-stdin'], { input: 'messages-password-1\n' });
    assert.equal(r.code, 0, r.stderr);
  }
  for (const [k, [login]] of Object.entries(accounts)) who[k] = await signIn(s.url, login, 'messages-password-1');
  for (const [k, login] of [['pupil', 'demo.eleve'], ['parent', 'demo.parent'], ['teacher', 'demo.prof'], ['admin', 'demo.admin']])
    who[k] = await signIn(s.url, login);
  const me = async (v) => (await v.json('GET', '/api/v1/me')).data;
  for (const k of ['pupil', 'parent', 'teacher', 'admin', 'staff', 'other']) ids[k] = (await me(who[k])).id;
  ids.school = (await me(who.admin)).school.id;
  ids.otherSchool = (await me(who.other)).school.id;

  const admin = who.admin;
  const schoolPage = (await admin.get(`/admin/schools/${ids.school}`)).text;
  const classId = (name) => Number(must(new RegExp(`<a href="/classes/(\\d+)">${name}</a>`), schoolPage, name));
  ids.class5B = classId('5e B');
  ids.class4F = classId('4e F');
  ids.class3A = classId('3e A');
  const page5B = (await admin.get(`/classes/${ids.class5B}`)).text;
  const rows = roster(page5B);
  ids.class5BSize = rows.length;
  const mate = rows.find((p) => p.id !== ids.pupil && p.parents.length);
  ids.classmate = mate.id;
  ids.classmateParent = mate.parents[0];
  ids.pupil4F = roster((await admin.get(`/classes/${ids.class4F}`)).text)[0].id;
  // a maths teacher who teaches neither Léa (5e B) nor her brother (3e A): maths is taught to classes only
  const maths = 'Mathématiques';
  const mine = [teachersOf(page5B)[maths], teachersOf((await admin.get(`/classes/${ids.class3A}`)).text)[maths]];
  const everyone = (await call(admin, 'GET', '/api/v1/contacts')).data.contacts;
  const teacherIds = (name) => everyone.filter((c) => c.name === name && c.detail === 'teacher');
  for (const m of schoolPage.matchAll(/<a href="\/classes\/(\d+)">/g)) {
    const name = teachersOf((await admin.get(`/classes/${m[1]}`)).text)[maths];
    if (name && !mine.includes(name) && teacherIds(name).length === 1) {
      ids.otherTeacher = Number(teacherIds(name)[0].to.slice(2));
      break;
    }
  }
  assert.ok(ids.otherTeacher, 'a teacher of other classes');
  // the classmate signs in too (a password set from the command line)
  const login = must(/<dt>(?:Identifiant|Login)<\/dt><dd>([^<]+)<\/dd>/, (await admin.get(`/people/${ids.classmate}`)).text, 'login');
  assert.equal(cli(s, ['user', 'password', login], { input: 'classmate-password-1\n' }).code, 0);
  who.classmate = await signIn(s.url, login, 'classmate-password-1');
});

after(async () => { await s.cleanup(); });

test('the API is for signed-in people, and writes need the CSRF token', async () => {
  const anon = new Visitor(s.url);
  for (const [method, path] of [['GET', '/api/v1/conversations'], ['POST', '/api/v1/conversations'],
    ['GET', '/api/v1/conversations/1/messages'], ['POST', '/api/v1/conversations/1/messages'],
    ['POST', '/api/v1/conversations/1/archive'], ['POST', '/api/v1/messages/1/report'], ['GET', '/api/v1/contacts'],
    ['GET', '/api/v1/notifications'], ['POST', '/api/v1/notifications/seen']]) {
    const r = await anon.json(method, path, method === 'POST' ? {} : undefined);
    assert.equal(r.status, 401, `${method} ${path}`);
  }
  const r = await who.teacher.json('POST', '/api/v1/conversations', { to: [`p:${ids.pupil}`], subject: 'Sans jeton', body: 'x' });
  refused(r, 403, 'csrf', 'no CSRF token');
  assert.equal((await find(who.pupil, 'Sans jeton')).length, 0);
});

test('who may write to whom, for every role', async () => {
  const cases = [
    // pupils: their teachers and the staff
    ['pupil', ids.teacher, 201], ['pupil', ids.otherTeacher, 403], ['pupil', ids.staff, 201], ['pupil', ids.admin, 201],
    ['pupil', ids.classmate, 403], ['pupil', ids.classmateParent, 403], ['pupil', ids.parent, 403],
    // parents: their children's teachers and the staff
    ['parent', ids.teacher, 201], ['parent', ids.otherTeacher, 403], ['parent', ids.staff, 201],
    ['parent', ids.classmateParent, 403], ['parent', ids.classmate, 403],
    // teachers and staff: anyone in the school
    ['teacher', ids.classmateParent, 201], ['teacher', ids.otherTeacher, 201], ['teacher', ids.pupil4F, 201],
    ['teacher', ids.staff, 201], ['teacher', ids.parent, 201],
    ['staff', ids.pupil, 201], ['staff', ids.classmateParent, 201], ['staff', ids.otherTeacher, 201], ['staff', ids.pupil4F, 201],
  ];
  for (const [from, to, status] of cases) {
    const subject = `Règles ${from} vers ${to}`;
    const r = await send(who[from], [`p:${to}`], subject);
    const what = `${from} -> p:${to}`;
    if (status === 201) {
      assert.equal(r.status, 201, `${what}: ${r.text}`);
      assert.equal(r.data.recipients, 1);
      assert.equal(r.data.duplicate, false);
      assert.equal(r.headers.get('location'), `/api/v1/conversations/${r.data.conversation_id}/messages`);
    } else {
      refused(r, 403, 'recipient_not_allowed', what);
      assert.equal(r.data.error.culprit, `p:${to}`);
      assert.equal(r.data.error.detail, 'nothing was sent');
      assert.ok(r.data.error.message.includes(`p:${to}`), r.data.error.message);
    }
  }
  // what was allowed arrived; a refused list sends to nobody, even those allowed
  assert.equal((await find(who.teacher, 'Règles pupil vers ' + ids.teacher)).length, 1);
  const mixed = await send(who.pupil, [`p:${ids.teacher}`, `p:${ids.classmate}`], 'Liste mêlée');
  refused(mixed, 403, 'recipient_not_allowed', 'one recipient refused');
  assert.equal(mixed.data.error.culprit, `p:${ids.classmate}`);
  assert.equal((await find(who.teacher, 'Liste mêlée')).length, 0);
  // pupils and parents broadcast to nobody
  refused(await send(who.pupil, [`c:${ids.class5B}`], 'Toute la classe'), 403, 'recipient_not_allowed', 'pupil to a class');
  refused(await send(who.parent, [`cp:${ids.class5B}`], 'Tous les parents'), 403, 'recipient_not_allowed', 'parent to parents');
});

test('nobody writes to another school', async () => {
  for (const role of ['pupil', 'parent', 'teacher', 'staff', 'admin']) {
    const r = await send(who[role], [`p:${ids.other}`], 'Autre établissement');
    refused(r, 400, 'bad_recipient', `${role} to another school`);
    assert.equal(r.data.error.culprit, `p:${ids.other}`);
    // naming the other school does not help
    const r2 = await send(who[role], [`p:${ids.other}`], 'Autre établissement', 'x', { school_id: ids.otherSchool });
    refused(r2, 403, 'forbidden', `${role} in another school`);
  }
  // nor the other way round, and not to a class of another school
  refused(await send(who.other, [`p:${ids.pupil}`], 'Vers le collège démo'), 400, 'bad_recipient', 'other school to demo');
  refused(await send(who.other, [`c:${ids.class5B}`], 'Vers une classe'), 400, 'bad_recipient', 'other school to a class');
  assert.equal((await find(who.pupil, 'Vers le collège démo')).length, 0);
  assert.equal((await find(who.other, 'Autre établissement')).length, 0);
});

test('a pupil writes to a classmate only when the school allows it', async () => {
  const rules = (classmates) => who.admin.post('/messages/rules', {
    school: String(ids.school), pupil_to_teachers: '1', pupil_to_staff: '1', parent_to_teachers: '1', parent_to_staff: '1',
    ...(classmates ? { pupil_to_classmates: '1' } : {}),
  });
  refused(await send(who.pupil, [`p:${ids.classmate}`], 'Entre camarades'), 403, 'recipient_not_allowed', 'default');
  assert.ok(!(await call(who.pupil, 'GET', '/api/v1/contacts')).data.contacts.some((c) => c.to === `p:${ids.classmate}`));
  // a pupil may not change the rules
  assert.equal((await who.pupil.post('/messages/rules', { school: String(ids.school), pupil_to_classmates: '1' })).status, 403);
  const on = await rules(true);
  assert.ok([200, 303].includes(on.status), on.text.slice(0, 300));
  try {
    const r = await send(who.pupil, [`p:${ids.classmate}`], 'Entre camarades');
    assert.equal(r.status, 201, r.text);
    assert.equal((await find(who.classmate, 'Entre camarades')).length, 1);
    assert.ok((await call(who.pupil, 'GET', '/api/v1/contacts')).data.contacts.some((c) => c.to === `p:${ids.classmate}`));
    // a pupil of another class is still out of reach
    refused(await send(who.pupil, [`p:${ids.pupil4F}`], 'Autre classe'), 403, 'recipient_not_allowed', 'other class');
  } finally {
    const off = await rules(false);
    assert.ok([200, 303].includes(off.status));
  }
  refused(await send(who.pupil, [`p:${ids.classmate}`], 'Entre camarades, encore'), 403, 'recipient_not_allowed', 'off again');
});

test('a class broadcast: every pupil receives it, replies go privately to the sender', async () => {
  const unread = async (v) => (await list(v)).unread;
  const before = { pupil: await unread(who.pupil), classmate: await unread(who.classmate) };
  const subject = 'Sortie au musée : autorisation';
  const r = await send(who.teacher, [`c:${ids.class5B}`], subject, 'Merci de rapporter l\'autorisation signée.');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.data.recipients, ids.class5BSize, 'every pupil of the class');
  const broadcast = r.data.conversation_id;
  assert.equal(await unread(who.pupil), before.pupil + 1);
  assert.equal(await unread(who.classmate), before.classmate + 1);
  const [seen] = await find(who.pupil, subject);
  assert.equal(seen.id, broadcast);
  assert.equal(seen.broadcast, 'class');
  assert.equal(seen.broadcast_name, '5e B');
  assert.equal(seen.can_reply, false);
  assert.equal(seen.unread, 1);
  assert.equal(seen.members, null, 'the other recipients are not listed');
  assert.equal(seen.member_count, 7, 'counted up to 7: a broadcast has more');
  assert.equal((await find(who.teacher, subject, 'sent'))[0].can_reply, true);
  // no reply to all
  const all = await reply(who.pupil, broadcast, 'Réponse à toute la classe');
  refused(all, 403, 'cannot_reply', 'reply to all');
  assert.equal((await thread(who.classmate, broadcast)).data.messages.length, 1);
  // a private reply: a new conversation with the sender only
  const p1 = await reply(who.pupil, broadcast, 'Ma mère signera ce soir.', { private: true });
  assert.equal(p1.status, 201, p1.text);
  const privateId = p1.data.conversation_id;
  assert.notEqual(privateId, broadcast);
  const t = await thread(who.teacher, privateId);
  assert.equal(t.status, 200);
  assert.equal(t.data.conversation.reply_to_broadcast, broadcast);
  assert.equal(t.data.conversation.subject, `Re: ${subject}`);
  assert.equal(t.data.conversation.member_count, 2);
  assert.deepEqual(t.data.messages.map((m) => [m.author_id, m.body]), [[ids.pupil, 'Ma mère signera ce soir.']]);
  // the classmates do not see it
  assert.equal((await thread(who.classmate, privateId)).status, 404);
  assert.ok(!(await list(who.classmate)).conversations.some((c) => c.id === privateId));
  assert.equal((await thread(who.classmate, broadcast)).data.messages.length, 1);
  // a second private reply continues the same conversation; the teacher answers in it
  const p2 = await reply(who.pupil, broadcast, 'Et mon père aussi.', { private: true });
  assert.equal(p2.status, 201);
  assert.equal(p2.data.conversation_id, privateId);
  const back = await reply(who.teacher, privateId, 'Très bien, merci Léa.');
  assert.equal(back.status, 201, back.text);
  assert.equal(back.data.recipients, 1);
  const mine = (await list(who.pupil)).conversations.find((c) => c.id === privateId);
  assert.equal(mine.unread, 1);
  assert.equal(mine.can_reply, true);
  // the sender may write again to the whole class
  assert.equal((await reply(who.teacher, broadcast, 'Rappel : demain dernier délai.')).status, 201);
  assert.equal((await thread(who.classmate, broadcast)).data.messages.length, 2);
  // private is for a broadcast's recipients only
  const plain = (await send(who.teacher, [`p:${ids.pupil}`], 'Une conversation simple')).data.conversation_id;
  refused(await reply(who.pupil, plain, 'En privé ?', { private: true }), 403, 'cannot_reply', 'private on a plain conversation');
  refused(await reply(who.teacher, broadcast, 'À moi-même', { private: true }), 403, 'cannot_reply', 'the sender privately');
});

test('a broadcast to a class or its parents the teacher does not teach is refused', async () => {
  for (const to of [`c:${ids.class4F}`, `cp:${ids.class4F}`]) {
    const r = await send(who.teacher, [to], 'Classe d\'un collègue');
    refused(r, 403, 'recipient_not_allowed', to);
    assert.equal(r.data.error.culprit, to);
  }
  refused(await send(who.teacher, ['c:99999999'], 'Classe inconnue'), 400, 'bad_recipient', 'unknown class');
  assert.equal((await find(who.teacher, 'Classe d\'un collègue', 'sent')).length, 0);
  // the staff may address any class, and its parents
  const r = await send(who.staff, [`cp:${ids.class5B}`], 'Réunion des parents de 5e B');
  assert.equal(r.status, 201, r.text);
  assert.ok(r.data.recipients >= ids.class5BSize, 'the parents of the class');
  const [got] = await find(who.parent, 'Réunion des parents de 5e B');
  assert.equal(got.broadcast, 'class_parents');
  assert.equal(got.can_reply, false);
});

test('a retried send returns the first message and sends once', async () => {
  const subject = 'Envoi répété';
  const first = await send(who.teacher, [`p:${ids.pupil}`], subject, 'Une seule fois.', { idempotency_key: 'retry-1' });
  assert.equal(first.status, 201, first.text);
  const again = await send(who.teacher, [`p:${ids.pupil}`], subject, 'Une seule fois.', { idempotency_key: 'retry-1' });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.data.duplicate, true);
  assert.equal(again.data.conversation_id, first.data.conversation_id);
  assert.equal(again.data.message_id, first.data.message_id);
  const got = await find(who.pupil, subject);
  assert.equal(got.length, 1, 'one conversation');
  assert.equal(got[0].unread, 1, 'one message');
  assert.equal((await thread(who.pupil, got[0].id)).data.messages.length, 1);
  // the key may come as a header; the same key either way
  const h = await send(who.teacher, [`p:${ids.pupil}`], 'Clé en en-tête', 'x', {}, { 'idempotency-key': 'retry-2' });
  assert.equal(h.status, 201);
  const h2 = await send(who.teacher, [`p:${ids.pupil}`], 'Clé en en-tête', 'x', { idempotency_key: 'retry-2' });
  assert.equal(h2.status, 200);
  assert.equal(h2.data.message_id, h.data.message_id);
  refused(await send(who.teacher, [`p:${ids.pupil}`], 'Clés différentes', 'x', { idempotency_key: 'a' }, { 'idempotency-key': 'b' }),
    400, 'bad_idempotency_key', 'two different keys');
  // the same key is another author's own
  const other = await send(who.staff, [`p:${ids.pupil}`], 'Clé d\'un autre', 'x', { idempotency_key: 'retry-1' });
  assert.equal(other.status, 201);
  assert.notEqual(other.data.message_id, first.data.message_id);
  // concurrent retries: one message
  const racing = await Promise.all([1, 2, 3, 4].map(() =>
    send(who.teacher, [`p:${ids.pupil}`], 'Envois simultanés', 'Une fois.', { idempotency_key: 'race-1' })));
  assert.deepEqual(racing.map((x) => x.status).sort(), [200, 200, 200, 201]);
  assert.equal(new Set(racing.map((x) => x.data.message_id)).size, 1);
  const raced = await find(who.pupil, 'Envois simultanés');
  assert.equal(raced.length, 1);
  assert.equal((await thread(who.pupil, raced[0].id)).data.messages.length, 1);
  // replies too
  const r1 = await reply(who.pupil, got[0].id, 'Bien reçu.', { idempotency_key: 'reply-1' });
  const r2 = await reply(who.pupil, got[0].id, 'Bien reçu.', { idempotency_key: 'reply-1' });
  assert.deepEqual([r1.status, r2.status], [201, 200]);
  assert.equal(r2.data.message_id, r1.data.message_id);
  assert.equal((await thread(who.teacher, got[0].id)).data.messages.length, 2);
});

test('reading a conversation marks it read; someone else\'s is not found', async () => {
  const subject = 'À lire';
  const sent = await send(who.teacher, [`p:${ids.pupil}`], subject, 'Premier message.\nDeuxième ligne.');
  const id = sent.data.conversation_id;
  const total = (await list(who.pupil)).unread;
  const t = await thread(who.pupil, id);
  assert.equal(t.status, 200);
  assert.equal(t.data.conversation.unread, 0);
  assert.equal(t.data.conversation.id, id);
  assert.equal(t.data.conversation.can_reply, true);
  assert.equal(t.data.conversation.members, 'Nadia Benali');
  const [m] = t.data.messages;
  assert.equal(m.id, sent.data.message_id);
  assert.equal(m.author_id, ids.teacher);
  assert.equal(m.author_name, 'Nadia Benali');
  assert.equal(m.body, 'Premier message.\nDeuxième ligne.');
  assert.match(m.sent_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Math.abs(Date.parse(m.sent_at) - Date.now()) < 120e3);
  assert.equal(m.forwarded_from, null);
  assert.deepEqual(m.files, []);
  assert.equal((await list(who.pupil)).unread, total - 1);
  assert.equal((await find(who.pupil, subject))[0].unread, 0);
  // the sender's own view; someone else's conversation looks like none
  assert.equal((await thread(who.teacher, id)).status, 200);
  const msg = sent.data.message_id;
  for (const [method, path, body] of [['GET', `/api/v1/conversations/${id}/messages`], ['POST', `/api/v1/conversations/${id}/messages`, { body: 'Intrus' }],
    ['POST', `/api/v1/conversations/${id}/messages`, { body: 'Intrus', private: true }], ['POST', `/api/v1/conversations/${id}/archive`, { archived: true }],
    ['POST', `/api/v1/messages/${msg}/report`, {}], ['GET', '/api/v1/conversations/99999999/messages'],
    ['POST', '/api/v1/conversations/99999999/archive', { archived: true }], ['POST', '/api/v1/messages/99999999/report', {}]]) {
    refused(await call(who.classmate, method, path, body), 404, 'not_found', `${method} ${path}`);
  }
  assert.equal((await thread(who.teacher, id)).data.messages.length, 1, 'nothing was added');
  assert.equal((await call(who.pupil, 'GET', '/api/v1/conversations/abc/messages')).status, 404);
});

test('folders, search, paging and archiving', async () => {
  const a = (await send(who.teacher, [`p:${ids.pupil}`], 'Dossier alpha')).data.conversation_id;
  const b = (await send(who.teacher, [`p:${ids.pupil}`], 'Dossier bêta')).data.conversation_id;
  const inbox = await list(who.pupil);
  assert.equal(inbox.folder, 'inbox');
  assert.ok(inbox.conversations.some((c) => c.id === a) && inbox.conversations.some((c) => c.id === b));
  assert.equal(inbox.next_before, inbox.conversations.length === 30 ? inbox.conversations[29].last_message_at : null);
  for (const c of inbox.conversations) assert.match(c.last_message_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const sorted = inbox.conversations.map((c) => c.last_message_at);
  assert.deepEqual(sorted, [...sorted].sort().reverse(), 'newest first');
  // search by subject and by a member's name
  assert.deepEqual((await list(who.pupil, '?q=alpha')).conversations.map((c) => c.id), [a]);
  assert.ok((await list(who.pupil, '?q=Benali')).conversations.some((c) => c.id === b));
  assert.deepEqual((await list(who.pupil, '?q=' + encodeURIComponent('100%_sûr'))).conversations, []);
  // before: older ones only
  const old = (await list(who.pupil, '?before=2000-01-01T00:00:00Z')).conversations;
  assert.deepEqual(old, []);
  const all = (await list(who.pupil, '?before=2199-12-31T23:59:59Z')).conversations.map((c) => c.id);
  assert.ok(all.includes(a));
  // the sender's sent folder
  assert.ok((await list(who.teacher, '?folder=sent')).conversations.some((c) => c.id === a));
  assert.ok(!(await list(who.teacher, '?folder=inbox')).conversations.some((c) => c.id === a), 'no answer yet');
  // archiving
  const unreadBefore = (await list(who.pupil)).unread;
  const r = await call(who.pupil, 'POST', `/api/v1/conversations/${a}/archive`, { archived: true });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.data, { id: a, archived: true });
  assert.ok(!(await list(who.pupil)).conversations.some((c) => c.id === a));
  assert.ok((await list(who.pupil, '?folder=archive')).conversations.some((c) => c.id === a && c.archived));
  assert.equal((await list(who.pupil)).unread, unreadBefore - 1, 'archived unread messages leave the count');
  assert.ok((await list(who.teacher, '?folder=sent')).conversations.some((c) => c.id === a && !c.archived), 'only mine');
  // twice is fine; a new message brings it back
  assert.equal((await call(who.pupil, 'POST', `/api/v1/conversations/${a}/archive`, { archived: true })).status, 200);
  await reply(who.teacher, a, 'Une relance.');
  assert.ok((await list(who.pupil)).conversations.some((c) => c.id === a && !c.archived));
  await call(who.pupil, 'POST', `/api/v1/conversations/${b}/archive`, { archived: true });
  const un = await call(who.pupil, 'POST', `/api/v1/conversations/${b}/archive`, { archived: false });
  assert.deepEqual(un.data, { id: b, archived: false });
  assert.ok((await list(who.pupil)).conversations.some((c) => c.id === b));
});

test('reporting a message; a blocked sender reads but cannot write', async () => {
  const sent = await send(who.parent, [`p:${ids.teacher}`], 'Message à signaler', 'Un message déplacé.');
  assert.equal(sent.status, 201);
  const msg = sent.data.message_id;
  const r = await call(who.teacher, 'POST', `/api/v1/messages/${msg}/report`, { reason: 'Ton agressif' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.data, { message_id: msg, reported: true, already_reported: false });
  const again = await call(who.teacher, 'POST', `/api/v1/messages/${msg}/report`, {});
  assert.equal(again.status, 200);
  assert.equal(again.data.already_reported, true);
  refused(await call(who.parent, 'POST', `/api/v1/messages/${msg}/report`, { reason: 'x'.repeat(1001) }), 400, 'bad_input', 'long reason');
  refused(await call(who.parent, 'POST', `/api/v1/messages/${msg}/report`, { reason: 'a\u0007b' }), 400, 'bad_input', 'control character');
  refused(await call(who.parent, 'POST', `/api/v1/messages/${msg}/report`, { reason: 3 }), 400, 'bad_input', 'reason type');
  refused(await call(who.parent, 'POST', `/api/v1/messages/${msg}/report`, []), 400, 'bad_input', 'not an object');
  assert.equal((await call(who.parent, 'POST', `/api/v1/messages/${msg}/report`, { reason: null })).status, 201);
  // the administration sees it, and suspends the sender
  assert.match((await who.admin.get('/messages/moderation')).text, /Ton agressif/);
  const block = (on) => who.admin.post('/messages/moderation/block', { school: String(ids.school), person: String(ids.parent), blocked: on ? '1' : '0' });
  assert.equal((await block(true)).status, 303);
  try {
    refused(await send(who.parent, [`p:${ids.teacher}`], 'Après suspension'), 403, 'sender_blocked', 'new conversation');
    refused(await reply(who.parent, sent.data.conversation_id, 'Encore moi'), 403, 'sender_blocked', 'reply');
    assert.equal((await thread(who.parent, sent.data.conversation_id)).status, 200, 'reading is still allowed');
    assert.equal((await find(who.teacher, 'Après suspension')).length, 0);
  } finally {
    assert.equal((await block(false)).status, 303);
  }
  assert.equal((await send(who.parent, [`p:${ids.teacher}`], 'Après la levée')).status, 201);
});

test('contacts: what the recipient picker offers', async () => {
  const contacts = async (v, q = '') => (await call(v, 'GET', `/api/v1/contacts${q}`));
  const pupil = (await contacts(who.pupil)).data;
  assert.equal(pupil.school_id, ids.school);
  const to = pupil.contacts.map((c) => c.to);
  assert.ok(to.includes(`p:${ids.teacher}`) && to.includes(`p:${ids.staff}`));
  assert.ok(!to.includes(`p:${ids.otherTeacher}`) && !to.includes(`p:${ids.classmate}`) && !to.includes(`p:${ids.parent}`));
  assert.ok(to.every((t) => t.startsWith('p:')), 'a pupil broadcasts to nobody');
  const nadia = pupil.contacts.find((c) => c.to === `p:${ids.teacher}`);
  assert.deepEqual(nadia, { to: `p:${ids.teacher}`, name: 'Nadia Benali', detail: 'teacher' });
  // everything offered is accepted, in one send
  const r = await send(who.pupil, to, 'À toute mon équipe');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.data.recipients, to.length);
  const teacher = (await contacts(who.teacher)).data.contacts;
  const tto = teacher.map((c) => c.to);
  assert.ok(tto.includes(`c:${ids.class5B}`) && tto.includes(`cp:${ids.class5B}`) && !tto.includes(`c:${ids.class4F}`));
  assert.ok(tto.includes(`p:${ids.classmateParent}`) && tto.includes(`p:${ids.pupil4F}`));
  assert.equal(teacher.find((c) => c.to === `c:${ids.class5B}`).name, '5e B');
  const parent = (await contacts(who.parent)).data.contacts.map((c) => c.to);
  assert.ok(parent.includes(`p:${ids.teacher}`) && !parent.includes(`p:${ids.otherTeacher}`) && !parent.includes(`p:${ids.classmateParent}`));
  // their own school only
  assert.equal((await contacts(who.pupil, `?school_id=${ids.school}`)).status, 200);
  refused(await contacts(who.pupil, `?school_id=${ids.otherSchool}`), 403, 'forbidden', 'another school');
  for (const q of ['?school_id=abc', '?school_id=-1', '?school_id=0', '?school_id=1e3'])
    refused(await contacts(who.pupil, q), 400, 'bad_input', q);
  const other = (await contacts(who.other)).data;
  assert.equal(other.school_id, ids.otherSchool);
  assert.ok(!other.contacts.some((c) => c.to === `p:${ids.pupil}`));
});

test('notifications: the feed, the badge, marking them seen', async () => {
  const sent = await send(who.teacher, [`p:${ids.pupil}`], 'Pour la cloche', 'Un message qui notifie.');
  const feed = (await call(who.pupil, 'GET', '/api/v1/notifications')).data;
  const unread = (await list(who.pupil)).unread;
  assert.equal(feed.badge.messages, unread);
  const item = feed.items.find((i) => i.kind === 'message' && i.ref_id === sent.data.conversation_id);
  assert.ok(item, 'the new message is in the feed');
  assert.deepEqual({ ...item, at: undefined, text: undefined }, {
    kind: 'message', at: undefined, text: undefined, ref_id: sent.data.conversation_id, pupil_id: null, title: 'Pour la cloche',
    detail: 'Nadia Benali', count: 1, unseen: true, href: `/messages/${sent.data.conversation_id}`,
  });
  assert.match(item.text, /Nadia Benali.*Pour la cloche/);
  const hrefs = { message: /^\/messages\/\d+$/, homework: /^\/homework\/\d+$/, mark: /^\/pupils\/\d+\/grades$/,
    news: /^\/news\/\d+$/, absence: /^\/pupils\/\d+\/absences$/ };
  for (const i of feed.items) {
    assert.match(i.href, hrefs[i.kind], JSON.stringify(i));
    assert.ok(i.text.length > 0 && !i.text.includes('\n'), JSON.stringify(i));
    assert.match(i.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  const others = feed.items.filter((i) => i.kind !== 'message' && i.unseen).length;
  assert.ok(others > 0, 'the demo pupil has news and more');
  assert.equal(feed.badge.notifications, others);
  // the links lead to pages she may open
  // (not a conversation's: opening it would read it)
  for (const i of feed.items.filter((x) => x.kind !== 'message').slice(0, 6)) {
    assert.equal((await who.pupil.get(i.href)).status, 200, i.href);
  }
  // seen: the feed keeps its items, only unread messages stay new
  refused(await who.pupil.json('POST', '/api/v1/notifications/seen', {}), 403, 'csrf', 'seen without token');
  const seen = await call(who.pupil, 'POST', '/api/v1/notifications/seen', {});
  assert.equal(seen.status, 200, seen.text);
  assert.match(seen.data.seen_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const after = (await call(who.pupil, 'GET', '/api/v1/notifications')).data;
  assert.equal(after.seen_at, seen.data.seen_at);
  const key = (i) => `${i.kind}:${i.ref_id}:${i.pupil_id}`;
  const kept = new Set(after.items.map(key));
  assert.deepEqual(feed.items.filter((i) => !kept.has(key(i))), [], 'seen keeps every item');
  // (the demo stamps some of today's marks later in the day: those stay new until then)
  const newer = (i) => Date.parse(i.at) > Date.parse(after.seen_at);
  for (const i of after.items) assert.equal(i.unseen, i.kind === 'message' || newer(i), JSON.stringify(i));
  const still = after.items.filter((i) => i.kind !== 'message' && newer(i)).length;
  assert.ok(still < others, 'what was there is seen');
  assert.deepEqual(seen.data.badge, { messages: unread, notifications: still });
  assert.deepEqual(after.badge, seen.data.badge);
  // reading the message takes it off the badge
  await thread(who.pupil, sent.data.conversation_id);
  const badge = (await call(who.pupil, 'GET', '/api/v1/notifications')).data.badge;
  assert.equal(badge.messages, unread - 1);
  assert.ok(!(await call(who.pupil, 'GET', '/api/v1/notifications')).data.items.some((i) => i.ref_id === sent.data.conversation_id && i.kind === 'message'));
  // a parent's feed is about her children
  const pf = (await call(who.parent, 'GET', '/api/v1/notifications')).data;
  const children = pf.items.filter((x) => x.pupil_id !== null);
  assert.ok(children.length > 0);
  for (const i of children) {
    assert.ok(i.href.includes(String(i.pupil_id)) || i.kind === 'homework', i.href);
    assert.match(i.text, /^(Léa|Hugo)\b/, 'whose it is');
  }
  // English
  const en = (await call(who.pupil, 'GET', '/api/v1/notifications', undefined, { cookie: who.pupil.cookieHeader() + '; lang=en' })).data;
  assert.notEqual(en.items.find((i) => i.kind === 'news').text, feed.items.find((i) => i.kind === 'news').text);
  refused(await rawPost(who.pupil, '/api/v1/notifications/seen', ''), 400, 'bad_json', 'no body');
});

test('bad input is refused and nothing is sent', async () => {
  const marker = 'Brouillon refusé';
  const to = [`p:${ids.pupil}`];
  const ok = { to, subject: marker, body: 'Un texte correct.' };
  const post = (body) => call(who.teacher, 'POST', '/api/v1/conversations', body);
  const cases = [
    [{ ...ok, body: '' }, 400, 'body_empty'],
    [{ ...ok, body: ' \n\t ' }, 400, 'body_empty'],
    [{ ...ok, body: 'x'.repeat(20001) }, 400, 'body_too_long'],
    [{ ...ok, body: 'é'.repeat(20001) }, 400, 'body_too_long'],
    [{ ...ok, subject: '' }, 400, 'subject_empty'],
    [{ ...ok, subject: '   ' }, 400, 'subject_empty'],
    [{ ...ok, subject: 'S'.repeat(201) }, 400, 'subject_too_long'],
    [{ ...ok, subject: 'a\nb' }, 400, 'bad_text'],
    [{ ...ok, body: 'bip\u0007' }, 400, 'bad_text'],
    [{ ...ok, subject: 'x\u001b[31m' }, 400, 'bad_text'],
    [{ ...ok, to: [] }, 400, 'no_recipient'],
    [{ ...ok, to: ['x:1'] }, 400, 'bad_recipient', 'x:1'],
    [{ ...ok, to: ['p:abc'] }, 400, 'bad_recipient', 'p:abc'],
    [{ ...ok, to: ['p:-1'] }, 400, 'bad_recipient', 'p:-1'],
    [{ ...ok, to: ['p:0'] }, 400, 'bad_recipient', 'p:0'],
    [{ ...ok, to: ['p:'] }, 400, 'bad_recipient', 'p:'],
    [{ ...ok, to: [''] }, 400, 'bad_recipient', ''],
    [{ ...ok, to: ['P:12'] }, 400, 'bad_recipient', 'P:12'],
    [{ ...ok, to: [`p:${ids.pupil},p:${ids.parent}`] }, 400, 'bad_recipient', `p:${ids.pupil},p:${ids.parent}`],
    [{ ...ok, to: ['p:1234567890123456789'] }, 400, 'bad_recipient', 'p:1234567890123456789'],
    [{ ...ok, to: ['p:' + '9'.repeat(40)] }, 400, 'bad_recipient', undefined],
    [{ ...ok, to: ['p:99999999'] }, 400, 'bad_recipient', 'p:99999999'],
    [{ ...ok, to: [`p:${ids.teacher}`] }, 400, 'bad_recipient', `p:${ids.teacher}`],
    [{ ...ok, to: [...to, 'g:99999999'] }, 400, 'bad_recipient', 'g:99999999'],
    [{ ...ok, idempotency_key: 'with space' }, 400, 'bad_idempotency_key'],
    [{ ...ok, idempotency_key: 'k'.repeat(101) }, 400, 'bad_idempotency_key'],
    [{ ...ok, idempotency_key: 'clé' }, 400, 'bad_idempotency_key'],
    [{ ...ok, to: `p:${ids.pupil}` }, 400, 'bad_input'],
    [{ ...ok, to: [ids.pupil] }, 400, 'bad_input'],
    [{ ...ok, to: null }, 400, 'bad_input'],
    [{ ...ok, to: undefined }, 400, 'bad_input'],
    [{ ...ok, subject: 3 }, 400, 'bad_input'],
    [{ ...ok, subject: undefined }, 400, 'bad_input'],
    [{ ...ok, body: null }, 400, 'bad_input'],
    [{ ...ok, body: ['a'] }, 400, 'bad_input'],
    [{ ...ok, school_id: String(ids.school) }, 400, 'bad_input'],
    [{ ...ok, school_id: 1.5 }, 400, 'bad_input'],
    [{ ...ok, idempotency_key: 5 }, 400, 'bad_input'],
    [[ok], 400, 'bad_input'],
    ['just a string', 400, 'bad_json'],
    [42, 400, 'bad_json'],
  ];
  for (const [body, status, code, culprit] of cases) {
    const what = JSON.stringify(body).slice(0, 90);
    const r = await post(body);
    refused(r, status, code, what);
    if (code === 'bad_recipient' || code === 'recipient_not_allowed') assert.equal(r.data.error.culprit, culprit, what);
    else assert.equal(r.data.error.culprit, undefined, what);
  }
  // too many recipients: 51 people (duplicates count once)
  const people = (await call(who.teacher, 'GET', '/api/v1/contacts')).data.contacts.filter((c) => c.to.startsWith('p:')).map((c) => c.to);
  refused(await post({ ...ok, to: people.slice(0, 51) }), 400, 'too_many_recipients', '51 recipients');
  refused(await post({ ...ok, to: people.slice(0, 2000) }), 400, 'too_many_recipients', '2000 recipients');
  // raw bodies: NUL, invalid UTF-8, malformed JSON, the wrong type
  const raw = (text) => rawPost(who.teacher, '/api/v1/conversations', text);
  const json = JSON.stringify(ok);
  refused(await raw(json.replace('Un texte', 'Un\\u0000texte')), 400, 'bad_json', 'NUL escaped');
  refused(await raw(Buffer.from(json.replace('Un texte', 'Un\u0000texte'))), 400, 'bad_json', 'NUL byte');
  refused(await raw(Buffer.concat([Buffer.from(json.slice(0, -2)), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])), 400, 'bad_json', 'invalid UTF-8');
  refused(await raw(Buffer.concat([Buffer.from(json.slice(0, -2)), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])), 400, 'bad_json', 'a surrogate');
  refused(await raw('{"to": ['), 400, 'bad_json', 'truncated');
  refused(await raw(json.replace('}', ', "to": []}')), 400, 'bad_json', 'duplicate key');
  refused(await raw(''), 400, 'bad_json', 'empty');
  assert.equal((await rawPost(who.teacher, '/api/v1/conversations', json, 'text/plain')).status, 415);
  assert.equal((await rawPost(who.teacher, '/api/v1/conversations', 'x'.repeat(2 << 20))).status, 413);
  // nothing of that reached anyone
  assert.equal((await find(who.pupil, marker)).length, 0);
  assert.equal((await find(who.teacher, marker, 'sent')).length, 0);
  // the limits themselves are accepted
  const edge = await post({ ...ok, subject: 'é'.repeat(200), body: 'é'.repeat(20000), idempotency_key: 'k'.repeat(100) });
  assert.equal(edge.status, 201, edge.text);
  const got = await thread(who.pupil, edge.data.conversation_id);
  assert.equal(got.data.messages[0].body, 'é'.repeat(20000));
  const preview = got.data.conversation.preview;
  assert.ok(preview.startsWith('é'.repeat(100)) && preview.length <= 141, 'a short preview');

  // replies
  const conv = edge.data.conversation_id;
  const answer = (body) => call(who.pupil, 'POST', `/api/v1/conversations/${conv}/messages`, body);
  for (const [body, code] of [[{ body: '' }, 'body_empty'], [{ body: 'x'.repeat(20001) }, 'body_too_long'], [{ body: '\u0001' }, 'bad_text'],
    [{ body: 'ok', idempotency_key: 'a b' }, 'bad_idempotency_key'], [{}, 'bad_input'], [{ body: 5 }, 'bad_input'],
    [{ body: 'ok', private: 'yes' }, 'bad_input'], [{ body: 'ok', private: 1 }, 'bad_input'], [[], 'bad_input']])
    refused(await answer(body), 400, code, JSON.stringify(body).slice(0, 60));
  assert.equal((await thread(who.pupil, conv)).data.messages.length, 1);
  assert.equal((await answer({ body: 'Réponse correcte', private: false })).status, 201);
  assert.equal((await answer({ body: 'Réponse correcte', private: null })).status, 201);
  // archive
  const archive = (body) => call(who.pupil, 'POST', `/api/v1/conversations/${conv}/archive`, body);
  for (const body of [{}, { archived: 'true' }, { archived: 1 }, { archived: null }, []])
    refused(await archive(body), 400, 'bad_input', JSON.stringify(body));
  // list queries
  for (const q of ['?folder=trash', '?folder=INBOX', `?q=${'q'.repeat(101)}`, '?before=hier', '?before=2026-02-30T00:00:00Z',
    '?before=2026-01-01T24:00:00Z', '?before=2026-01-01 08:00:00', '?before=1767254400', '?q=%FF', '?q=%00'])
    refused(await call(who.pupil, 'GET', `/api/v1/conversations${q}`), 400, 'bad_input', q);
  assert.equal((await call(who.pupil, 'GET', `/api/v1/conversations?q=${'é'.repeat(100)}`)).status, 200);
});
