// Signing in and out, sessions, CSRF, activation, password changes, the child
// switch and the JSON identity API, against a running server with the demo school.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, post, Visitor, signIn, cli, waitForLog } from './lib/server.mjs';

let s;
before(async () => { s = await startServer(); });
after(async () => { await s.cleanup(); });

const sidOf = (res) => (res.headers.getSetCookie() || []).find((c) => c.startsWith('sid='));

async function me(v) {
  return v.json('GET', '/api/v1/me');
}

test('sign-in form: success sets a HttpOnly, SameSite=Lax session cookie and goes to next', async () => {
  const v = new Visitor(s.url);
  const page = await v.get('/login?next=/me');
  assert.equal(page.status, 200);
  assert.match(page.text, /<input type="hidden" name="next" value="\/me">/);
  const r = await v.post('/login', { login: '  Demo.Eleve ', password: 'cartable-demo', next: '/me' });
  assert.equal(r.status, 303, r.text);
  assert.equal(r.headers.get('location'), '/me');
  const cookie = sidOf(r);
  assert.match(cookie, /^sid=[A-Za-z0-9_-]{96}; Path=\/; HttpOnly; SameSite=Lax$/, 'no Max-Age: forgotten when the browser closes');
  const home = await v.get('/');
  assert.match(home.text, /Léa/);
  const m = await me(v);
  assert.equal(m.status, 200);
  assert.equal(m.data.login, 'demo.eleve');
  assert.equal(m.data.role, 'pupil');
  assert.equal(m.data.school.uai, '0999999F');
  assert.equal(m.data.children, undefined, 'only parents list children');

  // a signed-in visitor sent to /login goes straight on
  const again = await v.get('/login?next=/me');
  assert.equal(again.status, 303);
  assert.equal(again.headers.get('location'), '/me');
  // next is only ever a local path
  const v2 = new Visitor(s.url);
  await v2.get('/login');
  const r2 = await v2.post('/login', { login: 'demo.eleve', password: 'cartable-demo', next: '//evil.example/x' });
  assert.equal(r2.status, 303);
  assert.equal(r2.headers.get('location'), '/');
});

test('"this device" gives a long-lived cookie', async () => {
  const v = new Visitor(s.url);
  await v.get('/login');
  const r = await v.post('/login', { login: 'demo.parent', password: 'cartable-demo', remember: '1' });
  assert.equal(r.status, 303);
  const m = sidOf(r).match(/Max-Age=(\d+)/);
  assert.ok(m, sidOf(r));
  assert.ok(Number(m[1]) >= 29 * 24 * 3600, `Max-Age ${m[1]}`);
});

test('wrong password and unknown login get the same answer, and the login is kept', async () => {
  const answers = [];
  for (const login of ['demo.prof', 'nobody.here']) {
    const v = new Visitor(s.url);
    await v.get('/login');
    const t0 = process.hrtime.bigint();
    const r = await v.post('/login', { login, password: 'not-the-password' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(r.status, 401);
    assert.equal(sidOf(r), undefined);
    assert.match(r.text, /Identifiant ou mot de passe incorrect\./);
    assert.match(r.text, new RegExp(`name="login" value="${login.replace('.', '\\.')}"`));
    assert.doesNotMatch(r.text, /not-the-password/, 'the password is never sent back');
    answers.push({ ms, body: r.text.replace(/value="[^"]*"/g, '') });
  }
  assert.equal(answers[0].body, answers[1].body, 'the pages differ only in what was typed');
  // An unknown login does the same hashing work as a wrong password. One sample
  // each is at the mercy of a busy machine: the fastest of three, alternating.
  const fastest = { 'demo.prof': answers[0].ms, 'nobody.here': answers[1].ms };
  for (let round = 0; round < 2; round++) {
    for (const login of ['demo.prof', 'nobody.here']) {
      const v = new Visitor(s.url);
      await v.get('/login');
      const t0 = process.hrtime.bigint();
      await v.post('/login', { login, password: 'not-the-password' });
      fastest[login] = Math.min(fastest[login], Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const ratio = fastest['demo.prof'] / fastest['nobody.here'];
  assert.ok(ratio > 0.25 && ratio < 4, `timing ratio ${ratio}`);

  const empty = new Visitor(s.url);
  await empty.get('/login');
  const r = await empty.post('/login', { login: 'demo.prof', password: '' });
  assert.equal(r.status, 400);
});

test('sign-in needs the CSRF token', async () => {
  const v = new Visitor(s.url);
  await v.get('/login');
  const r = await v.post('/login', { login: 'demo.eleve', password: 'cartable-demo' }, { noCsrf: true });
  assert.equal(r.status, 403);
  assert.equal(sidOf(r), undefined);
  // a token from another visitor's cookie does not do either
  const other = new Visitor(s.url);
  await other.get('/login');
  v.csrf = other.csrf;
  const r2 = await v.post('/login', { login: 'demo.eleve', password: 'cartable-demo' });
  assert.equal(r2.status, 403);
});

test('forged, tampered and foreign session cookies are ignored', async () => {
  const v = await signIn(s.url, 'demo.eleve');
  const good = v.cookies.get('sid');
  const flip = (t, i) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
  for (const bad of [flip(good, 10), flip(good, 50), flip(good, 90), good.slice(0, 95), good + 'A', 'x'.repeat(96), '']) {
    const r = await fetch(s.url + '/api/v1/me', { headers: { cookie: `sid=${bad}`, accept: 'application/json' } });
    assert.equal(r.status, 401, `cookie ${bad}`);
    const page = await fetch(s.url + '/', { headers: { cookie: `sid=${bad}` } });
    assert.equal(page.status, 200, 'a bad cookie is someone signed out, not an error');
  }
  const protectedPage = await fetch(s.url + '/me', { headers: { cookie: `sid=${flip(good, 10)}` }, redirect: 'manual' });
  assert.equal(protectedPage.status, 303);
  assert.equal(protectedPage.headers.get('location'), '/login?next=/me');

  // A token from another installation (other keys) is a forgery here.
  const other = await startServer();
  try {
    const ov = await signIn(other.url, 'demo.eleve');
    const r = await fetch(s.url + '/api/v1/me', { headers: { cookie: `sid=${ov.cookies.get('sid')}`, accept: 'application/json' } });
    assert.equal(r.status, 401);
  } finally {
    await other.cleanup();
  }
});

test('logout needs CSRF, ends the session, and a replayed cookie stays dead', async () => {
  const v = await signIn(s.url, 'demo.prof');
  const cookie = v.cookies.get('sid');
  const noToken = await v.post('/logout', {}, { noCsrf: true });
  assert.equal(noToken.status, 403);
  assert.equal((await me(v)).status, 200, 'still signed in');
  const out = await v.post('/logout', {});
  assert.equal(out.status, 303);
  assert.match(sidOf(out), /^sid=; .*Max-Age=0/);
  const replay = await fetch(s.url + '/api/v1/me', { headers: { cookie: `sid=${cookie}`, accept: 'application/json' } });
  assert.equal(replay.status, 401);
  // another session of the same person is untouched by a plain logout
  const a = await signIn(s.url, 'demo.prof');
  const b = await signIn(s.url, 'demo.prof');
  await a.post('/logout', {});
  assert.equal((await me(b)).status, 200);
});

test('log out everywhere ends every session of the person, not others', async () => {
  const a = await signIn(s.url, 'demo.admin');
  const b = await signIn(s.url, 'demo.admin', 'cartable-demo', { remember: true });
  const someoneElse = await signIn(s.url, 'demo.eleve');
  const r = await a.post('/me/logout-everywhere', {});
  assert.equal(r.status, 303);
  assert.equal((await me(a)).status, 401);
  assert.equal((await me(b)).status, 401);
  assert.equal((await me(someoneElse)).status, 200);
  const again = await signIn(s.url, 'demo.admin');
  assert.equal((await me(again)).status, 200, 'signing in again works');
});

test('activation letters: a code activates once, then the password signs in', async () => {
  const admin = await signIn(s.url, 'demo.admin');
  const schoolId = (await me(admin)).data.school.id;
  const school = await admin.get(`/admin/schools/${schoolId}`);
  const classId = school.text.match(/<a href="\/classes\/(\d+)">5e C<\/a>/)[1];
  const classPage = await admin.get(`/classes/${classId}`);
  assert.match(classPage.text, /action="\/classes\/\d+\/letters"/);
  const letters = await admin.post(`/classes/${classId}/letters`, {});
  assert.equal(letters.status, 200);
  assert.equal(letters.headers.get('cache-control'), 'no-store');
  const pairs = [...letters.text.matchAll(/<dd class="code">([^<]+)<\/dd>/g)].map((m) => m[1]);
  assert.ok(pairs.length >= 2 && pairs.length % 2 === 0, `letters found: ${pairs.length}`);
  const [login, code] = pairs;
  const [login2, code2] = pairs.slice(2, 4);
  assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
  assert.match(letters.text, new RegExp(`http://127\\.0\\.0\\.1:${s.port}/`), 'the letter gives the address');

  const v = new Visitor(s.url);
  await v.get('/activate');
  const mismatch = await v.post('/activate', { login, code, password: 'a-new-password', confirm: 'another-one' });
  assert.equal(mismatch.status, 400);
  const short = await v.post('/activate', { login, code, password: 'short', confirm: 'short' });
  assert.equal(short.status, 400);
  const wrongCode = await v.post('/activate', { login, code: code2, password: 'a-new-password', confirm: 'a-new-password' });
  assert.equal(wrongCode.status, 401);
  assert.match(wrongCode.text, /code d'activation incorrect/);
  const wrongLogin = await v.post('/activate', { login: 'nobody.at.all', code, password: 'a-new-password', confirm: 'a-new-password' });
  assert.equal(wrongLogin.status, 401);
  assert.equal(wrongLogin.text.replace(/value="[^"]*"/g, ''), wrongCode.text.replace(/value="[^"]*"/g, ''));

  // typed loosely: lower case, no dashes
  const loose = code.toLowerCase().replaceAll('-', ' ');
  const ok = await v.post('/activate', { login: login.toUpperCase(), code: loose, password: 'a-new-password', confirm: 'a-new-password' });
  assert.equal(ok.status, 303, ok.text);
  assert.ok(sidOf(ok), 'activation signs the person in');
  assert.equal((await me(v)).data.login, login);

  const reused = new Visitor(s.url);
  await reused.get('/activate');
  const r = await reused.post('/activate', { login, code, password: 'yet-another-pw', confirm: 'yet-another-pw' });
  assert.equal(r.status, 401, 'a code works once');
  const signedIn = await signIn(s.url, login, 'a-new-password');
  assert.equal((await me(signedIn)).data.login, login);

  // the next letter for this class leaves out the activated account
  const again = await admin.post(`/classes/${classId}/letters`, {});
  assert.doesNotMatch(again.text, new RegExp(`<dd class="code">${login.replace('.', '\\.')}</dd>`));
  // and the new letter replaces the old code of the others
  const stale = await new Visitor(s.url).post('/activate', { login: login2, code: code2, password: 'a-new-password', confirm: 'a-new-password' });
  assert.equal(stale.status, 401, 'a reprinted letter voids the previous code');
});

test('changing the password ends the other sessions and keeps this one', async () => {
  // an account of its own, so other tests keep the demo password
  const add = cli(s, ['user', 'add', '--first', 'Rémi', '--last', 'Testeur', '--role', 'teacher', '--school', '0999999F',
    '--login', 'remi.testeur', '--password-stdin'], { input: 'first-password\n' });
  assert.equal(add.code, 0, add.stderr);
  const a = await signIn(s.url, 'remi.testeur', 'first-password');
  const b = await signIn(s.url, 'remi.testeur', 'first-password');
  const wrong = await a.post('/me/password', { current: 'not-it', password: 'second-password', confirm: 'second-password' });
  assert.equal(wrong.status, 401);
  const mismatch = await a.post('/me/password', { current: 'first-password', password: 'second-password', confirm: 'x' });
  assert.equal(mismatch.status, 400);
  const noCsrf = await a.post('/me/password', { current: 'first-password', password: 'second-password', confirm: 'second-password' }, { noCsrf: true });
  assert.equal(noCsrf.status, 403);
  const ok = await a.post('/me/password', { current: 'first-password', password: 'second-password', confirm: 'second-password' });
  assert.equal(ok.status, 200);
  assert.match(ok.text, /Votre mot de passe a été changé/);
  assert.equal((await me(a)).status, 200, 'this device stays signed in');
  assert.equal((await me(b)).status, 401, 'the other device is signed out');
  const old = new Visitor(s.url);
  await old.get('/login');
  assert.equal((await old.post('/login', { login: 'remi.testeur', password: 'first-password' })).status, 401);
  await signIn(s.url, 'remi.testeur', 'second-password');
});

test('a parent switches between their own children only', async () => {
  const parent = await signIn(s.url, 'demo.parent');
  const kids = (await me(parent)).data.children;
  assert.equal(kids.length, 2);
  const names = kids.map((k) => k.first_name).sort();
  assert.deepEqual(names, ['Hugo', 'Léa']);
  let home = await parent.get('/');
  const first = home.text.match(/card current">\s*<strong>(\S+) Martin/)[1];
  const other = kids.find((k) => k.first_name !== first);
  const r = await parent.post('/child', { child: String(other.id), next: '/me' });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/me');
  assert.match(r.headers.get('set-cookie'), new RegExp(`^child=${other.id}; Path=/; HttpOnly; SameSite=Lax$`));
  home = await parent.get('/');
  assert.match(home.text, new RegExp(`card current">\\s*<strong>${other.first_name} Martin`));
  const hugo = kids.find((k) => k.first_name === 'Hugo');

  const pupil = await signIn(s.url, 'demo.eleve');
  const someoneElses = (await me(pupil)).data.id + 1;
  assert.equal((await parent.post('/child', { child: String(someoneElses) })).status, 403);
  assert.equal((await parent.post('/child', { child: 'abc' })).status, 400);
  assert.equal((await parent.post('/child', { child: String(hugo.id) }, { noCsrf: true })).status, 403);
  assert.equal((await pupil.post('/child', { child: String(hugo.id) })).status, 403);
  // a forged child cookie is ignored: the page falls back to the first child
  const forged = await fetch(s.url + '/', { headers: { cookie: `${parent.cookieHeader()}; child=${someoneElses}` } });
  assert.doesNotMatch(await forged.text(), new RegExp(`value="${someoneElses}"`));
});

test('JSON API: login, me, logout, and every bad body', async () => {
  const v = new Visitor(s.url);
  const bad = await v.json('POST', '/api/v1/login', { login: 'demo.parent', password: 'nope-nope' });
  assert.equal(bad.status, 401);
  assert.equal(bad.data.error.status, 401);
  assert.equal(v.cookies.get('sid'), undefined);

  const ok = await v.json('POST', '/api/v1/login', { login: 'demo.parent', password: 'cartable-demo' });
  assert.equal(ok.status, 200);
  assert.equal(ok.data.login, 'demo.parent');
  assert.equal(ok.data.role, 'parent');
  assert.equal(ok.data.children.length, 2);
  assert.ok(ok.data.children.every((c) => c.id && c.class && c.school));
  assert.match(ok.data.csrf_token, /^[A-Za-z0-9_-]{22}$/);
  assert.match(v.cookies.get('sid'), /^[A-Za-z0-9_-]{96}$/);

  const m = await v.json('GET', '/api/v1/me');
  assert.equal(m.status, 200);
  assert.equal(m.data.id, ok.data.id);
  assert.equal(m.data.school.name, 'Collège Jean Moulin (démo)');

  const noToken = await v.json('POST', '/api/v1/logout', {});
  assert.equal(noToken.status, 403);
  assert.equal((await v.json('GET', '/api/v1/me')).status, 200);
  const out = await v.json('POST', '/api/v1/logout', {}, { 'x-csrf-token': m.data.csrf_token });
  assert.equal(out.status, 204);
  assert.equal((await v.json('GET', '/api/v1/me')).status, 401);
  const anon = await fetch(s.url + '/api/v1/me');
  assert.equal(anon.status, 401);
  assert.equal((await anon.json()).error.status, 401);

  for (const [body, status] of [
    ['{"login": "demo.parent"', 400],
    ['[]', 400],
    ['{"login": 5, "password": "x"}', 400],
    ['{"login": "demo.parent"}', 400],
    ['{"login": "demo.parent", "password": "cartable-demo", "remember": "yes"}', 400],
    ['{"login": "", "password": "x"}', 400],
    ['{"login": "demo\\u0000parent", "password": "cartable-demo"}', 400],
    ['"just a string"', 400],
  ]) {
    const r = await fetch(s.url + '/api/v1/login', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, status, body);
    const e = await r.json();
    assert.equal(e.error.status, status);
    assert.equal(r.headers.get('set-cookie'), null);
  }
  const form = await post(s.url, '/api/v1/login', 'login=demo.parent&password=cartable-demo');
  assert.equal(form.status, 415);
});

test('session keys rotate without signing anyone out, and old keys retire', async () => {
  const before = await signIn(s.url, 'demo.eleve');
  let from = s.log().length;
  for (let i = 1; i <= 4; i++) {
    const r = cli(s, ['keys', 'rotate']);
    assert.equal(r.code, 0, r.stderr);
    s.proc.kill('SIGHUP');
    await waitForLog(s, /msg="session keys reloaded" keys=\d/, { from });
    from = s.log().length;
    const fresh = await signIn(s.url, 'demo.eleve');
    assert.equal((await me(fresh)).status, 200);
    // signed with the first key: valid through three rotations, not a fourth
    assert.equal((await me(before)).status, i < 4 ? 200 : 401, `after rotation ${i}`);
  }
});
