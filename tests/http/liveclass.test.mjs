// Live classes: scheduling (web and API), who comes in straight and who waits
// (every role, guests admitted/refused, a locked room), reconnects, the order of
// events, bad input over the room's WebSocket, the page without JavaScript, and
// attendance feeding the roll call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, Visitor, signIn, cli } from './lib/server.mjs';
import { wsOpen, frame, OP } from './lib/websocket.mjs';

let s;
const who = {};
const ids = {};
let live; // the maths live class of demo.prof for 5e B, open now

function userList(args) {
  const r = cli(s, ['user', 'list', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0]);
}

async function withPassword(login) {
  const r = cli(s, ['user', 'password', login], { input: 'liveclass-password\n' });
  assert.equal(r.code, 0, r.stderr);
  return signIn(s.url, login, 'liveclass-password');
}

async function schedule(v, fields) {
  return v.json('POST', '/api/v1/live-classes', fields, { 'x-csrf-token': v.csrfToken });
}

// Opens the room's socket and returns { ws, welcome } (or the refusal).
async function join(v, id = live.id, opts = {}) {
  const r = await wsOpen(s.url, `/live/${id}/socket`, { cookie: v.cookieHeader(), ...opts });
  if (r.status !== 101) return r;
  const first = await r.ws.next();
  return { ws: r.ws, first, status: 101 };
}

// Every message of a socket from the welcome on, by type.
function ofType(ws, type) {
  return ws.messages.map((m) => JSON.parse(m)).filter((m) => m.type === type);
}

before(async () => {
  s = await startServer();
  who.pupil = await signIn(s.url, 'demo.eleve');
  who.parent = await signIn(s.url, 'demo.parent');
  who.teacher = await signIn(s.url, 'demo.prof');
  who.admin = await signIn(s.url, 'demo.admin');
  for (const v of Object.values(who)) v.csrfToken = (await v.json('GET', '/api/v1/me')).data.csrf_token;
  const me = async (v) => (await v.json('GET', '/api/v1/me')).data;
  ids.pupil = (await me(who.pupil)).id;
  ids.teacher = (await me(who.teacher)).id;
  const g = await who.pupil.json('GET', '/api/v1/grades?term=1');
  ids.maths = g.data.subjects.find((x) => x.teacher === 'Nadia Benali').marks[0].teaching_id;
  // Another teaching of demo.prof's, not of the pupil's class, and people outside this one.
  const schoolPage = (await who.admin.get(`/admin/schools/${(await me(who.admin)).school.id}`)).text;
  const class4F = schoolPage.match(/<a href="\/classes\/(\d+)">4e F<\/a>/)[1];
  const strangerId = (await who.admin.get(`/classes/${class4F}`)).text.match(/<td><a href="\/people\/(\d+)">/)[1];
  const strangerLogin = (await who.admin.get(`/people/${strangerId}`)).text.match(/<dd><code>([a-z0-9.-]+)<\/code>/)?.[1]
    ?? userList(['--role', 'pupil', '--search', (await who.admin.get(`/people/${strangerId}`)).text.match(/<h1>([^<]+)<\/h1>/)[1].split(' ').pop()])[0];
  who.stranger = await withPassword(strangerLogin);
  const r = cli(s, ['user', 'add', '--first', 'Other', '--last', 'Teacher', '--role', 'teacher', '--school', '0999999F',
    '--login', 'other.teacher', '--password-stdin'], { input: 'liveclass-password\n' });
  assert.equal(r.code, 0, r.stderr);
  who.otherTeacher = await signIn(s.url, 'other.teacher', 'liveclass-password');
  for (const v of [who.stranger, who.otherTeacher]) v.csrfToken = (await v.json('GET', '/api/v1/me')).data.csrf_token;
  const now = Math.floor(Date.now() / 1000);
  const created = await schedule(who.teacher, { teaching_id: ids.maths, starts_at: now, minutes: 60, title: 'Fractions en direct' });
  assert.equal(created.status, 201, created.text);
  live = created.data;
});

after(async () => { await s.cleanup(); });

test('scheduling through the API: the teacher (201, guest link), nobody else, and every bad input', async () => {
  assert.equal(live.title, 'Fractions en direct');
  assert.equal(live.joinable, true);
  assert.match(live.guest_url, /^\/live\/guest\/[A-Za-z0-9_-]{22}$/);
  const now = Math.floor(Date.now() / 1000);
  const good = { teaching_id: ids.maths, starts_at: now + 3600, minutes: 55, title: 'Révisions' };
  for (const v of [who.pupil, who.parent, who.otherTeacher, who.stranger]) {
    const r = await schedule(v, good);
    assert.equal(r.status, 403, r.text);
  }
  const bad = [
    [{ ...good, title: '' }, 'title_empty'], [{ ...good, title: 'x'.repeat(201) }, 'title_too_long'],
    [{ ...good, title: 'a\u0007b' }, 'bad_text'], [{ ...good, title: 'deux\nlignes' }, 'bad_text'],
    [{ ...good, minutes: 4 }, 'bad_length'], [{ ...good, minutes: 241 }, 'bad_length'],
    [{ ...good, starts_at: now - 7200 }, 'bad_time'], [{ ...good, starts_at: now + 400 * 86400 }, 'bad_time'],
    [{ ...good, slot_id: 999999 }, 'bad_slot'],
  ];
  for (const [body, code] of bad) {
    const r = await schedule(who.teacher, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.data.error.detail, code, r.text);
  }
  const nul = await schedule(who.teacher, { ...good, title: 'a\u0000b' });
  assert.equal(nul.status, 400);
  assert.equal(nul.data.error.code, 'bad_json');
  assert.equal((await schedule(who.teacher, { ...good, teaching_id: 999999 })).status, 403);
  const shapeless = await schedule(who.teacher, { teaching_id: String(ids.maths), starts_at: now });
  assert.equal(shapeless.status, 400);
  const notJson = await fetch(s.url + '/api/v1/live-classes', { method: 'POST', body: '{', headers: {
    'content-type': 'application/json', cookie: who.teacher.cookieHeader(), 'x-csrf-token': who.teacher.csrfToken } });
  assert.equal(notJson.status, 400);
  // Nothing was written by the refusals: the list holds the one good class only (and the 201 of before).
  const list = await who.teacher.json('GET', '/api/v1/live-classes');
  assert.equal(list.data.live_classes.filter((l) => l.title === 'Révisions').length, 0);
});

test('the pupil and the parent see it on "today" with a join button; the class next door does not', async () => {
  const page = (await who.pupil.get('/')).text;
  assert.match(page, new RegExp(`<a class="button" href="/live/${live.id}">`), 'join button');
  for (const v of [who.pupil, who.parent]) {
    const list = await v.json('GET', '/api/v1/live-classes');
    assert.ok(list.data.live_classes.some((l) => l.id === live.id && l.joinable && !l.guest_url));
  }
  assert.doesNotMatch((await who.stranger.get('/')).text, new RegExp(`/live/${live.id}"`));
  assert.ok(!(await who.stranger.json('GET', '/api/v1/live-classes')).data.live_classes.some((l) => l.id === live.id));
});

test('scheduling through the form keeps what was typed on a refusal, and lands on the room', async () => {
  const form = await who.teacher.get(`/live?teaching=${ids.maths}&day=2026-12-01&start=10:00&minutes=55`);
  assert.equal(form.status, 200);
  assert.match(form.text, /name="start" type="time" required value="10:00"/);
  const refused = await who.teacher.post('/live', { teaching: ids.maths, title: 'Chimie', day: 'demain', start: '10:00', minutes: '55' });
  assert.equal(refused.status, 400);
  assert.match(refused.text, /value="Chimie"/);
  const day = new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10);
  const ok = await who.teacher.post('/live', { teaching: ids.maths, title: 'Chimie', day, start: '10:00', minutes: '55' });
  assert.equal(ok.status, 303, ok.text);
  const room = await who.teacher.get(ok.headers.get('location'));
  assert.match(room.text, /La classe virtuelle est programmée/);
  assert.match(room.text, /La salle ouvre le/); // not open yet: a date, no chat
  assert.doesNotMatch(room.text, /id="chat-form"/);
  const pupilSocket = await join(who.pupil, Number(ok.headers.get('location').match(/\d+/)[0]));
  assert.equal(pupilSocket.status, 409);
  assert.equal((await who.pupil.post('/live', { teaching: ids.maths, title: 'x', day, start: '10:00', minutes: '55' })).status, 403);
});

test('who comes in straight: host, pupil, parent (named as such), admin; who is refused', async () => {
  const t = await join(who.teacher);
  assert.equal(t.first.type, 'welcome');
  assert.equal(t.first.you.role, 'host');
  const p = await join(who.pupil);
  assert.equal(p.first.you.role, 'participant');
  const par = await join(who.parent);
  assert.equal(par.first.you.role, 'participant');
  assert.match(par.first.you.name, /\(parent de .+\)$/);
  const a = await join(who.admin);
  assert.equal(a.first.you.role, 'host');
  assert.ok(a.first.room.participants.some((x) => x.id === ids.pupil));
  // no lobby for anyone enrolled: each was welcomed at once
  for (const c of [t, p, par, a]) assert.equal(ofType(c.ws, 'lobby_wait').length, 0);
  assert.equal((await join(who.stranger)).status, 403);
  assert.equal((await join(who.otherTeacher)).status, 403);
  assert.equal((await join(new Visitor(s.url))).status, 401);
  assert.equal((await join(who.pupil, 999999)).status, 404);
  assert.equal((await join(who.pupil, live.id, { origin: 'http://evil.example' })).status, 403);
  assert.equal((await who.stranger.get(`/live/${live.id}`)).status, 403);
  assert.equal((await who.stranger.post(`/live/${live.id}/chat`, { text: 'intrus' })).status, 403);
  // the room and its sockets show in /metrics
  const metrics = await (await fetch(s.url + '/metrics')).text();
  assert.match(metrics, /^cartable_live_rooms [1-9]/m);
  assert.match(metrics, /^cartable_live_room_sockets [4-9]/m);
  assert.match(metrics, /^cartable_live_room_events_total [1-9]/m);
  for (const c of [t, p, par, a]) c.ws.close();
});

test('events reach everyone in the same order, with no gap in seq', async () => {
  const clients = [await join(who.teacher), await join(who.pupil), await join(who.parent)];
  const sends = [];
  for (let i = 0; i < 20; i++)
    for (const [k, c] of clients.entries()) sends.push(c.ws.sendJson({ type: 'chat', text: `m${k}-${i}` }));
  for (const c of clients)
    await c.ws.until(() => ofType(c.ws, 'chat').filter((m) => /^m\d-\d+$/.test(m.text)).length >= 60, { what: '60 chats' });
  const orders = clients.map((c) => ofType(c.ws, 'chat').filter((m) => /^m\d-\d+$/.test(m.text)).map((m) => `${m.seq}:${m.text}`));
  assert.deepEqual(orders[1], orders[0]);
  assert.deepEqual(orders[2], orders[0]);
  for (const c of clients) {
    const seqs = c.ws.messages.map((m) => JSON.parse(m)).filter((m) => typeof m.seq === 'number' && m.type !== 'welcome').map((m) => m.seq);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `seq gap after ${seqs[i - 1]}`);
    assert.equal(seqs[0], c.first.seq + 1);
  }
  // each sender's own messages keep their order
  for (let k = 0; k < 3; k++) {
    const mine = orders[0].map((x) => x.split(':')[1]).filter((x) => x.startsWith(`m${k}-`));
    assert.deepEqual(mine, Array.from({ length: 20 }, (_, i) => `m${k}-${i}`));
  }
  for (const c of clients) c.ws.close();
});

test('a message to the teacher reaches the hosts and its sender; the others see only its seq go by', async () => {
  const t = await join(who.teacher), p = await join(who.pupil), par = await join(who.parent);
  p.ws.sendJson({ type: 'chat', text: 'question privée', to: 'hosts' });
  const got = await t.ws.until(() => ofType(t.ws, 'chat').find((m) => m.text === 'question privée'));
  assert.equal(got.to, 'hosts');
  await p.ws.until(() => ofType(p.ws, 'chat').find((m) => m.text === 'question privée'));
  await par.ws.until(() => ofType(par.ws, 'skip').find((m) => m.seq === got.seq));
  assert.ok(!par.ws.messages.some((m) => m.includes('question privée')));
  // and in a later welcome, and on the plain page, the same rule
  const again = await join(who.parent);
  assert.ok(!JSON.stringify(again.first).includes('question privée'));
  assert.doesNotMatch((await who.parent.get(`/live/${live.id}`)).text, /question privée/);
  assert.match((await who.teacher.get(`/live/${live.id}`)).text, /question privée/);
  for (const c of [t, p, par, again]) c.ws.close();
});

test('hands, reactions, polls with live results, the note; a reconnection finds its hand and vote again', async () => {
  const t = await join(who.teacher), p = await join(who.pupil);
  p.ws.sendJson({ type: 'hand', up: true });
  await t.ws.until(() => ofType(t.ws, 'hand').find((m) => m.person === ids.pupil && m.up));
  p.ws.sendJson({ type: 'reaction', emoji: '👍' });
  await t.ws.until(() => ofType(t.ws, 'reaction').find((m) => m.person === ids.pupil && m.emoji === '👍'));
  t.ws.sendJson({ type: 'poll_open', question: 'Combien font 1/2 + 1/4 ?', choices: ['3/4', '2/6', '1'] });
  const opened = await p.ws.until(() => ofType(p.ws, 'poll').find((m) => m.poll.open));
  p.ws.sendJson({ type: 'vote', poll: opened.poll.id, choice: 0 });
  const counted = await t.ws.until(() => ofType(t.ws, 'poll').find((m) => m.poll.counts[0] === 1));
  assert.deepEqual(counted.poll.counts, [1, 0, 0]);
  t.ws.sendJson({ type: 'note', text: 'Page 42, exercice 3' });
  await p.ws.until(() => ofType(p.ws, 'note').find((m) => m.text === 'Page 42, exercice 3'));
  // the network drops: the pupil comes back where they were
  p.ws.destroy();
  await t.ws.until(() => ofType(t.ws, 'left').find((m) => m.person.id === ids.pupil));
  const back = await join(who.pupil);
  const meThere = back.first.room.participants.find((x) => x.id === ids.pupil);
  assert.equal(meThere.hand, true);
  assert.equal(back.first.room.my_vote, 0);
  assert.deepEqual(back.first.room.poll.counts, [1, 0, 0]);
  assert.equal(back.first.room.note, 'Page 42, exercice 3');
  // a second tab is the same participant: one presence, votes not doubled
  const tab = await join(who.pupil);
  tab.ws.sendJson({ type: 'vote', poll: opened.poll.id, choice: 2 });
  const changed = await t.ws.until(() => ofType(t.ws, 'poll').find((m) => m.poll.counts[2] === 1));
  assert.deepEqual(changed.poll.counts, [0, 0, 1]);
  assert.equal(tab.first.room.participants.filter((x) => x.id === ids.pupil).length, 1);
  t.ws.sendJson({ type: 'poll_close' });
  await back.ws.until(() => ofType(back.ws, 'poll').find((m) => !m.poll.open));
  back.ws.sendJson({ type: 'vote', poll: opened.poll.id, choice: 1 });
  await back.ws.until(() => ofType(back.ws, 'error').find((m) => m.code === 'bad_value'));
  p.ws.sendJson({ type: 'hand', up: false });
  for (const c of [t, back, tab]) c.ws.close();
});

test('bad input over the socket: errors, not crashes; what a pupil may not send; oversized frames', async () => {
  let p = await join(who.pupil);
  const t = await join(who.teacher);
  const cases = [
    ['{', 'bad_json'], ['[1,2]', 'bad_message'], ['{"type":3}', 'bad_message'], ['{"type":"dance"}', 'unknown_type'],
    ['{"type":"chat","text":""}', 'bad_value'], ['{"type":"chat","text":"   "}', 'bad_value'],
    [JSON.stringify({ type: 'chat', text: 'x'.repeat(2001) }), 'bad_value'], ['{"type":"chat","text":"a\\u0000b"}', 'bad_value'],
    ['{"type":"chat","text":"hi","to":"everyone"}', 'bad_value'], ['{"type":"hand","up":"yes"}', 'bad_value'],
    ['{"type":"reaction","emoji":"💣"}', 'bad_value'], ['{"type":"vote","poll":1}', 'bad_value'],
  ];
  for (const [i, [text, code]] of cases.entries()) {
    if (i === 6) { p.ws.close(); p = await join(who.pupil); } // LIVE_MAX_BAD_MESSAGES closes at eight
    const before = ofType(p.ws, 'error').length;
    p.ws.send(text);
    await p.ws.until(() => ofType(p.ws, 'error').length > before, { what: text });
    assert.equal(ofType(p.ws, 'error').at(-1).code, code, text);
  }
  p.ws.close();
  // what only hosts may do
  const q = await join(who.pupil);
  for (const m of [{ type: 'mute_all' }, { type: 'lock', locked: true }, { type: 'remove', person: ids.teacher },
    { type: 'poll_open', question: 'q', choices: ['a', 'b'] }, { type: 'publish', person: ids.pupil, allowed: true },
    { type: 'note', text: 'vandalisme' }]) {
    const before = ofType(q.ws, 'error').length;
    q.ws.sendJson(m);
    await q.ws.until(() => ofType(q.ws, 'error').length > before, { what: m.type });
    assert.equal(ofType(q.ws, 'error').at(-1).code, 'not_allowed', m.type);
  }
  assert.ok(!ofType(t.ws, 'mute_all').length && !ofType(t.ws, 'locked').length);
  // host's values are checked too
  for (const m of [{ type: 'poll_open', question: 'q', choices: ['seul'] }, { type: 'poll_open', question: '', choices: ['a', 'b'] },
    { type: 'poll_open', question: 'q', choices: ['1', '2', '3', '4', '5', '6', '7'] }, { type: 'remove', person: 999999 },
    { type: 'admit', guest: 5 }]) {
    const before = ofType(t.ws, 'error').length;
    t.ws.sendJson(m);
    await t.ws.until(() => ofType(t.ws, 'error').length > before, { what: JSON.stringify(m) });
    assert.equal(ofType(t.ws, 'error').at(-1).code, 'bad_value', JSON.stringify(m));
  }
  // the eighth refusal closes the socket (1008)
  for (let i = 0; i < 8; i++) q.ws.send('{');
  assert.equal((await q.ws.waitClosed()).code, 1008);
  // a frame beyond ws_max_message: 1009
  const big = await join(who.pupil);
  big.ws.sendRaw(frame(OP.TEXT, Buffer.alloc(70 * 1024, 0x61)));
  assert.equal((await big.ws.waitClosed()).code, 1009);
  // the room lives on
  t.ws.sendJson({ type: 'chat', text: 'toujours là' });
  await t.ws.until(() => ofType(t.ws, 'chat').find((m) => m.text === 'toujours là'));
  t.ws.close();
});

test('guests: the invitation, the lobby, admitted or refused; a locked room turns newcomers away', async () => {
  const t = await join(who.teacher);
  const guest = new Visitor(s.url);
  const page = await guest.get(live.guest_url);
  assert.equal(page.status, 200);
  assert.match(page.text, /Fractions en direct/);
  const empty = await guest.post(live.guest_url, { name: '  ' });
  assert.equal(empty.status, 400);
  const named = await guest.post(live.guest_url, { name: 'Mme Inspectrice' });
  assert.equal(named.status, 303, named.text);
  assert.ok(guest.cookies.get('lg'));
  const g = await join(guest);
  assert.equal(g.first.type, 'lobby_wait');
  const lobby = await t.ws.until(() => ofType(t.ws, 'lobby').find((m) => m.lobby.some((x) => x.name === 'Mme Inspectrice')));
  const gid = lobby.lobby.find((x) => x.name === 'Mme Inspectrice').id;
  assert.ok(gid < 0);
  // nothing of the room reaches a guest in the lobby, and they may not act
  g.ws.sendJson({ type: 'chat', text: 'bonjour ?' });
  await g.ws.until(() => ofType(g.ws, 'error').find((m) => m.code === 'lobby_wait'));
  assert.equal(ofType(g.ws, 'chat').length, 0);
  // the plain page says "wait" and refreshes itself
  const waitPage = await guest.get(`/live/${live.id}`);
  assert.match(waitPage.text, /salle d'attente|salle d&#39;attente/);
  assert.match(waitPage.text, /http-equiv="refresh"/);
  t.ws.sendJson({ type: 'admit', guest: gid });
  const welcome = await g.ws.until(() => ofType(g.ws, 'welcome')[0]);
  assert.equal(welcome.you.role, 'guest');
  g.ws.sendJson({ type: 'chat', text: 'Merci !' });
  await t.ws.until(() => ofType(t.ws, 'chat').find((m) => m.text === 'Merci !' && m.from.id === gid));
  g.ws.sendJson({ type: 'mute_all' });
  await g.ws.until(() => ofType(g.ws, 'error').find((m) => m.code === 'not_allowed'));
  // a second guest is refused
  const other = new Visitor(s.url);
  await other.get(live.guest_url);
  await other.post(live.guest_url, { name: 'Inconnu' });
  const o = await join(other);
  const l2 = await t.ws.until(() => ofType(t.ws, 'lobby').find((m) => m.lobby.some((x) => x.name === 'Inconnu')));
  t.ws.sendJson({ type: 'refuse', guest: l2.lobby.find((x) => x.name === 'Inconnu').id });
  assert.equal((await o.ws.waitClosed()).code, 4403);
  const again = await join(other);
  assert.equal(ofType(again.ws, 'error')[0]?.code ?? again.first.code, 'refused');
  // locked: a new guest cannot even wait; enrolled pupils still come straight in
  t.ws.sendJson({ type: 'lock', locked: true });
  await t.ws.until(() => ofType(t.ws, 'locked').find((m) => m.locked));
  const late = new Visitor(s.url);
  await late.get(live.guest_url);
  await late.post(live.guest_url, { name: 'Retardataire' });
  const lt = await join(late);
  assert.equal(lt.first.code, 'locked');
  assert.equal((await lt.ws.waitClosed()).code, 4403);
  const p = await join(who.pupil);
  assert.equal(p.first.type, 'welcome');
  t.ws.sendJson({ type: 'lock', locked: false });
  // a forged or foreign guest cookie is worth nothing
  const forged = new Visitor(s.url);
  forged.cookies.set('lg', 'A'.repeat(54));
  assert.equal((await join(forged)).status, 401);
  assert.equal((await fetch(s.url + '/live/guest/' + 'x'.repeat(22))).status, 404);
  for (const c of [t, g, p]) c.ws.close();
});

test('the host removes someone: their sockets close, they cannot come back', async () => {
  const v = await signIn(s.url, 'demo.eleve');
  const t = await join(who.teacher);
  // a classmate would do, but the demo pupil's own second session shows the rule as well
  const a = await join(v), b = await join(v);
  t.ws.sendJson({ type: 'remove', person: ids.pupil });
  assert.equal((await a.ws.waitClosed()).code, 4403);
  assert.equal((await b.ws.waitClosed()).code, 4403);
  const back = await join(who.pupil);
  assert.equal(back.first.code, 'removed');
  const post = await who.pupil.post(`/live/${live.id}/chat`, { text: 'laissez-moi revenir' });
  assert.equal(post.status, 403);
  assert.match(post.text, /laissez-moi revenir/); // the draft comes back
  t.ws.sendJson({ type: 'remove', person: ids.teacher });
  await t.ws.until(() => ofType(t.ws, 'error').find((m) => m.code === 'bad_value'));
  t.ws.close();
});

test('without JavaScript: the page shows the chat and posts through a form, the draft back on a refusal', async () => {
  const t = await join(who.teacher);
  const sent = await who.parent.post(`/live/${live.id}/chat`, { text: 'Message <b>sans</b> script' });
  assert.equal(sent.status, 303, sent.text);
  await t.ws.until(() => ofType(t.ws, 'chat').find((m) => m.text === 'Message <b>sans</b> script'));
  const page = await who.parent.get(sent.headers.get('location'));
  assert.match(page.text, /Message &lt;b&gt;sans&lt;\/b&gt; script/);
  assert.match(page.text, /id="chat-form"/);
  const tooLong = await who.parent.post(`/live/${live.id}/chat`, { text: 'é'.repeat(2001) });
  assert.equal(tooLong.status, 400);
  assert.ok(tooLong.text.includes('é'.repeat(2001)));
  const nul = await who.parent.post(`/live/${live.id}/chat`, 'text=a%00b');
  assert.equal(nul.status, 400);
  const noCsrf = await who.parent.post(`/live/${live.id}/chat`, { text: 'x' }, { noCsrf: true });
  assert.equal(noCsrf.status, 403);
  // a host acts from the page too
  const lock = await who.teacher.post(`/live/${live.id}/host`, { action: 'lock' });
  assert.equal(lock.status, 303);
  await t.ws.until(() => ofType(t.ws, 'locked').find((m) => m.locked));
  await who.teacher.post(`/live/${live.id}/host`, { action: 'unlock' });
  assert.equal((await who.parent.post(`/live/${live.id}/host`, { action: 'lock' })).status, 403);
  assert.equal((await who.teacher.post(`/live/${live.id}/host`, { action: 'explode' })).status, 400);
  t.ws.close();
});

test('attendance: who came and for how long, copied into the roll call (absent: who never came)', async () => {
  const v = await signIn(s.url, 'demo.parent');
  const c = await join(v);
  await new Promise((r) => setTimeout(r, 1100));
  c.ws.close();
  const report = await (async () => {
    for (let i = 0; i < 50; i++) {
      const r = await who.teacher.get(`/live/${live.id}/attendance`);
      if (/Arrivé à/.test(r.text)) return r;
      await new Promise((x) => setTimeout(x, 100));
    }
    throw new Error('no presence recorded');
  })();
  assert.equal(report.status, 200);
  assert.match(report.text, /Jamais venu/); // most of the class never came
  assert.equal((await who.pupil.get(`/live/${live.id}/attendance`)).status, 403);
  const saved = await who.teacher.post(`/live/${live.id}/attendance`, {});
  assert.equal(saved.status, 303, saved.text);
  assert.match(saved.headers.get('location'), new RegExp(`^/teaching/${ids.maths}/roll-call\\?date=`));
  // the roll call: the demo pupil came (sockets opened above), most of the class did not
  const q = saved.headers.get('location').split('?')[1];
  const roll = await who.teacher.json('GET', `/api/v1/teaching/${ids.maths}/roll-call?${q}`);
  assert.equal(roll.status, 200, roll.text);
  assert.ok(roll.data.absences.length > 10, roll.text);
  assert.ok(roll.data.absences.every((a) => a.kind === 'absent'));
  assert.ok(!roll.data.absences.some((a) => a.pupil.id === ids.pupil));
});

test('cancelling: the room closes to everyone, the join button goes', async () => {
  const now = Math.floor(Date.now() / 1000);
  const c = await schedule(who.teacher, { teaching_id: ids.maths, starts_at: now, minutes: 30, title: 'Annulée' });
  assert.equal(c.status, 201);
  assert.equal((await who.pupil.post(`/live/${c.data.id}/cancel`, {})).status, 403);
  assert.equal((await who.teacher.post(`/live/${c.data.id}/cancel`, {})).status, 303);
  assert.equal((await join(who.pupil, c.data.id)).status, 409);
  assert.match((await who.pupil.get(`/live/${c.data.id}`)).text, /a été annulée/);
  assert.doesNotMatch((await who.pupil.get('/')).text, new RegExp(`/live/${c.data.id}"`));
  assert.equal((await fetch(s.url + c.data.guest_url)).status, 410);
});
