// The policy matrix over HTTP: every role against every directory endpoint, on
// their own objects and on someone else's, including another school's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, Visitor, signIn, cli } from './lib/server.mjs';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

let s;
const who = {};   // role name -> signed-in Visitor (anonymous: a fresh Visitor)
const ids = {};   // object name -> id

function must(re, text, what) {
  const m = text.match(re);
  if (!m) throw new Error(`${what} not found`);
  return m[1];
}

before(async () => {
  s = await startServer();
  // A second school, its administrator, a platform administrator, a staff member
  // with a password: all through the command line, beside the running server.
  const imp = cli(s, ['import', 'csv', FIXTURES + 'csv/good']);
  assert.equal(imp.code, 0, imp.stderr);
  for (const [login, role, school] of [['other.admin', 'school_admin', '0999998E'], ['plat.admin', 'staff', '0999998E'],
    ['demo.staff', 'staff', '0999999F']]) {
    const r = cli(s, ['user', 'add', '--first', 'Test', '--last', login, '--role', role, '--school', school,
      '--login', login, '--password-stdin'], { input: 'policy-password\n' });
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal(cli(s, ['user', 'platform-admin', 'plat.admin']).code, 0);

  who.anonymous = new Visitor(s.url);
  await who.anonymous.get('/');
  who.pupil = await signIn(s.url, 'demo.eleve');
  who.parent = await signIn(s.url, 'demo.parent');
  who.teacher = await signIn(s.url, 'demo.prof');
  who.staff = await signIn(s.url, 'demo.staff', 'policy-password');
  who.admin = await signIn(s.url, 'demo.admin');
  who.otherAdmin = await signIn(s.url, 'other.admin', 'policy-password');
  who.platform = await signIn(s.url, 'plat.admin', 'policy-password');

  const me = async (v) => (await v.json('GET', '/api/v1/me')).data;
  const admin = who.admin;
  ids.school = (await me(admin)).school.id;
  ids.otherSchool = (await me(who.otherAdmin)).school.id;
  ids.pupil = (await me(who.pupil)).id;
  ids.parent = (await me(who.parent)).id;
  ids.teacher = (await me(who.teacher)).id;
  ids.admin = (await me(admin)).id;
  const schoolPage = (await admin.get(`/admin/schools/${ids.school}`)).text;
  ids.class5B = must(/<a href="\/classes\/(\d+)">5e B<\/a>/, schoolPage, '5e B');
  ids.class4F = must(/<a href="\/classes\/(\d+)">4e F<\/a>/, schoolPage, '4e F');
  const roster5B = (await admin.get(`/classes/${ids.class5B}`)).text;
  ids.classmate = [...roster5B.matchAll(/<td><a href="\/people\/(\d+)">/g)].map((m) => m[1]).find((id) => Number(id) !== ids.pupil);
  ids.stranger = must(/<td><a href="\/people\/(\d+)">/, (await admin.get(`/classes/${ids.class4F}`)).text, 'a 4e F pupil');
  const otherPage = (await who.otherAdmin.get(`/admin/schools/${ids.otherSchool}`)).text;
  ids.otherClass = must(/<a href="\/classes\/(\d+)">6e A<\/a>/, otherPage, '6e A');
  ids.otherPupil = must(/<td><a href="\/people\/(\d+)">/, (await who.otherAdmin.get(`/classes/${ids.otherClass}`)).text, 'a 6e A pupil');
});

after(async () => { await s.cleanup(); });

const ROLES = ['anonymous', 'pupil', 'parent', 'teacher', 'staff', 'admin', 'otherAdmin', 'platform'];
// Expected answers, in ROLES order. 'in' means the sign-in page (303 to /login).
const Y = 200, N = 403, IN = 'in';
const MATRIX = [
  // what                                    anon pupil parent teacher staff admin other platform
  ['GET /admin/schools/:school',            [IN, N, N, N, Y, Y, N, Y]],
  ['GET /admin/schools/:school/people?q=ma', [IN, N, N, N, Y, Y, N, Y]],
  ['GET /admin/schools/:otherSchool',       [IN, N, N, N, N, N, Y, Y]],
  ['GET /classes/:class5B',                 [IN, Y, N, Y, Y, Y, N, Y]],
  ['GET /classes/:class4F',                 [IN, N, N, N, Y, Y, N, Y]],
  ['GET /classes/:otherClass',              [IN, N, N, N, N, N, Y, Y]],
  ['GET /people/:pupil',                    [IN, Y, Y, Y, Y, Y, N, Y]],
  ['GET /people/:classmate',                [IN, N, N, Y, Y, Y, N, Y]],
  ['GET /people/:stranger',                 [IN, N, N, N, Y, Y, N, Y]],
  ['GET /people/:teacher',                  [IN, N, N, Y, Y, Y, N, Y]],
  ['GET /people/:parent',                   [IN, N, Y, N, Y, Y, N, Y]],
  ['GET /people/:otherPupil',               [IN, N, N, N, N, N, Y, Y]],
  ['GET /me',                               [IN, Y, Y, Y, Y, Y, Y, Y]],
  ['GET /api/v1/me',                        [401, Y, Y, Y, Y, Y, Y, Y]],
  ['POST /classes/:class4F/letters',        [IN, N, N, N, N, Y, N, Y]],
  ['POST /classes/:otherClass/letters',     [IN, N, N, N, N, N, Y, Y]],
  ['POST /people/:stranger/reset',          [IN, N, N, N, N, Y, N, Y]],
  ['POST /people/:classmate/disable',       [IN, N, N, N, N, 303, N, 303]],
  ['POST /people/:classmate/enable',        [IN, N, N, N, N, 303, N, 303]],
  ['POST /people/:otherPupil/disable',      [IN, N, N, N, N, N, 303, 303]],
  ['POST /people/:otherPupil/enable',       [IN, N, N, N, N, N, 303, 303]],
  ['POST /child child=:pupil',              [IN, N, 303, N, N, N, N, 303]],
];

function resolve(path) {
  return path.replace(/:([A-Za-z0-9]+)/g, (_, k) => {
    if (!(k in ids)) throw new Error(`no id for ${k}`);
    return String(ids[k]);
  });
}

test('every role against every endpoint', async () => {
  const wrong = [];
  for (const [what, expected] of MATRIX) {
    const [method, target, form] = what.split(' ');
    const path = resolve(target);
    const fields = form ? Object.fromEntries([form.split('=')].map(([k, v]) => [k, resolve(v)])) : {};
    for (let i = 0; i < ROLES.length; i++) {
      const v = who[ROLES[i]];
      let r;
      if (method === 'GET' && path.startsWith('/api/')) r = await v.json('GET', path);
      else if (method === 'GET') r = await v.get(path);
      else r = await v.post(path, fields);
      let got = r.status;
      if (got === 303 && /^\/login/.test(r.headers.get('location') || '')) got = IN;
      if (got !== expected[i]) wrong.push(`${ROLES[i]} ${what}: expected ${expected[i]}, got ${got}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('refusals reveal nothing and change nothing', async () => {
  // a teacher's refused page shows no names from the class
  const r = await who.teacher.get(`/classes/${ids.class4F}`);
  assert.equal(r.status, 403);
  assert.match(r.text, /Vous n'avez pas accès à cette page\./);
  const roster = (await who.admin.get(`/classes/${ids.class4F}`)).text;
  const aName = must(/<td><a href="\/people\/\d+">([^<]+)<\/a>/, roster, 'a pupil name');
  assert.ok(!r.text.includes(aName));
  // the API refuses in JSON
  const api = await fetch(`${s.url}/classes/${ids.class4F}`, { headers: { cookie: who.teacher.cookieHeader(), accept: 'application/json' } });
  assert.equal(api.status, 403);

  // a refused disable leaves the account working
  const target = await signIn(s.url, 'demo.eleve');
  assert.equal((await who.teacher.post(`/people/${ids.pupil}/disable`, {})).status, 403);
  assert.equal((await who.otherAdmin.post(`/people/${ids.pupil}/disable`, {})).status, 403);
  assert.equal((await target.json('GET', '/api/v1/me')).status, 200);
  // an administrator's disable without the CSRF token is refused too
  const noCsrf = await who.admin.post(`/people/${ids.pupil}/disable`, {}, { noCsrf: true });
  assert.equal(noCsrf.status, 403);
  assert.match(noCsrf.text, /Ce formulaire a expiré/);
  assert.equal((await target.json('GET', '/api/v1/me')).status, 200);
});

test('disabling an account signs it out at once; enabling lets it back in', async () => {
  const target = await signIn(s.url, 'demo.prof');
  const r = await who.admin.post(`/people/${ids.teacher}/disable`, {});
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), `/people/${ids.teacher}`);
  assert.equal((await target.json('GET', '/api/v1/me')).status, 401);
  const v = new Visitor(s.url);
  await v.get('/login');
  assert.equal((await v.post('/login', { login: 'demo.prof', password: 'cartable-demo' })).status, 401,
    'a disabled account cannot sign in, with the usual message');
  const page = await who.admin.get(`/people/${ids.teacher}`);
  assert.match(page.text, /action="\/people\/\d+\/enable"/);
  assert.equal((await who.admin.post(`/people/${ids.teacher}/enable`, {})).status, 303);
  assert.equal((await v.post('/login', { login: 'demo.prof', password: 'cartable-demo' })).status, 303);
});

test('a reset prints a new letter, ends the sessions and voids the password', async () => {
  const target = await signIn(s.url, 'demo.staff', 'policy-password');
  const r = await who.admin.post(`/people/${(await target.json('GET', '/api/v1/me')).data.id}/reset`, {});
  assert.equal(r.status, 200);
  const [login, code] = [...r.text.matchAll(/<dd class="code">([^<]+)<\/dd>/g)].map((m) => m[1]);
  assert.equal(login, 'demo.staff');
  assert.match(code, /^\w{4}-\w{4}-\w{4}$/);
  assert.equal((await target.json('GET', '/api/v1/me')).status, 401);
  const v = new Visitor(s.url);
  await v.get('/login');
  assert.equal((await v.post('/login', { login: 'demo.staff', password: 'policy-password' })).status, 401);
  await v.get('/activate');
  const act = await v.post('/activate', { login, code, password: 'after-reset-pw', confirm: 'after-reset-pw' });
  assert.equal(act.status, 303);
  assert.equal((await v.json('GET', '/api/v1/me')).data.login, 'demo.staff');
});

test('directory search finds people by name and login, within the school', async () => {
  const r = await who.admin.get(`/admin/schools/${ids.school}/people?q=martin&role=pupil`);
  assert.equal(r.status, 200);
  assert.match(r.text, /Martin Léa/);
  assert.match(r.text, /demo\.eleve/);
  const byLogin = await who.admin.get(`/admin/schools/${ids.school}/people?q=demo.prof`);
  assert.match(byLogin.text, /Benali Nadia/);
  // the other school's people are not found from this one
  const other = await who.admin.get(`/admin/schools/${ids.school}/people?q=dupont`);
  assert.doesNotMatch(other.text, /sophie\.dupont/);
  const bad = await who.admin.get(`/admin/schools/${ids.school}/people?offset=-4`);
  assert.equal(bad.status, 400);
  const missing = await who.admin.get('/admin/schools/999999');
  assert.equal(missing.status, 404);
  assert.equal((await who.admin.get('/people/99999999')).status, 404);
  assert.equal((await who.admin.get('/classes/99999999')).status, 404);
});
