// Attendance over HTTP on the demo school: a teacher takes and edits a roll call
// through the form and the API, parents justify, staff review; every role's
// refusals and every bad input, with the typed values handed back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signIn, cli, Visitor } from './lib/server.mjs';

let s;
const who = {};
const ids = {};

const iso = (d) => d.toISOString().slice(0, 10);
function daysAgo(n) {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return iso(new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate())));
}

async function csrfOf(v) {
  const r = await v.json('GET', '/api/v1/me');
  return r.data.csrf_token;
}
async function api(v, method, path, body) {
  return v.json(method, path, body, { 'x-csrf-token': await csrfOf(v) });
}
const pupilIds = (html) => [...new Set([...html.matchAll(/name="p(\d+)"/g)].map((m) => Number(m[1])))];
// Léa's record belongs to the justification tests: leave her out of the others.
const others = (html) => pupilIds(html).filter((id) => id !== ids.pupil);

before(async () => {
  s = await startServer();
  const r = cli(s, ['user', 'add', '--first', 'Anne', '--last', 'Cpe', '--role', 'staff', '--school', '0999999F',
    '--login', 'att.staff', '--password-stdin'], { input: 'staff-password\n' });
  assert.equal(r.code, 0, r.stderr);
  who.pupil = await signIn(s.url, 'demo.eleve');
  who.parent = await signIn(s.url, 'demo.parent');
  who.teacher = await signIn(s.url, 'demo.prof');
  who.admin = await signIn(s.url, 'demo.admin');
  who.staff = await signIn(s.url, 'att.staff', 'staff-password');
  who.anonymous = new Visitor(s.url);
  const me = async (v) => (await v.json('GET', '/api/v1/me')).data;
  ids.pupil = (await me(who.pupil)).id;
  const parentMe = await me(who.parent);
  ids.hugo = parentMe.children.find((c) => c.first_name === 'Hugo').id;
  ids.school = (await me(who.admin)).school.id;
  // the teacher's maths in 5e B, on a recent day it met
  for (let back = 1; back <= 14 && !ids.teaching; back++) {
    const day = daysAgo(back);
    const l = (await who.teacher.json('GET', `/api/v1/roll-calls?date=${day}`)).data.lessons
      .find((x) => x.target === '5e B' && x.subject === 'Mathématiques');
    if (l) Object.assign(ids, { teaching: l.teaching_id, day, start: l.start });
  }
  assert.ok(ids.teaching, 'the demo teacher has a 5e B maths lesson in the last two weeks');
  const dayJson = (await who.admin.json('GET', `/api/v1/schools/${ids.school}/attendance?date=${ids.day}`)).data;
  ids.notMine = dayJson.lessons.find((l) => l.target === '5e B' && l.teacher !== 'Nadia Benali').teaching_id;
  ids.otherClass = dayJson.lessons.find((l) => l.target !== '5e B' && l.teacher !== 'Nadia Benali').teaching_id;
  // someone else's child's absence (not Léa's, not Hugo's)
  for (let back = 1; back <= 14 && !ids.strangerAbsence; back++) {
    const d = (await who.admin.json('GET', `/api/v1/schools/${ids.school}/attendance?date=${daysAgo(back)}`)).data;
    const a = d.absences.find((x) => x.pupil.id !== ids.pupil && x.pupil.id !== ids.hugo && x.status === 'unjustified');
    if (a) Object.assign(ids, { strangerAbsence: a.id, stranger: a.pupil.id });
  }
  assert.ok(ids.strangerAbsence);
});

after(async () => { await s.cleanup(); });

test('the teacher sees the day\'s lessons with their roll calls', async () => {
  const r = await who.teacher.get(`/roll-calls?date=${ids.day}`);
  assert.equal(r.status, 200);
  assert.match(r.text, new RegExp(`/teaching/${ids.teaching}/roll-call\\?date=${ids.day}&amp;start=${ids.start}`));
  assert.match(r.text, /Appel fait/);
  assert.equal((await who.teacher.get('/roll-calls?date=2026-13-01')).status, 400);
  assert.equal((await who.anonymous.get('/roll-calls')).status, 303);
});

test('a teacher takes a roll call through the form, then edits it', async () => {
  const t = who.teacher;
  const path = `/teaching/${ids.teaching}/roll-call?date=${ids.day}&start=07:00`;
  const form = await t.get(path);
  assert.equal(form.status, 200);
  const pupils = pupilIds(form.text);
  assert.equal(pupils.length, 25);
  // present is checked by default, for everyone
  assert.equal((form.text.match(/value="present" checked/g) || []).length, 25);
  const [a, b, c] = pupils.filter((id) => id !== ids.pupil);
  let r = await t.post(path, { [`p${a}`]: 'absent', [`p${b}`]: 'late', [`m${b}`]: '12', [`p${c}`]: 'present', [`m${c}`]: '' });
  assert.equal(r.status, 303, r.text.slice(0, 500));
  assert.equal(r.headers.get('location'), `/roll-calls?date=${ids.day}&saved=1`);
  const again = await t.get(path);
  assert.match(again.text, /déjà fait/);
  assert.match(again.text, new RegExp(`name="p${a}" value="absent" checked`));
  assert.match(again.text, new RegExp(`name="p${b}" value="late" checked`));
  assert.match(again.text, new RegExp(`name="m${b}"[^>]*value="12"`));
  // the API sees it
  let j = await api(t, 'GET', `/api/v1/teaching/${ids.teaching}/roll-call?date=${ids.day}&start=07:00`);
  assert.equal(j.status, 200);
  assert.deepEqual(j.data.absences.map((x) => [x.pupil.id, x.kind, x.minutes_late]).sort(),
    [[a, 'absent', 0], [b, 'late', 12]].sort());
  const rollId = j.data.id;
  // edit: a present again, b later than thought
  r = await t.post(path, { [`p${a}`]: 'present', [`p${b}`]: 'late', [`m${b}`]: '20' });
  assert.equal(r.status, 303);
  j = await api(t, 'GET', `/api/v1/teaching/${ids.teaching}/roll-call?date=${ids.day}&start=07:00`);
  assert.equal(j.data.id, rollId, 'retaking edits the same roll call');
  assert.deepEqual(j.data.absences.map((x) => [x.pupil.id, x.kind, x.minutes_late]), [[b, 'late', 20]]);
});

test('the API replaces a roll call; a justification survives a retake while the pupil is still absent', async () => {
  const t = who.teacher;
  const form = await t.get(`/teaching/${ids.teaching}/roll-call?date=${ids.day}&start=07:30`);
  const [a, b] = others(form.text).slice(5);
  let r = await api(t, 'PUT', `/api/v1/teaching/${ids.teaching}/roll-call`,
    { date: ids.day, start: '07:30', pupils: [{ pupil: a, status: 'absent' }, { pupil: b, status: 'late', minutes_late: 5 }] });
  assert.equal(r.status, 200, r.text);
  const absenceA = r.data.absences.find((x) => x.pupil.id === a).id;
  // the school justifies a at once (staff decide)
  r = await api(who.staff, 'POST', `/api/v1/absences/${absenceA}/justification`, { reason: 'Appel de la mère' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.data.status, 'justified');
  // retake: a still absent keeps it; b present loses the lateness
  r = await api(t, 'PUT', `/api/v1/teaching/${ids.teaching}/roll-call`,
    { date: ids.day, start: '07:30', pupils: [{ pupil: a, status: 'absent' }, { pupil: b, status: 'present' }] });
  assert.equal(r.status, 200);
  assert.deepEqual(r.data.absences.map((x) => [x.pupil.id, x.id, x.status, x.reason]),
    [[a, absenceA, 'justified', 'Appel de la mère']]);
});

test('roll call refusals: not their teaching, not a teacher, unknown ids', async () => {
  const q = `?date=${ids.day}&start=08:30`;
  assert.equal((await who.teacher.get(`/teaching/${ids.notMine}/roll-call${q}`)).status, 403);
  assert.equal((await who.teacher.post(`/teaching/${ids.notMine}/roll-call${q}`, {})).status, 403);
  assert.equal((await who.teacher.get(`/teaching/${ids.otherClass}/roll-call${q}`)).status, 403);
  assert.equal((await api(who.teacher, 'PUT', `/api/v1/teaching/${ids.notMine}/roll-call`,
    { date: ids.day, start: '08:30', pupils: [] })).status, 403);
  for (const v of [who.pupil, who.parent, who.staff])
    assert.equal((await v.get(`/teaching/${ids.teaching}/roll-call${q}`)).status, 403);
  assert.equal((await who.teacher.get(`/teaching/99999999/roll-call${q}`)).status, 404);
  assert.equal((await who.anonymous.get(`/teaching/${ids.teaching}/roll-call${q}`)).status, 303);
  // an administrator of the school may (policy: TEACHING_WRITE)
  assert.equal((await who.admin.get(`/teaching/${ids.teaching}/roll-call${q}`)).status, 200);
});

test('roll call bad inputs are refused and the form keeps what was typed', async () => {
  const t = who.teacher;
  const base = `/teaching/${ids.teaching}/roll-call`;
  const form = await t.get(`${base}?date=${ids.day}&start=07:45`);
  const [a, b] = others(form.text).slice(10);
  const tomorrow = daysAgo(-1);
  for (const [q, why] of [[`date=2026-02-30&start=07:45`, 'impossible date'], [`date=${tomorrow}&start=07:45`, 'future'],
    [`date=hier&start=07:45`, 'not a date'], [`date=${ids.day}&start=25:00`, 'bad hour'], [`date=${ids.day}&start=7h`, 'bad time']]) {
    const r = await t.get(`${base}?${q}`);
    assert.equal(r.status, 400, why);
  }
  for (const minutes of ['0', '241', 'abc', '']) {
    const r = await t.post(`${base}?date=${ids.day}&start=07:45`, { [`p${a}`]: 'absent', [`p${b}`]: 'late', [`m${b}`]: minutes });
    assert.equal(r.status, 400, `minutes ${minutes}`);
    assert.match(r.text, /1 à 240 minutes/);
    // what was typed comes back
    assert.match(r.text, new RegExp(`name="p${a}" value="absent" checked`));
    assert.match(r.text, new RegExp(`name="p${b}" value="late" checked`));
    if (minutes) assert.match(r.text, new RegExp(`name="m${b}"[^>]*value="${minutes}"`));
  }
  let r = await t.post(`${base}?date=${ids.day}&start=07:45`, { [`p${a}`]: 'absent', [`p${ids.stranger}`]: 'absent' });
  assert.equal(r.status, 400);
  assert.match(r.text, /ne suit pas ce cours/);
  assert.match(r.text, new RegExp(`name="p${a}" value="absent" checked`));
  r = await t.post(`${base}?date=${ids.day}&start=07:45`, { [`p${a}`]: 'malade' });
  assert.equal(r.status, 400);
  // nothing was saved
  r = await api(t, 'GET', `/api/v1/teaching/${ids.teaching}/roll-call?date=${ids.day}&start=07:45`);
  assert.equal(r.status, 404);
  // the same through the API
  const put = (body) => api(t, 'PUT', `/api/v1/teaching/${ids.teaching}/roll-call`, body);
  const cases = [
    [{ date: '2026-02-30', start: '07:45', pupils: [] }, 'error.bad_date'],
    [{ date: tomorrow, start: '07:45', pupils: [] }, 'error.bad_date'],
    [{ date: ids.day, start: '24:30', pupils: [] }, 'error.bad_time'],
    [{ date: ids.day, start: '07:45', pupils: [{ pupil: a, status: 'late', minutes_late: 0 }] }, 'error.bad_minutes'],
    [{ date: ids.day, start: '07:45', pupils: [{ pupil: a, status: 'late', minutes_late: 241 }] }, 'error.bad_minutes'],
    [{ date: ids.day, start: '07:45', pupils: [{ pupil: a, status: 'late' }] }, 'error.bad_minutes'],
    [{ date: ids.day, start: '07:45', pupils: [{ pupil: ids.stranger, status: 'absent' }] }, 'error.not_in_teaching'],
    [{ date: ids.day, start: '07:45', pupils: [{ pupil: 99999999, status: 'absent' }] }, 'error.not_in_teaching'],
    [{ date: ids.day, start: '07:45', pupils: [{ pupil: a, status: 'absent' }, { pupil: a, status: 'late', minutes_late: 3 }] }, 'error.duplicate'],
    [{ date: ids.day, start: '07:45', pupils: [{ pupil: a, status: 'sick' }] }, 'error.bad_mark'],
    [{ date: ids.day, start: '07:45' }, 'bad_input'],
    [{ date: ids.day, pupils: [] }, 'bad_input'],
  ];
  for (const [body, code] of cases) {
    const x = await put(body);
    assert.equal(x.status, 400, JSON.stringify(body));
    assert.equal(x.data.error.code, code, JSON.stringify(body));
  }
});

test('a parent justifies their child\'s absence; refusals for others', async () => {
  const page = await who.parent.get(`/pupils/${ids.pupil}/absences`);
  assert.equal(page.status, 200);
  const forms = [...page.text.matchAll(/action="\/absences\/(\d+)\/justify"/g)].map((m) => Number(m[1]));
  assert.equal(forms.length, 1, 'Léa has one unjustified absence');
  const absence = forms[0];
  // the pupil sees her absences but cannot justify
  const own = await who.pupil.get(`/pupils/${ids.pupil}/absences`);
  assert.equal(own.status, 200);
  assert.doesNotMatch(own.text, /\/justify"/);
  assert.equal((await who.pupil.post(`/absences/${absence}/justify`, { reason: 'moi' })).status, 403);
  assert.equal((await api(who.pupil, 'POST', `/api/v1/absences/${absence}/justification`, { reason: 'moi' })).status, 403);
  // nor another pupil's page, nor the teacher someone else's justification
  assert.equal((await who.pupil.get(`/pupils/${ids.stranger}/absences`)).status, 403);
  assert.equal((await who.parent.get(`/pupils/${ids.stranger}/absences`)).status, 403);
  assert.equal((await who.teacher.post(`/absences/${absence}/justify`, { reason: 'x' })).status, 403);
  assert.equal((await who.parent.post(`/absences/${ids.strangerAbsence}/justify`, { reason: 'x' })).status, 403);
  assert.equal((await who.parent.post('/absences/99999999/justify', { reason: 'x' })).status, 404);
  // the teacher of her class may read her record
  assert.equal((await who.teacher.get(`/pupils/${ids.pupil}/absences`)).status, 200);
  // bad reasons: the typed text comes back
  let r = await who.parent.post(`/absences/${absence}/justify`, { reason: '   ' });
  assert.equal(r.status, 400);
  assert.match(r.text, /Indiquez le motif/);
  const long = 'Très long motif. '.repeat(60) + 'fin';
  r = await who.parent.post(`/absences/${absence}/justify`, { reason: long });
  assert.equal(r.status, 400);
  assert.match(r.text, /1000 caractères/);
  assert.ok(r.text.includes('Très long motif. Très long motif.'), 'the draft is handed back');
  r = await api(who.parent, 'POST', `/api/v1/absences/${absence}/justification`, { reason: '' });
  assert.equal(r.status, 400);
  assert.equal(r.data.error.code, 'error.reason_empty');
  // the justification
  r = await who.parent.post(`/absences/${absence}/justify`, { reason: 'Rendez-vous chez l\'orthodontiste' });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), `/pupils/${ids.pupil}/absences?done=sent`);
  const j = (await who.parent.json('GET', `/api/v1/attendance?pupil=${ids.pupil}`)).data;
  const x = j.absences.find((y) => y.id === absence);
  assert.equal(x.status, 'pending');
  assert.equal(x.reason, 'Rendez-vous chez l\'orthodontiste');
  assert.equal(j.totals.unjustified, 0);
  ids.pending = absence;
});

test('staff review pending justifications; others may not', async () => {
  assert.ok(ids.pending, 'runs after the parent test');
  const day = await who.staff.get(`/schools/${ids.school}/attendance?date=${ids.day}`);
  assert.equal(day.status, 200);
  assert.match(day.text, new RegExp(`action="/absences/${ids.pending}/review"`));
  for (const v of [who.teacher, who.parent, who.pupil])
    assert.equal((await v.get(`/schools/${ids.school}/attendance`)).status, 403);
  assert.equal((await who.staff.get('/schools/99999999/attendance')).status, 404);
  assert.equal((await who.staff.get(`/schools/${ids.school}/attendance?date=2026-99-01`)).status, 400);
  for (const v of [who.teacher, who.parent, who.pupil])
    assert.equal((await v.post(`/absences/${ids.pending}/review`, { decision: 'accept' })).status, 403);
  assert.equal((await who.staff.post(`/absences/${ids.pending}/review`, { decision: 'maybe' })).status, 400);
  let r = await who.staff.post(`/absences/${ids.pending}/review`, { decision: 'accept' });
  assert.equal(r.status, 303);
  const j = (await who.pupil.json('GET', '/api/v1/attendance')).data;
  assert.equal(j.pupil.id, ids.pupil);
  assert.equal(j.absences.find((y) => y.id === ids.pending).status, 'justified');
  // done once: a second decision is a conflict, a new justification too
  r = await who.staff.post(`/absences/${ids.pending}/review`, { decision: 'refuse' });
  assert.equal(r.status, 409);
  r = await api(who.parent, 'POST', `/api/v1/absences/${ids.pending}/justification`, { reason: 'encore' });
  assert.equal(r.status, 409);
  // the API twin
  const sd = await who.staff.json('GET', `/api/v1/schools/${ids.school}/attendance?date=${ids.day}`);
  assert.equal(sd.status, 200);
  assert.ok(sd.data.lessons.length > 0 && sd.data.roll_calls_taken > 0);
  assert.equal((await who.teacher.json('GET', `/api/v1/schools/${ids.school}/attendance`)).status, 403);
});

test('reading absences: who may see whose', async () => {
  const get = (v, id) => v.json('GET', `/api/v1/attendance?pupil=${id}`);
  assert.equal((await get(who.pupil, ids.pupil)).status, 200);
  assert.equal((await get(who.pupil, ids.stranger)).status, 403);
  assert.equal((await get(who.parent, ids.hugo)).status, 200);
  assert.equal((await get(who.parent, ids.stranger)).status, 403);
  assert.equal((await get(who.staff, ids.stranger)).status, 200);
  assert.equal((await get(who.teacher, ids.pupil)).status, 200);
  assert.equal((await get(who.parent, 99999999)).status, 404);
  assert.equal((await get(who.parent, 'abc')).status, 400);
  assert.equal((await who.anonymous.json('GET', `/api/v1/attendance?pupil=${ids.pupil}`)).status, 401);
});
