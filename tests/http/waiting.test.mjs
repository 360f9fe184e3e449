// The waiting room over HTTP, with the admission rate pinned low so a line forms:
// people inside never wait, newcomers get a light page with their place at the
// URL they asked for, tickets are admitted in arrival order, a refresh or a second
// tab keeps the place, tampered and forged tickets are worth nothing, the API
// answers 503 with Retry-After, tickets per address are bounded, probes and
// assets are never held, and operators see the line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, Visitor } from './lib/server.mjs';

let s;
let inside; // signed in before the line formed

const waiting = (r) => r.headers.get('x-waiting-room');
const positionOf = (r) => Number(/position=(\d+)/.exec(waiting(r))[1]);

async function newcomer(path = '/') {
  const v = new Visitor(s.url);
  const r = await v.get(path);
  return { v, r };
}

// Polls until the visitor gets the real page; returns when (ms) it got in.
async function untilAdmitted(v, path = '/', ms = 20000) {
  const t0 = Date.now();
  for (;;) {
    const r = await v.get(path);
    assert.notEqual(r.status, 429, 'polling the line stays within one\'s share of requests');
    if (!waiting(r)) return { at: Date.now(), r };
    if (Date.now() - t0 > ms) throw new Error(`still waiting after ${ms} ms: ${waiting(r)}`);
    await new Promise((res) => setTimeout(res, 150));
  }
}

// Signs in through the line: waits for admission on the sign-in page, then signs in.
async function admittedSignIn(login, password = 'cartable-demo') {
  const v = new Visitor(s.url);
  await untilAdmitted(v, '/login');
  const r = await v.post('/login', { login, password });
  assert.equal(r.status, 303, r.text.slice(0, 200));
  await v.get('/');
  return v;
}

before(async () => {
  // 2 admissions per second, a generous per-address allowance (all tests come from 127.0.0.1)
  s = await startServer({ admission: true, args: ['--admission-rate', '2', '--admission-tickets-per-ip-per-minute', '600',
    '--requests-per-account-per-second', '5'] });
  inside = await admittedSignIn('demo.eleve');
});

after(async () => { await s.cleanup(); });

test('a newcomer beyond the rate waits on a light page at the address they asked for', async () => {
  // use up the immediate admissions, then the next ones wait
  let w = null;
  for (let i = 0; i < 10 && !w; i++) {
    const { v, r } = await newcomer('/login');
    if (waiting(r)) w = { v, r };
  }
  assert.ok(w, 'a line formed');
  assert.equal(w.r.status, 200);
  assert.match(w.r.text, /Vous êtes dans la file d'attente/);
  assert.match(w.r.text, /Votre place : \d+/);
  assert.match(w.r.text, /<meta http-equiv="refresh" content="\d+">/);
  assert.doesNotMatch(w.r.text, /<script/);
  assert.ok(Buffer.byteLength(w.r.text) <= 5 * 1024, `${Buffer.byteLength(w.r.text)} bytes`);
  assert.match(w.r.headers.get('refresh'), /^\d+$/);
  assert.equal(w.r.headers.get('cache-control'), 'no-store');
  assert.ok(w.v.cookies.get('wr'), 'a ticket cookie');
  assert.match(w.r.headers.get('set-cookie'), /wr=[^;]+;.*HttpOnly/i);
  // people inside keep working
  const me = await inside.get('/');
  assert.equal(me.status, 200);
  assert.equal(waiting(me), null);
  assert.match(me.text, /id="day-heading"/);
  // probes and assets are never held
  for (const p of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(s.url + p)).status, 200, p);
  const css = /href="(\/assets\/style\.[0-9a-f]+\.css)"/.exec(w.r.text)[1];
  assert.equal((await fetch(s.url + css)).status, 200);
  await untilAdmitted(w.v, '/login');
});

test('tickets are admitted in arrival order; refreshes and second tabs keep their place', async () => {
  const people = [];
  for (let i = 0; i < 6; i++) {
    const { v, r } = await newcomer('/');
    if (waiting(r)) people.push({ v, i, first: positionOf(r) });
    await new Promise((res) => setTimeout(res, 120)); // distinct arrival times
  }
  assert.ok(people.length >= 4, 'most of them wait');
  for (let k = 1; k < people.length; k++) assert.ok(people[k].first >= people[k - 1].first, 'places follow arrival');
  // a refresh does not give a new ticket; a second tab (same cookies) shares the place
  const p0 = people[0];
  const ticket = p0.v.cookies.get('wr');
  const again = await p0.v.get('/');
  if (waiting(again)) {
    assert.equal(p0.v.cookies.get('wr'), ticket);
    assert.ok(positionOf(again) <= p0.first, 'a refresh never moves one back');
  }
  // everyone polls; record the order they get in
  const order = [];
  await Promise.all(people.map(async (p) => { const { at } = await untilAdmitted(p.v); order.push({ i: p.i, at }); }));
  order.sort((a, b) => a.at - b.at);
  const admittedOrder = order.map((o) => o.i);
  // admissions come in batches of the rate: never someone before an earlier arrival by more than one poll
  for (let k = 1; k < order.length; k++) {
    if (admittedOrder[k] < admittedOrder[k - 1]) assert.ok(order[k].at - order[k - 1].at < 200, `out of order: ${admittedOrder}`);
  }
  // once in, never bounced while the line grows again
  for (const p of people) {
    const r = await p.v.get('/login');
    assert.equal(waiting(r), null);
    assert.ok(p.v.cookies.get('adm'));
  }
});

test('tampered and forged tickets are worth nothing', async () => {
  // make sure there is a line
  const queued = [];
  for (let i = 0; i < 8; i++) { const x = await newcomer('/'); if (waiting(x.r)) queued.push(x); }
  const { v, r } = queued[queued.length - 1];
  const ticket = v.cookies.get('wr');
  const tampered = ticket.slice(0, 10) + (ticket[10] === 'A' ? 'B' : 'A') + ticket.slice(11);
  for (const bad of [tampered, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'x', '%00']) {
    const f = new Visitor(s.url);
    f.cookies.set('wr', bad);
    const again = await f.get('/');
    if (waiting(again)) {
      assert.notEqual(f.cookies.get('wr'), bad, 'a new ticket replaces it');
      assert.ok(positionOf(again) >= positionOf(r), 'at the back of the line');
    }
  }
  // a forged admission does not let anyone in
  const f = new Visitor(s.url);
  f.cookies.set('adm', ticket); // a ticket is not an admission
  const g = await f.get('/');
  assert.ok(waiting(g) || f.cookies.get('adm') !== ticket);
  await Promise.all(queued.map((q) => untilAdmitted(q.v)));
});

test('the JSON API answers 503 with Retry-After and the same figures', async () => {
  let api = null;
  for (let i = 0; i < 10 && !api; i++) {
    const res = await fetch(s.url + '/api/v1/schools', { headers: { accept: 'application/json' } });
    if (res.status === 503) api = res;
  }
  assert.ok(api, 'the API waits too');
  assert.match(api.headers.get('retry-after'), /^\d+$/);
  const body = await api.json();
  assert.equal(body.error.code, 'waiting_room');
  assert.ok(body.error.position >= 1);
  assert.ok(body.error.estimated_wait_seconds >= 1);
  assert.match(api.headers.get('x-waiting-room'), /position=\d+; wait=\d+/);
  // signed-in API clients are not held
  const me = await inside.json('GET', '/api/v1/me');
  assert.equal(me.status, 200);
});

test('operators see the line; nobody else does', async () => {
  assert.equal((await inside.get('/admin/admission')).status, 403);
  const admin = await admittedSignIn('demo.admin');
  assert.equal((await admin.get('/admin/admission')).status, 403, 'a school administrator is not an operator');
  const add = cli(s, ['user', 'add', '--first', 'Ops', '--last', 'Admin', '--role', 'staff', '--school', '0999999F',
    '--login', 'ops.admin', '--password-stdin'], { input: 'ops-password-1\n' });
  assert.equal(add.code, 0, add.stderr);
  const grant = cli(s, ['user', 'platform-admin', 'ops.admin']);
  assert.equal(grant.code, 0, grant.stderr);
  const ops = await admittedSignIn('ops.admin', 'ops-password-1');
  const page = await ops.get('/admin/admission');
  assert.equal(page.status, 200);
  assert.match(page.text, /Personnes en attente/);
  assert.match(page.headers.get('refresh'), /^\d+$/);
  const metrics = await (await fetch(s.url + '/metrics')).text();
  assert.match(metrics, /cartable_waiting_room_waiting \d+/);
  assert.match(metrics, /cartable_waiting_room_admissions_total\{from="line"\} \d+/);
});

test('a signed-in person beyond their fair share of requests gets 429 with Retry-After, then carries on', async () => {
  const person = await admittedSignIn('demo.parent');
  // 5 per second, bursts of 50: a burst of 80 quick requests goes over
  const answers = await Promise.all(Array.from({ length: 80 }, () => fetch(s.url + '/timetable', {
    redirect: 'manual', headers: { cookie: person.cookieHeader() } })));
  const statuses = answers.map((a) => a.status);
  assert.ok(statuses.includes(429), statuses.join(','));
  const limited = answers.find((a) => a.status === 429);
  assert.match(limited.headers.get('retry-after'), /^\d+$/);
  // others are not affected
  assert.equal((await inside.get('/timetable')).status, 200);
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal((await person.get('/timetable')).status, 200, 'after a pause, on it goes');
});

test('the priority lane: nothing urgent keeps one\'s place; bad passwords too; no token, no try', async () => {
  // the last of several in line, so their turn does not come during the test
  const line = [];
  for (let i = 0; i < 16 && line.length < 6; i++) { const x = await newcomer('/'); if (waiting(x.r)) line.push(x); }
  assert.ok(line.length >= 6, 'a line formed');
  const w = line[line.length - 1];
  assert.match(w.r.text, /action="\/waiting\/priority"/);
  assert.ok(Buffer.byteLength(w.r.text) <= 5 * 1024, `${Buffer.byteLength(w.r.text)} bytes with the form`);
  const ticket = w.v.cookies.get('wr');
  // a parent has nothing that cannot wait: back in line, same ticket, told why
  const parent = await w.v.post('/waiting/priority', { login: 'demo.parent', password: 'cartable-demo' });
  assert.equal(parent.status, 200);
  assert.match(parent.text, /Rien d'urgent dans l'heure/);
  assert.equal(w.v.cookies.get('wr'), ticket, 'the same place');
  assert.equal(w.v.cookies.get('sid'), undefined, 'no session was issued');
  // a wrong password: the same
  const bad = await w.v.post('/waiting/priority', { login: 'demo.prof', password: 'wrong-password' });
  assert.match(bad.text, /mot de passe incorrect/);
  assert.equal(w.v.cookies.get('sid'), undefined);
  // without the form's token, nothing is tried
  const noCsrf = await w.v.post('/waiting/priority', { login: 'demo.parent', password: 'cartable-demo' }, { noCsrf: true });
  assert.equal(noCsrf.status, 403);
  await Promise.all(line.map((x) => untilAdmitted(x.v)));
});

test('a session resumed without an admission is an arrival: it waits its turn, then stays in', async () => {
  const parent = await admittedSignIn('demo.parent');
  const resumed = new Visitor(s.url);
  resumed.cookies.set('sid', parent.cookies.get('sid')); // yesterday's session, no admission today
  const line = [];
  for (let i = 0; i < 16 && line.length < 4; i++) { const x = await newcomer('/'); if (waiting(x.r)) line.push(x); }
  assert.ok(line.length >= 4, 'a line formed');
  const r = await resumed.get('/timetable');
  assert.ok(waiting(r), 'the resumed session waits (a parent has nothing that cannot wait)');
  assert.ok(positionOf(r) >= positionOf(line[line.length - 1].r), 'behind those who came before');
  await untilAdmitted(resumed, '/timetable');
  assert.ok(resumed.cookies.get('adm'));
  assert.equal(waiting(await resumed.get('/messages')), null, 'once in, in');
  await Promise.all(line.map((x) => untilAdmitted(x.v)));
});
