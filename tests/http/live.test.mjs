// The live channel (GET /live/updates, a WebSocket): who may open it, the badge
// it pushes, what it does with bad frames and bad messages, liveness, caps, and
// how it ends (sign-out, account disabled, SIGTERM).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signIn, raw, statusOf, checkExit, eventually } from './lib/server.mjs';
import { wsOpen, frame, OP } from './lib/websocket.mjs';

let s;
const who = {};
const ids = {};

async function csrfOf(v) {
  return (await v.json('GET', '/api/v1/me')).data.csrf_token;
}

// Opens the channel as a visitor and takes the first badge.
async function open(server, v, opts = {}) {
  const r = await wsOpen(server.url, '/live/updates', { cookie: v.cookieHeader(), ...opts });
  assert.equal(r.status, 101, r.text);
  const ws = r.ws;
  const first = await ws.next();
  assert.equal(first.type, 'badge');
  return { ws, first };
}

before(async () => {
  s = await startServer();
  who.pupil = await signIn(s.url, 'demo.eleve');
  who.teacher = await signIn(s.url, 'demo.prof');
  who.parent = await signIn(s.url, 'demo.parent');
  ids.pupil = (await who.pupil.json('GET', '/api/v1/me')).data.id;
  const g = await who.pupil.json('GET', '/api/v1/grades?term=1');
  assert.equal(g.status, 200, g.text);
  const maths = g.data.subjects.find((x) => x.teacher === 'Nadia Benali');
  ids.maths = maths.marks[0].teaching_id;
});

after(async () => { await s.cleanup(); });

test('nobody signed in: 401 and no upgrade; a plain GET tells signed in (426) from signed out (401)', async () => {
  const r = await wsOpen(s.url, '/live/updates');
  assert.equal(r.status, 401);
  assert.equal(r.ws, undefined);
  const forged = await wsOpen(s.url, '/live/updates', { cookie: 'sid=' + 'A'.repeat(96) });
  assert.equal(forged.status, 401);
  assert.equal((await fetch(s.url + '/live/updates')).status, 401);
  const plain = await fetch(s.url + '/live/updates', { headers: { cookie: who.pupil.cookieHeader() } });
  assert.equal(plain.status, 426);
  assert.equal(plain.headers.get('upgrade'), 'websocket');
  assert.equal(plain.headers.get('sec-websocket-version'), '13');
});

test('cross-site WebSocket hijacking: a foreign Origin is refused with 403 before upgrading', async () => {
  for (const origin of ['http://evil.example', `http://127.0.0.1:${s.port + 1}`, `https://evil.example:${s.port}`,
    'null', `http://127.0.0.1:${s.port}.evil.example`, `http://user@127.0.0.1:${s.port}`, `ftp://127.0.0.1:${s.port}`]) {
    const r = await wsOpen(s.url, '/live/updates', { cookie: who.pupil.cookieHeader(), origin });
    assert.equal(r.status, 403, origin);
    assert.equal(r.ws, undefined, origin);
  }
  // The site's own origin (any case), or no Origin at all (not a browser), is fine.
  for (const origin of [s.url, s.url.toUpperCase().replace('HTTP', 'http'), null]) {
    const { ws } = await open(s, who.pupil, { origin });
    ws.close();
    await ws.waitClosed();
  }
});

test('bad handshakes: HTTP/1.0, wrong version, bad key, wrong method', async () => {
  const cookie = who.pupil.cookieHeader();
  const hs = (extra, line = 'GET /live/updates HTTP/1.1') =>
    `${line}\r\nHost: 127.0.0.1:${s.port}\r\nCookie: ${cookie}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;
  let r = await raw(s.port, hs('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n'));
  assert.equal(statusOf(r.text), 426);
  assert.match(r.text, /sec-websocket-version: 13/i);
  r = await raw(s.port, hs('Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n'));
  assert.equal(statusOf(r.text), 400);
  r = await raw(s.port, hs('Sec-WebSocket-Version: 13\r\n'));
  assert.equal(statusOf(r.text), 400, 'no key');
  r = await raw(s.port, hs('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n',
    'GET /live/updates HTTP/1.0'));
  assert.equal(statusOf(r.text), 426);
  r = await raw(s.port, hs('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n',
    'POST /live/updates HTTP/1.1'));
  assert.equal(statusOf(r.text), 405);
  assert.equal((await fetch(s.url + '/healthz')).status, 200);
});

test('open: the first message is the badge, with the counts the pages show', async () => {
  const { ws, first } = await open(s, who.pupil);
  assert.deepEqual(Object.keys(first).sort(), ['messages', 'notifications', 'type']);
  assert.ok(Number.isInteger(first.messages) && first.messages >= 0);
  assert.ok(Number.isInteger(first.notifications) && first.notifications >= 0);
  const page = await who.pupil.get('/');
  const shown = page.text.match(/id="badge-notifications"[^>]*>(\d*)</);
  if (shown) assert.equal(Number(shown[1] || 0), first.notifications);
  ws.close();
  assert.equal((await ws.waitClosed()).code, 1000);
});

test('badge changes are pushed: notifications seen, then a new mark, then a message', async (t) => {
  const pupil = await open(s, who.pupil);
  const teacher = await open(s, who.teacher);
  const pupilTab2 = await open(s, who.pupil); // every open tab of the person gets it
  t.after(() => { for (const x of [pupil, teacher, pupilTab2]) x.ws.destroy(); });
  assert.ok(pupil.first.notifications > 0, 'the demo pupil has something new');

  // Seen: the count drops (what is still to come, absences to justify, stay), on every channel of the pupil.
  const seen = await who.pupil.json('POST', '/api/v1/notifications/seen', {}, { 'x-csrf-token': await csrfOf(who.pupil) });
  assert.ok(seen.status < 300, seen.text);
  let badge = await pupil.ws.next({ timeout: 3000 });
  assert.equal(badge.type, 'badge');
  assert.equal(badge.messages, pupil.first.messages);
  assert.ok(badge.notifications < pupil.first.notifications, JSON.stringify([pupil.first, badge]));
  const afterSeen = badge.notifications;
  assert.deepEqual(await pupilTab2.ws.next({ timeout: 3000 }), badge);

  // A new mark, later than "seen".
  await new Promise((r) => setTimeout(r, 1100)); // seen_at has a one-second grain
  const csrf = await csrfOf(who.teacher);
  const c = await who.teacher.json('POST', `/api/v1/teaching/${ids.maths}/evaluations`,
    { title: 'Interrogation en direct', date: new Date().toISOString().slice(0, 10), coefficient: 1, scale: 20 },
    { 'x-csrf-token': csrf });
  assert.equal(c.status, 201, c.text);
  const put = await who.teacher.json('PUT', `/api/v1/evaluations/${c.data.id}/marks`,
    [{ pupil: ids.pupil, status: 'mark', value: 16 }], { 'x-csrf-token': csrf });
  assert.equal(put.status, 200, put.text);
  let t0 = Date.now(); // acknowledged means committed: the push follows within a few poll intervals
  // The page's badge is the oracle: the demo's marks are stamped later in the day, and
  // the feed keeps the ten newest marks, so before the evening a new mark may not show.
  const oracle = (await who.pupil.json('GET', '/api/v1/notifications')).data.badge;
  let afterMark = afterSeen;
  if (oracle.notifications !== afterSeen) {
    badge = await pupil.ws.next({ timeout: 3000 });
    assert.deepEqual(badge, { type: 'badge', messages: pupil.first.messages, notifications: oracle.notifications });
    assert.ok(Date.now() - t0 < 2000, 'pushed within a couple of poll intervals');
    afterMark = badge.notifications;
  } else {
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(pupil.ws.messages.length, 2, 'no push when the counts did not change');
  }

  // A message from the teacher: one more unread message.
  const sent = await who.teacher.json('POST', '/api/v1/conversations',
    { to: [`p:${ids.pupil}`], subject: 'Devoir en direct', body: 'Pensez à réviser.' }, { 'x-csrf-token': csrf });
  assert.ok(sent.status === 201 || sent.status === 200, sent.text);
  t0 = Date.now();
  badge = await pupil.ws.next({ timeout: 3000 });
  assert.deepEqual(badge, { type: 'badge', messages: pupil.first.messages + 1, notifications: afterMark });
  assert.ok(Date.now() - t0 < 2000);

  // Nothing changed for the teacher's own badge: nothing pushed to them.
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(teacher.ws.messages.length, 1, JSON.stringify(teacher.ws.messages));
  for (const x of [pupil, teacher, pupilTab2]) {
    x.ws.close();
    assert.equal((await x.ws.waitClosed()).code, 1000);
  }
});

test("a person's channels come and go: the ones left keep getting pushes, a new one starts from the current badge", async (t) => {
  const csrf = await csrfOf(who.teacher);
  const send = async (subject) => {
    const sent = await who.teacher.json('POST', '/api/v1/conversations',
      { to: [`p:${ids.pupil}`], subject, body: 'Un mot.' }, { 'x-csrf-token': csrf });
    assert.ok(sent.status === 201 || sent.status === 200, sent.text);
  };
  const a = await open(s, who.pupil);
  const b = await open(s, who.pupil);
  const parent = await open(s, who.parent);
  t.after(() => { for (const x of [a, b, parent]) x.ws.destroy(); });
  const start = a.first.messages;

  await send('Premier');
  assert.equal((await a.ws.next({ timeout: 3000 })).messages, start + 1);
  assert.equal((await b.ws.next({ timeout: 3000 })).messages, start + 1);

  // One tab closes; the other still hears, and a tab opened now starts with the current count.
  a.ws.close();
  assert.equal((await a.ws.waitClosed()).code, 1000);
  await send('Deuxième');
  assert.equal((await b.ws.next({ timeout: 3000 })).messages, start + 2);
  const c = await open(s, who.pupil);
  t.after(() => c.ws.destroy());
  assert.equal(c.first.messages, start + 2);

  // Every tab closes, then one comes back: the person starts afresh and still hears.
  for (const x of [b, c]) { x.ws.close(); await x.ws.waitClosed(); }
  const d = await open(s, who.pupil);
  t.after(() => d.ws.destroy());
  assert.equal(d.first.messages, start + 2);
  await send('Troisième');
  assert.equal((await d.ws.next({ timeout: 3000 })).messages, start + 3);

  // Someone else's channel heard none of it.
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(parent.ws.messages.length, 1, JSON.stringify(parent.ws.messages));
  d.ws.close();
  parent.ws.close();
});

test('client messages: ping is answered, everything else is an error, never a crash', async () => {
  const { ws } = await open(s, who.pupil);
  ws.sendJson({ type: 'ping' });
  assert.deepEqual(await ws.next(), { type: 'pong' });
  // A message in two fragments is one message.
  ws.sendFrame(OP.TEXT, Buffer.from('{"type":"pi'), { fin: false });
  ws.sendFrame(OP.CONT, Buffer.from('ng"}'));
  assert.deepEqual(await ws.next(), { type: 'pong' });
  // A ping frame in the middle of nowhere gets a pong frame (wslay).
  ws.sendFrame(OP.PING, Buffer.from('hi'));
  await ws.until(() => ws.pongs === 1, { what: 'a pong frame' });
  const cases = [['{"type":', 'bad_json'], ['', 'bad_json'], ['[1,2]', 'bad_message'], ['{"type":1}', 'bad_message'],
    ['{"kind":"ping"}', 'bad_message'], ['{"type":"subscribe"}', 'unknown_type'], ['{"type":"ping","type":"x"}', 'bad_json']];
  for (const [text, code] of cases) {
    ws.send(text);
    assert.deepEqual(await ws.next(), { type: 'error', code }, text);
  }
  ws.sendJson({ type: 'ping' });
  assert.deepEqual(await ws.next(), { type: 'pong' }, 'still open after seven bad messages');
  ws.send('nope');
  const closed = await ws.waitClosed();
  assert.equal(closed.code, 1008, 'the eighth bad message closes');
  assert.equal((await fetch(s.url + '/healthz')).status, 200);
});

test('a flood of messages is rate limited', async () => {
  const { ws } = await open(s, who.pupil);
  for (let i = 0; i < 30; i++) ws.sendJson({ type: 'ping' });
  await ws.until(() => ws.messages.some((m) => m.includes('rate_limited')) || ws.ended, { what: 'rate limiting' });
  const closed = await ws.waitClosed();
  assert.equal(closed.code, 1008);
  assert.equal(ws.messages.filter((m) => m === '{"type":"pong"}').length, 20, 'a burst of 20 passes');
});

test('frames the server refuses: oversized 1009, binary 1003, bad UTF-8 1007, unmasked 1002; the server stays up', async () => {
  let { ws } = await open(s, who.pupil);
  ws.send('x'.repeat(64 * 1024 + 1));
  assert.equal((await ws.waitClosed()).code, 1009);

  ({ ws } = await open(s, who.pupil));
  // A header announcing a huge payload is refused at its first byte, before any buffering.
  ws.sendRaw(frame(OP.TEXT, Buffer.from('x'), { length: 2 ** 40 }));
  assert.equal((await ws.waitClosed()).code, 1009);

  ({ ws } = await open(s, who.pupil));
  ws.sendFrame(OP.BINARY, Buffer.from([1, 2, 3]));
  assert.equal((await ws.waitClosed()).code, 1003);

  ({ ws } = await open(s, who.pupil));
  ws.sendFrame(OP.TEXT, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
  assert.equal((await ws.waitClosed()).code, 1007);

  ({ ws } = await open(s, who.pupil));
  ws.sendFrame(OP.TEXT, Buffer.from('{"type":"ping"}'), { mask: false });
  assert.equal((await ws.waitClosed()).code, 1002);

  ({ ws } = await open(s, who.pupil));
  ws.sendFrame(OP.TEXT, Buffer.from('{}'), { rsv: 4 });
  assert.equal((await ws.waitClosed()).code, 1002, 'no extension was agreed: RSV bits are an error');

  // A message of exactly the limit is fine.
  ({ ws } = await open(s, who.pupil));
  const padded = JSON.stringify({ type: 'ping', pad: '' });
  ws.send(JSON.stringify({ type: 'ping', pad: 'p'.repeat(64 * 1024 - padded.length) }));
  assert.deepEqual(await ws.next(), { type: 'pong' });
  ws.close();
  await ws.waitClosed();

  assert.equal((await fetch(s.url + '/healthz')).status, 200);
  const again = await open(s, who.pupil);
  again.ws.sendJson({ type: 'ping' });
  assert.deepEqual(await again.ws.next(), { type: 'pong' });
  again.ws.close();
  await again.ws.waitClosed();
  const metrics = await (await fetch(s.url + '/metrics')).text();
  assert.match(metrics, /^cartable_websocket_opened_total \d+$/m);
  assert.match(metrics, /^cartable_http_requests_total\{route="GET \/live\/updates",status="101"\} \d+$/m);
  await eventually(async () => /^cartable_websocket_connections 0$/m.test(await (await fetch(s.url + '/metrics')).text()),
    { what: 'every WebSocket counted as closed' });
});

test('signing out closes the channel with 4401; disabling the account too', async () => {
  const server = await startServer();
  try {
    const pupil = await signIn(server.url, 'demo.eleve');
    const other = await signIn(server.url, 'demo.eleve'); // a second session of the same person
    const a = await open(server, pupil);
    const b = await open(server, other);
    const sid = pupil.cookies.get('sid');
    const out = await pupil.post('/logout', {});
    assert.equal(out.status, 303);
    const t0 = Date.now();
    const closed = await a.ws.waitClosed({ timeout: 3000 });
    assert.equal(closed.code, 4401);
    assert.ok(Date.now() - t0 < 2000);
    // The other session of the same person is not signed out.
    b.ws.sendJson({ type: 'ping' });
    assert.deepEqual(await b.ws.next(), { type: 'pong' });
    // A handshake with the ended session is refused.
    const r = await wsOpen(server.url, '/live/updates', { cookie: `sid=${sid}` });
    assert.equal(r.status, 401);

    const admin = await signIn(server.url, 'demo.admin');
    const id = (await other.json('GET', '/api/v1/me')).data.id;
    const dis = await admin.post(`/people/${id}/disable`, {});
    assert.ok(dis.status === 303 || dis.status === 200, `disable answered ${dis.status}`);
    assert.equal((await b.ws.waitClosed({ timeout: 3000 })).code, 4401);
  } finally {
    await server.cleanup();
  }
});

test('liveness: a silent peer is pinged; one that never answers is closed', async () => {
  const server = await startServer({ args: ['--ws-ping-interval', '300ms'] });
  try {
    const v = await signIn(server.url, 'demo.eleve');
    const alive = await open(server, v);
    const dead = await open(server, v, { autoPong: false });
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(alive.ws.pings >= 2, `pings: ${alive.ws.pings}`);
    assert.ok(!alive.ws.ended, 'a peer answering pings stays');
    assert.ok(dead.ws.pings >= 1);
    const closed = await dead.ws.waitClosed({ timeout: 2000 });
    assert.equal(closed.code, 1001);
    alive.ws.close();
    await alive.ws.waitClosed();
  } finally {
    await server.cleanup();
  }
});

test('per-worker cap: beyond ws_max_connections the handshake gets 503, and a freed place is reused', async () => {
  const server = await startServer({ threads: 1, args: ['--ws-max-connections', '2'] });
  try {
    const v = await signIn(server.url, 'demo.eleve');
    const a = await open(server, v);
    const b = await open(server, v);
    const r = await wsOpen(server.url, '/live/updates', { cookie: v.cookieHeader() });
    assert.equal(r.status, 503);
    assert.ok(r.headers['retry-after']);
    assert.equal((await fetch(server.url + '/healthz')).status, 200, 'plain requests still served');
    a.ws.close();
    await a.ws.waitClosed();
    const c = await eventually(async () => {
      const x = await wsOpen(server.url, '/live/updates', { cookie: v.cookieHeader() });
      if (x.status === 101) return x;
      return null;
    }, { what: 'a place freed' });
    const m = await (await fetch(server.url + '/metrics')).text();
    assert.match(m, /^cartable_websocket_rejected_total 1$/m);
    assert.match(m, /^cartable_websocket_connections 2$/m);
    c.value.ws.close();
    b.ws.close();
    await c.value.ws.waitClosed();
    await b.ws.waitClosed();
  } finally {
    await server.cleanup();
  }
});

test('SIGTERM with open channels: each gets 1001 and the server exits 0 promptly', async () => {
  const server = await startServer({ threads: 2 });
  const v = await signIn(server.url, 'demo.eleve');
  const t = await signIn(server.url, 'demo.prof');
  const sockets = [];
  for (let i = 0; i < 4; i++) sockets.push((await open(server, i % 2 ? t : v)).ws);
  // One peer that neither reads nor answers: it must not hold the shutdown up.
  const mute = await wsOpen(server.url, '/live/updates', { cookie: v.cookieHeader() });
  assert.equal(mute.status, 101);
  mute.ws.socket.pause();
  mute.ws.sentClose = true; // never answers the close
  const t0 = Date.now();
  server.proc.kill('SIGTERM');
  const { code, signal } = await server.exited;
  const ms = Date.now() - t0;
  checkExit(code, signal, server.stderr());
  assert.ok(ms < 4000, `exited after ${ms} ms`);
  for (const ws of sockets) {
    const closed = await ws.waitClosed({ timeout: 1000 });
    assert.equal(closed.code, 1001);
    assert.equal(closed.reason, 'server shutting down');
  }
  mute.ws.destroy();
  assert.match(server.log(), /msg=stopped/);
});
