// Grades over HTTP: a teacher creates evaluations and enters marks through the
// pages and the API; pupils and parents read marks and term reports; every role's
// refusals; every bad input (and a refused grid keeps what was typed).
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

async function csrfOf(v) {
  return (await v.json('GET', '/api/v1/me')).data.csrf_token;
}

async function api(v, method, path, body) {
  return v.json(method, path, body, { 'x-csrf-token': await csrfOf(v) });
}

const near = (a, b, what) => assert.ok(Math.abs(a - b) <= 0.011, `${what}: ${a} vs ${b}`);

before(async () => {
  s = await startServer();
  who.pupil = await signIn(s.url, 'demo.eleve');
  who.parent = await signIn(s.url, 'demo.parent');
  who.teacher = await signIn(s.url, 'demo.prof');
  who.admin = await signIn(s.url, 'demo.admin');
  who.anonymous = new Visitor(s.url);
  await who.anonymous.get('/');

  const me = async (v) => (await v.json('GET', '/api/v1/me')).data;
  const lea = await me(who.pupil);
  ids.pupil = lea.id;
  ids.school = (await me(who.admin)).school.id;
  ids.hugo = (await me(who.parent)).children.find((c) => c.first_name === 'Hugo').id;

  // The teachings come from Léa's own marks: maths is demo.prof's, another subject is not.
  const g = await who.pupil.json('GET', '/api/v1/grades');
  assert.equal(g.status, 200, g.text);
  const maths = g.data.subjects.find((x) => x.teacher === 'Nadia Benali');
  assert.ok(maths && maths.marks.length >= 3, 'demo marks in maths');
  ids.maths = maths.marks[0].teaching_id;
  ids.mathsEval = maths.marks[0].evaluation_id;
  const other = g.data.subjects.find((x) => x.teacher !== 'Nadia Benali' && x.marks.length);
  ids.otherTeaching = other.marks[0].teaching_id;
  ids.otherEval = other.marks[0].evaluation_id;

  // A classmate, from the teacher's grid; a pupil of a class demo.prof does not teach.
  const ev = await who.teacher.json('GET', `/api/v1/evaluations/${ids.mathsEval}`);
  assert.equal(ev.status, 200, ev.text);
  const mate = ev.data.marks.find((m) => m.pupil !== ids.pupil);
  ids.classmate = mate.pupil;
  ids.classmateName = mate.last_name;
  const schoolPage = (await who.admin.get(`/admin/schools/${ids.school}`)).text;
  ids.class4F = must(/<a href="\/classes\/(\d+)">4e F<\/a>/, schoolPage, '4e F');
  ids.stranger = Number(must(/<td><a href="\/people\/(\d+)">/, (await who.admin.get(`/classes/${ids.class4F}`)).text, 'a 4e F pupil'));
  const sg = await who.admin.json('GET', `/api/v1/grades?pupil=${ids.stranger}`);
  assert.equal(sg.status, 200, sg.text);
  ids.strangerEval = sg.data.subjects.find((x) => x.marks.length).marks[0].evaluation_id;
});

after(async () => { await s.cleanup(); });

test('a teacher creates an evaluation and enters marks through the pages', async () => {
  const t = who.teacher;
  const list = await t.get(`/teaching/${ids.maths}/evaluations`);
  assert.equal(list.status, 200);
  assert.match(list.text, /Évaluations · Mathématiques · 5e B/);
  assert.match(list.text, /action="\/teaching\/\d+\/evaluations"/);

  const created = await t.post(`/teaching/${ids.maths}/evaluations`,
    { title: 'Contrôle page', date: '2026-10-15', coefficient: '2', scale: '10' });
  assert.equal(created.status, 303, created.text.slice(0, 500));
  const loc = created.headers.get('location');
  const id = Number(must(/^\/evaluations\/(\d+)\?created=1$/, loc, 'location'));
  ids.pageEval = id;

  const grid = await t.get(loc);
  assert.equal(grid.status, 200);
  assert.match(grid.text, /L'évaluation est créée/);
  assert.match(grid.text, new RegExp(`name="status_${ids.pupil}"`));
  assert.match(grid.text, new RegExp(`name="value_${ids.classmate}"`));

  // Léa 7,5 (French comma), the classmate absent, with a comment.
  const saved = await t.post(`/evaluations/${id}/marks`, {
    [`status_${ids.pupil}`]: 'mark', [`value_${ids.pupil}`]: '7,5', [`comment_${ids.pupil}`]: 'Bien',
    [`status_${ids.classmate}`]: 'absent', [`value_${ids.classmate}`]: '', [`comment_${ids.classmate}`]: '',
  });
  assert.equal(saved.status, 303, saved.text.slice(0, 800));
  assert.equal(saved.headers.get('location'), `/evaluations/${id}?saved=1`);
  const after = await t.get(`/evaluations/${id}?saved=1`);
  assert.match(after.text, /Les notes sont enregistrées/);
  assert.match(after.text, new RegExp(`name="value_${ids.pupil}" value="7.5"`));
  assert.match(after.text, new RegExp(`<option value="absent" selected>`));

  // Typing a number is enough: the status becomes "mark".
  const typed = await t.post(`/evaluations/${id}/marks`, { [`value_${ids.classmate}`]: '10', [`status_${ids.classmate}`]: '' });
  assert.equal(typed.status, 303);
  const j = await t.json('GET', `/api/v1/evaluations/${id}`);
  const lea = j.data.marks.find((m) => m.pupil === ids.pupil);
  assert.deepEqual([lea.status, lea.value, lea.comment], ['mark', 7.5, 'Bien']);
  assert.equal(j.data.marks.find((m) => m.pupil === ids.classmate).value, 10);
  assert.equal(j.data.class.average, 8.75);
  assert.equal(j.data.class.min, 7.5);
  assert.equal(j.data.class.max, 10);
  assert.equal(j.data.scale, 10);
  assert.equal(j.data.coefficient, 2);

  // Léa sees it among her marks, out of 10.
  const g = await who.pupil.json('GET', '/api/v1/grades?term=1');
  const m = g.data.subjects.flatMap((x) => x.marks).find((x) => x.evaluation_id === id);
  assert.deepEqual([m.value, m.scale, m.coefficient, m.status], [7.5, 10, 2, 'mark']);
});

test('a teacher creates an evaluation and sets marks through the API', async () => {
  const t = who.teacher;
  const c = await api(t, 'POST', `/api/v1/teaching/${ids.maths}/evaluations`,
    { title: 'Contrôle API', date: '2026-10-20', coefficient: 1.5, scale: 20 });
  assert.equal(c.status, 201, c.text);
  assert.equal(c.headers.get('location'), `/api/v1/evaluations/${c.data.id}`);
  assert.equal(c.data.title, 'Contrôle API');
  assert.equal(c.data.can_write, true);
  ids.apiEval = c.data.id;
  const put = await api(t, 'PUT', `/api/v1/evaluations/${c.data.id}/marks`, [
    { pupil: ids.pupil, status: 'mark', value: 15.25, comment: 'Très bien' },
    { pupil: ids.classmate, status: 'exempt' },
  ]);
  assert.equal(put.status, 200, put.text);
  const lea = put.data.marks.find((m) => m.pupil === ids.pupil);
  assert.deepEqual([lea.status, lea.value, lea.comment], ['mark', 15.25, 'Très bien']);
  assert.equal(put.data.marks.find((m) => m.pupil === ids.classmate).status, 'exempt');
  assert.equal(put.data.class.count, 1);
  // {"marks": [...]} works too; "none" removes a mark.
  const again = await api(t, 'PUT', `/api/v1/evaluations/${c.data.id}/marks`, { marks: [{ pupil: ids.classmate, status: 'none' }] });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.data.marks.find((m) => m.pupil === ids.classmate).status, 'none');
  // An update, then a delete.
  const up = await api(t, 'PUT', `/api/v1/evaluations/${c.data.id}`, { title: 'Contrôle API (corrigé)', date: '2026-10-21', scale: 20 });
  assert.equal(up.status, 200, up.text);
  assert.equal(up.data.date, '2026-10-21');
  assert.equal(up.data.coefficient, 1);
});

test('a pupil sees their own marks and term report with French averages', async () => {
  const p = who.pupil;
  const page = await p.get(`/pupils/${ids.pupil}/grades`);
  assert.equal(page.status, 200);
  assert.match(page.text, /Notes de Léa Martin/);
  assert.match(page.text, /Mathématiques/);
  assert.match(page.text, /Moyenne de la classe/);
  const report = await p.get(`/pupils/${ids.pupil}/report?term=1`);
  assert.equal(report.status, 200);
  assert.match(report.text, /Bulletin de Léa Martin/);
  assert.match(report.text, /Moyenne générale/);
  assert.match(report.text, /Nadia Benali/);

  // The averages in the API are the ones French schools compute.
  const g = (await p.json('GET', `/api/v1/grades?pupil=${ids.pupil}`)).data;
  assert.equal(g.terms.length, 3); // the demo school has no terms of its own: the default trimesters
  assert.ok(g.terms.some((t) => t.number === g.term.number));
  const avgs = [];
  for (const sub of g.subjects) {
    let sum = 0, w = 0;
    for (const m of sub.marks) if (m.status === 'mark') { sum += m.value / m.scale * 20 * m.coefficient; w += m.coefficient; }
    if (w === 0) { assert.equal(sub.average, null, sub.subject); continue; }
    near(sub.average, sum / w, sub.subject);
    avgs.push(sub.average);
    assert.ok(sub.min <= sub.class_average && sub.class_average <= sub.max, sub.subject);
  }
  near(g.average, avgs.reduce((a, b) => a + b, 0) / avgs.length, 'overall');
});

test('an evaluation page shows a pupil only their own mark', async () => {
  const r = await who.pupil.get(`/evaluations/${ids.pageEval}`);
  assert.equal(r.status, 200);
  assert.match(r.text, /Martin Léa/);
  assert.ok(!r.text.includes(ids.classmateName), 'no classmate on a pupil\'s view');
  assert.ok(!r.text.includes('name="status_'), 'no grid for a pupil');
  const j = await who.pupil.json('GET', `/api/v1/evaluations/${ids.pageEval}`);
  assert.deepEqual(j.data.marks.map((m) => m.pupil), [ids.pupil]);
  assert.equal(j.data.can_write, false);
  // the parent sees Léa's line only
  const pj = await who.parent.json('GET', `/api/v1/evaluations/${ids.pageEval}`);
  assert.deepEqual(pj.data.marks.map((m) => m.pupil), [ids.pupil]);
});

test('who may see whose grades', async () => {
  const cases = [
    [who.pupil, ids.pupil, 200], [who.pupil, ids.classmate, 403], [who.pupil, ids.hugo, 403],
    [who.parent, ids.pupil, 200], [who.parent, ids.hugo, 200], [who.parent, ids.classmate, 403],
    [who.teacher, ids.pupil, 200], [who.teacher, ids.stranger, 403],
    [who.admin, ids.stranger, 200],
  ];
  const wrong = [];
  for (const [v, pupil, expected] of cases) {
    for (const path of [`/pupils/${pupil}/grades`, `/pupils/${pupil}/report?term=1`]) {
      const r = await v.get(path);
      if (r.status !== expected) wrong.push(`${path}: ${r.status} != ${expected}`);
    }
    const a = await v.json('GET', `/api/v1/grades?pupil=${pupil}`);
    if (a.status !== expected) wrong.push(`api ${pupil}: ${a.status} != ${expected}`);
    if (expected === 403 && a.data?.error?.status !== 403) wrong.push(`api ${pupil}: not a JSON error`);
  }
  assert.deepEqual(wrong, []);
  // nobody signed in: the sign-in page, or 401 in JSON
  const anon = await who.anonymous.get(`/pupils/${ids.pupil}/grades`);
  assert.equal(anon.status, 303);
  assert.match(anon.headers.get('location'), /^\/login/);
  assert.equal((await who.anonymous.json('GET', `/api/v1/grades?pupil=${ids.pupil}`)).status, 401);
  // unknown pupil: 404
  assert.equal((await who.admin.get('/pupils/99999999/grades')).status, 404);
});

test('a teacher is refused what is not theirs', async () => {
  const t = who.teacher;
  // another teacher's evaluation in a class she teaches: she may read it, not write it
  assert.equal((await t.get(`/evaluations/${ids.otherEval}`)).status, 200);
  const post = await t.post(`/evaluations/${ids.otherEval}/marks`, { [`status_${ids.pupil}`]: 'mark', [`value_${ids.pupil}`]: '20' });
  assert.equal(post.status, 403);
  assert.equal((await t.post(`/evaluations/${ids.otherEval}/edit`, { title: 'x', date: '2026-10-01' })).status, 403);
  assert.equal((await t.post(`/evaluations/${ids.otherEval}/delete`, {})).status, 403);
  assert.equal((await t.post(`/teaching/${ids.otherTeaching}/evaluations`, { title: 'x', date: '2026-10-01' })).status, 403);
  const put = await api(t, 'PUT', `/api/v1/evaluations/${ids.otherEval}/marks`, [{ pupil: ids.pupil, status: 'mark', value: 20 }]);
  assert.equal(put.status, 403);
  assert.equal(put.data.error.status, 403);
  const create = await api(t, 'POST', `/api/v1/teaching/${ids.otherTeaching}/evaluations`, { title: 'x', date: '2026-10-01' });
  assert.equal(create.status, 403);
  // an evaluation of a class she does not teach: not even readable
  assert.equal((await t.get(`/evaluations/${ids.strangerEval}`)).status, 403);
  assert.equal((await t.json('GET', `/api/v1/evaluations/${ids.strangerEval}`)).status, 403);
  // pupils and parents never write
  for (const v of [who.pupil, who.parent]) {
    assert.equal((await v.post(`/evaluations/${ids.pageEval}/marks`, { [`status_${ids.pupil}`]: 'mark', [`value_${ids.pupil}`]: '20' })).status, 403);
    assert.equal((await v.post(`/teaching/${ids.maths}/evaluations`, { title: 'x', date: '2026-10-01' })).status, 403);
    assert.equal((await v.get(`/evaluations/${ids.strangerEval}`)).status, 403);
  }
  // unknown ids: 404
  assert.equal((await t.get('/evaluations/99999999')).status, 404);
  assert.equal((await t.get('/teaching/99999999/evaluations')).status, 404);
  assert.equal((await t.post('/evaluations/99999999/marks', {})).status, 404);
  assert.equal((await api(t, 'PUT', '/api/v1/evaluations/99999999/marks', [])).status, 404);
  // Léa's mark in the other teacher's evaluation is unchanged
  const j = await who.admin.json('GET', `/api/v1/evaluations/${ids.otherEval}`);
  assert.notEqual(j.data.marks.find((m) => m.pupil === ids.pupil).comment, 'hacked');
});

test('a refused grid is shown again with what was typed, and nothing is saved', async () => {
  const t = who.teacher;
  const id = ids.pageEval; // out of 10; Léa has 7.5, the classmate 10
  const cases = [
    ['11', /La note doit être comprise entre 0 et 10\./],
    ['-1', /La note doit être comprise entre 0 et 10\./],
    ['abc', /Ce n&#39;est pas un nombre\.|Ce n'est pas un nombre\./],
    ['7.125', /Deux décimales au plus\./],
  ];
  for (const [value, message] of cases) {
    const r = await t.post(`/evaluations/${id}/marks`, {
      [`status_${ids.pupil}`]: 'mark', [`value_${ids.pupil}`]: value, [`comment_${ids.pupil}`]: 'Mon brouillon',
      [`status_${ids.classmate}`]: 'mark', [`value_${ids.classmate}`]: '3', [`comment_${ids.classmate}`]: 'à garder',
    });
    assert.equal(r.status, 400, value);
    assert.match(r.text, message, value);
    assert.match(r.text, /Certaines valeurs sont à corriger/);
    assert.ok(r.text.includes(`name="value_${ids.pupil}" value="${value}"`), `typed ${value} kept`);
    assert.ok(r.text.includes('value="Mon brouillon"'), 'comment kept');
    assert.ok(r.text.includes(`name="value_${ids.classmate}" value="3"`), 'the valid row kept as typed');
    assert.match(r.text, /aria-invalid="true"/);
  }
  // other bad rows: a value with "absent", a status nobody knows, a comment without a status, too long a comment
  const more = [
    [{ [`status_${ids.pupil}`]: 'absent', [`value_${ids.pupil}`]: '5' }, /Une note ne va qu/],
    [{ [`status_${ids.pupil}`]: 'brilliant', [`value_${ids.pupil}`]: '5' }, /Statut inconnu/],
    [{ [`status_${ids.pupil}`]: '', [`value_${ids.pupil}`]: '', [`comment_${ids.pupil}`]: 'seul' }, /Choisissez un statut/],
    [{ [`status_${ids.pupil}`]: 'mark', [`value_${ids.pupil}`]: '' }, /Saisissez la note/],
    [{ [`status_${ids.pupil}`]: 'exempt', [`comment_${ids.pupil}`]: 'x'.repeat(501) }, /trop longue/],
  ];
  for (const [fields, message] of more) {
    const r = await t.post(`/evaluations/${id}/marks`, fields);
    assert.equal(r.status, 400, JSON.stringify(fields).slice(0, 80));
    assert.match(r.text, message);
  }
  // a pupil who is not in the class (or does not exist): the whole grid is refused
  for (const stranger of [ids.stranger, 99999999]) {
    const r = await t.post(`/evaluations/${id}/marks`, {
      [`status_${ids.pupil}`]: 'mark', [`value_${ids.pupil}`]: '1',
      [`status_${stranger}`]: 'mark', [`value_${stranger}`]: '5',
    });
    assert.equal(r.status, 400);
    assert.match(r.text, /pas dans cette classe ou ce groupe/);
    assert.ok(r.text.includes(`name="value_${ids.pupil}" value="1"`));
  }
  // no CSRF token: refused
  const nocsrf = await t.post(`/evaluations/${id}/marks`, { [`status_${ids.pupil}`]: 'mark', [`value_${ids.pupil}`]: '1' }, { noCsrf: true });
  assert.equal(nocsrf.status, 403);
  // nothing of all that was saved
  const j = await t.json('GET', `/api/v1/evaluations/${id}`);
  const lea = j.data.marks.find((m) => m.pupil === ids.pupil);
  assert.deepEqual([lea.status, lea.value, lea.comment], ['mark', 7.5, 'Bien']);
  assert.equal(j.data.marks.find((m) => m.pupil === ids.classmate).value, 10);
});

test('a refused evaluation form keeps what was typed', async () => {
  const t = who.teacher;
  const cases = [
    [{ title: 'Bad date', date: '2026-02-30', coefficient: '1', scale: '20' }, /La date doit être une vraie date/],
    [{ title: 'Bad date', date: 'demain', coefficient: '1', scale: '20' }, /La date doit être une vraie date/],
    [{ title: 'Coef 0', date: '2026-10-01', coefficient: '0', scale: '20' }, /Le coefficient doit être supérieur à 0/],
    [{ title: 'Coef 101', date: '2026-10-01', coefficient: '101', scale: '20' }, /Le coefficient doit être supérieur à 0/],
    [{ title: 'Coef text', date: '2026-10-01', coefficient: 'deux', scale: '20' }, /pas un nombre/],
    [{ title: 'Scale 0', date: '2026-10-01', coefficient: '1', scale: '0' }, /Le barème doit être supérieur à 0/],
    [{ title: 'Scale big', date: '2026-10-01', coefficient: '1', scale: '1001' }, /Le barème doit être supérieur à 0/],
    [{ title: '   ', date: '2026-10-01', coefficient: '1', scale: '20' }, /L&#39;intitulé est obligatoire|L'intitulé est obligatoire/],
    [{ title: 'x'.repeat(201), date: '2026-10-01', coefficient: '1', scale: '20' }, /intitulé est obligatoire/],
  ];
  const before = (await t.get(`/teaching/${ids.maths}/evaluations`)).text.match(/href="\/evaluations\/\d+"/g).length;
  for (const [fields, message] of cases) {
    const r = await t.post(`/teaching/${ids.maths}/evaluations`, fields);
    assert.equal(r.status, 400, fields.title);
    assert.match(r.text, message, fields.title);
    assert.ok(r.text.includes(`value="${fields.date}"`), 'date kept');
    assert.ok(r.text.includes(`value="${fields.coefficient}"`), 'coefficient kept');
    if (fields.title.trim()) assert.ok(r.text.includes(`value="${fields.title}"`), 'title kept');
  }
  const afterCount = (await t.get(`/teaching/${ids.maths}/evaluations`)).text.match(/href="\/evaluations\/\d+"/g).length;
  assert.equal(afterCount, before, 'nothing created');

  // edit: a scale below the marks already given is refused; a good edit passes; delete removes
  const low = await t.post(`/evaluations/${ids.pageEval}/edit`, { title: 'Contrôle page', date: '2026-10-15', coefficient: '2', scale: '5' });
  assert.equal(low.status, 400);
  assert.match(low.text, /dépassent ce barème/);
  assert.ok(low.text.includes('value="5"'));
  const ok = await t.post(`/evaluations/${ids.pageEval}/edit`, { title: 'Contrôle page (v2)', date: '2026-10-16', coefficient: '1', scale: '20' });
  assert.equal(ok.status, 303);
  const page = await t.get(ok.headers.get('location'));
  assert.match(page.text, /Contrôle page \(v2\)/);
  assert.match(page.text, /L'évaluation est modifiée|L&#39;évaluation est modifiée/);
  const made = await t.post(`/teaching/${ids.maths}/evaluations`, { title: 'À supprimer', date: '2026-10-02', coefficient: '1', scale: '20' });
  const delId = must(/\/evaluations\/(\d+)/, made.headers.get('location'), 'new id');
  const del = await t.post(`/evaluations/${delId}/delete`, {});
  assert.equal(del.status, 303);
  assert.equal(del.headers.get('location'), `/teaching/${ids.maths}/evaluations`);
  assert.equal((await t.get(`/evaluations/${delId}`)).status, 404);
});

test('the API refuses bad input with JSON errors per field', async () => {
  const t = who.teacher;
  const bad = async (method, path, body, code, field) => {
    const r = await api(t, method, path, body);
    assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
    assert.equal(r.data.error.status, 400);
    if (code) {
      const f = r.data.error.fields.find((x) => x.code === code);
      assert.ok(f, `${code} in ${r.text}`);
      if (field) assert.equal(f.field, field);
      assert.ok(f.message.length > 0);
    }
    return r;
  };
  const create = `/api/v1/teaching/${ids.maths}/evaluations`;
  await bad('POST', create, { date: '2026-10-01' }, 'title', 'title');
  await bad('POST', create, { title: 'x', date: '2026-13-01' }, 'date', 'date');
  await bad('POST', create, { title: 'x', date: 20261001 }, 'date');
  await bad('POST', create, { title: 'x', date: '2026-10-01', coefficient: 0 }, 'coefficient');
  await bad('POST', create, { title: 'x', date: '2026-10-01', coefficient: -2 }, 'coefficient');
  await bad('POST', create, { title: 'x', date: '2026-10-01', coefficient: 'un' }, 'not_number', 'coefficient');
  await bad('POST', create, { title: 'x', date: '2026-10-01', scale: 0 }, 'scale');
  await bad('POST', create, { title: 'x', date: '2026-10-01', scale: 20.001 }, 'precision');
  await bad('POST', create, [1, 2]);

  const marks = `/api/v1/evaluations/${ids.apiEval}/marks`; // out of 20
  await bad('PUT', marks, [{ pupil: ids.pupil, status: 'mark', value: 21 }], 'value_range', 'marks[0].value');
  await bad('PUT', marks, [{ pupil: ids.pupil, status: 'mark', value: -0.5 }], 'value_range');
  await bad('PUT', marks, [{ pupil: ids.pupil, status: 'mark', value: '12' }], 'not_number');
  await bad('PUT', marks, [{ pupil: ids.pupil, status: 'mark', value: 12.345 }], 'precision');
  await bad('PUT', marks, [{ pupil: ids.pupil, status: 'mark' }], 'value_missing');
  await bad('PUT', marks, [{ pupil: ids.pupil, status: 'absent', value: 3 }], 'value_unexpected');
  await bad('PUT', marks, [{ pupil: ids.pupil, status: 'great', value: 3 }], 'status');
  await bad('PUT', marks, [{ pupil: ids.pupil, status: 'mark', value: 3, comment: 'x'.repeat(501) }], 'comment');
  await bad('PUT', marks, [{ pupil: 99999999, status: 'mark', value: 3 }], 'pupil', 'marks[0].pupil');
  await bad('PUT', marks, [{ pupil: ids.stranger, status: 'mark', value: 3 }], 'pupil');
  await bad('PUT', marks, [{ pupil: 'Léa', status: 'mark', value: 3 }], 'pupil');
  await bad('PUT', marks, [{ pupil: ids.pupil, status: 'mark', value: 3 }, { pupil: ids.pupil, status: 'absent' }], 'duplicate', 'marks[1].pupil');
  // a good row beside a bad one: nothing is saved
  const r = await bad('PUT', marks, [{ pupil: ids.classmate, status: 'mark', value: 4 }, { pupil: ids.pupil, status: 'mark', value: 40 }], 'value_range', 'marks[1].value');
  assert.equal(r.data.error.fields.length, 1);
  const j = await t.json('GET', `/api/v1/evaluations/${ids.apiEval}`);
  assert.equal(j.data.marks.find((m) => m.pupil === ids.classmate).status, 'none');
  assert.equal(j.data.marks.find((m) => m.pupil === ids.pupil).value, 15.25);
  // not JSON, no CSRF header
  const nojson = await t.json('PUT', marks, undefined, { 'x-csrf-token': await csrfOf(t), 'content-type': 'text/plain' });
  assert.equal(nojson.status, 415);
  const nocsrf = await t.json('PUT', marks, [{ pupil: ids.pupil, status: 'absent' }]);
  assert.equal(nocsrf.status, 403);
  // reading: a bad term or pupil
  assert.equal((await who.pupil.json('GET', '/api/v1/grades?term=9')).status, 400);
  assert.equal((await who.pupil.get(`/pupils/${ids.pupil}/grades?term=x`)).status, 400);
  assert.equal((await who.pupil.json('GET', '/api/v1/grades?pupil=abc')).status, 400);
  assert.equal((await who.teacher.json('GET', '/api/v1/grades')).status, 400);
});
