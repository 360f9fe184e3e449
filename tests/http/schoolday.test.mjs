// The school day over HTTP: today, the week, the cahier de textes, hand-ins and
// the calendar feed, for each role, with someone else's ids and bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signIn, cli, Visitor, multipart } from './lib/server.mjs';

let s, pupil, parent, teacher, hugo;
let leaId, hugoId, mathsTeaching;

function must(re, text, what) {
  const m = text.match(re);
  if (!m) throw new Error(`${what} not found in ${text.slice(0, 400)}`);
  return m[1];
}

before(async () => {
  s = await startServer();
  const r = cli(s, ['user', 'password', 'hugo.martin'], { input: 'hugo-password-1\n' });
  assert.equal(r.code, 0, r.stderr);
  pupil = await signIn(s.url, 'demo.eleve');
  parent = await signIn(s.url, 'demo.parent');
  teacher = await signIn(s.url, 'demo.prof');
  hugo = await signIn(s.url, 'hugo.martin', 'hugo-password-1');
  const me = await pupil.json('GET', '/api/v1/me');
  leaId = me.data.id;
  hugoId = (await hugo.json('GET', '/api/v1/me')).data.id;
  const home = await teacher.get('/');
  mathsTeaching = must(/href="\/teaching\/(\d+)">5e B · Mathématiques/, home.text, "the 5e B maths teaching link");
});

after(async () => { await s.stop(); });

test('a pupil sees the next school day and the homework due this week', async () => {
  const r = await pupil.get('/');
  assert.equal(r.status, 200);
  assert.match(r.text, /id="day-heading">(Aujourd'hui|Prochain jour de cours)/);
  assert.match(r.text, /class="lesson/);
  assert.match(r.text, /Mathématiques/);
  assert.match(r.text, /action="\/homework\/\d+\/done"/, 'a pupil can tick homework');
});

test('the cahier de textes by subject: one subject\'s homework and lessons, the pupil\'s subjects only', async () => {
  const all = (await pupil.get('/homework')).text;
  const subjects = [...all.matchAll(/href="\/homework\?pupil=\d+&amp;subject=(\d+)">([^<]+)<\/a>/g)];
  assert.ok(subjects.length >= 5, 'the pupil\'s subjects are listed');
  const maths = subjects.find((m) => m[2] === 'Mathématiques');
  const one = await pupil.get(`/homework?subject=${maths[1]}`);
  assert.equal(one.status, 200);
  assert.match(one.text, /<h1>Cahier de textes · Mathématiques<\/h1>/);
  // only that subject's lessons (the lesson headings name their subject)
  const headings = [...one.text.matchAll(/<h3>[^<]* · ([^<]+)<\/h3>/g)].map((m) => m[1]);
  assert.ok(headings.length > 0 && headings.every((h) => h === 'Mathématiques'), headings.join(', '));
  // a parent reads the same for the child
  const child = await parent.get(`/homework?pupil=${leaId}&subject=${maths[1]}`);
  assert.equal(child.status, 200);
  assert.match(child.text, /Mathématiques/);
  // a subject that is not the pupil's, or not a number
  assert.equal((await pupil.get('/homework?subject=999999')).status, 404);
  assert.equal((await pupil.get('/homework?subject=abc')).status, 400);
});

test('a parent sees the chosen child\'s day and cannot tick for them', async () => {
  const r = await parent.get('/');
  assert.equal(r.status, 200);
  assert.match(r.text, /id="day-heading"/);
  assert.doesNotMatch(r.text, /action="\/homework\/\d+\/done"/);
  const week = await parent.get(`/timetable?pupil=${leaId}`);
  assert.equal(week.status, 200);
  assert.match(week.text, /class="lesson/);
});

test('nobody reads another pupil\'s day; bad weeks are refused', async () => {
  assert.equal((await pupil.get(`/timetable?pupil=${hugoId}`)).status, 403);
  assert.equal((await hugo.get(`/homework?pupil=${leaId}`)).status, 403);
  assert.equal((await pupil.get('/timetable?pupil=999999')).status, 404);
  assert.equal((await pupil.get('/timetable?pupil=abc')).status, 400);
  const bad = await pupil.get('/timetable?week=2026-02-30');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /week/);
  // the parent follows both children
  assert.equal((await parent.get(`/homework?pupil=${hugoId}`)).status, 200);
});

test('a week shows changes; a class\'s week is for its members', async () => {
  const week = await pupil.get('/timetable');
  assert.equal(week.status, 200);
  const next = must(/href="\?week=([0-9-]+)[^"]*" rel="next"/, week.text, 'next week link');
  assert.equal((await pupil.get(`/timetable?week=${next}`)).status, 200);
  const classId = must(/href="\/classes\/(\d+)\/timetable"/, (await pupil.get('/')).text, 'class timetable link');
  assert.equal((await pupil.get(`/classes/${classId}/timetable`)).status, 200);
  assert.equal((await hugo.get(`/classes/${classId}/timetable`)).status, 403);
  assert.equal((await teacher.get(`/classes/${classId}/timetable`)).status, 200);
});

test('a teacher writes a lesson with homework; bad input keeps what was typed', async () => {
  const page = await teacher.get(`/teaching/${mathsTeaching}`);
  assert.equal(page.status, 200);
  const bad = await multipart(teacher, `/teaching/${mathsTeaching}/lessons`, {
    date: '2026-13-01', title: 'Les fractions égyptiennes', content: 'Texte à garder', publish: '1' });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /Les fractions égyptiennes/);
  assert.match(bad.text, /Texte à garder/);
  const badLink = await multipart(teacher, `/teaching/${mathsTeaching}/lessons`, {
    date: '2026-11-20', title: 'Liens', links: 'javascript:alert(1)', publish: '1' });
  assert.equal(badLink.status, 400);
  const badDue = await multipart(teacher, `/teaching/${mathsTeaching}/lessons`, {
    date: '2026-11-20', title: 'Devoir', hw_title: 'Exercice', hw_due: '2026-11-19', publish: '1' });
  assert.equal(badDue.status, 400, 'due before given');
  const badMinutes = await multipart(teacher, `/teaching/${mathsTeaching}/lessons`, {
    date: '2026-11-20', title: 'Devoir', hw_title: 'Exercice', hw_due: '2026-11-27', hw_minutes: '9999' });
  assert.equal(badMinutes.status, 400);
  const today = new Date().toISOString().slice(0, 10);
  const due = new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 10);
  const ok = await multipart(teacher, `/teaching/${mathsTeaching}/lessons`, {
    date: today, title: 'Séance test', content: 'Contenu', publish: '1',
    hw_title: 'Rendre la fiche test', hw_due: due, hw_minutes: '30', hw_hand_in: '1' });
  assert.equal(ok.status, 303, ok.text.slice(0, 300));
  // the pupil sees it at once: the class's cached view was invalidated by the write
  const home = await pupil.get('/');
  assert.match(home.text, /Rendre la fiche test/);
  const draft = await multipart(teacher, `/teaching/${mathsTeaching}/lessons`, {
    date: today, title: 'Brouillon secret', hw_title: 'Devoir brouillon', hw_due: due });
  assert.equal(draft.status, 303);
  assert.doesNotMatch((await pupil.get('/homework')).text, /Brouillon secret|Devoir brouillon/);
  // attachments: checked by content like hand-ins, then offered to the class
  const disguised = await multipart(teacher, `/teaching/${mathsTeaching}/lessons`, { date: today, title: 'Avec pièce jointe', publish: '1' },
    [{ name: 'cours.pdf', type: 'application/pdf', data: 'MZ\x90\x00 not a pdf' }]);
  assert.equal(disguised.status, 415);
  assert.match(disguised.text, /Avec pièce jointe/);
  const attached = await multipart(teacher, `/teaching/${mathsTeaching}/lessons`,
    { date: today, title: 'Avec pièce jointe', links: 'https://fr.wikipedia.org/wiki/Fraction', publish: '1' },
    [{ name: 'cours.txt', type: 'text/plain', data: 'Les fractions : résumé du cours.\n' }]);
  assert.equal(attached.status, 303, attached.text.slice(0, 300));
  const book = await pupil.get('/homework');
  assert.match(book.text, /href="https:\/\/fr\.wikipedia\.org\/wiki\/Fraction"/);
  const fileId = must(/href="\/files\/([0-9a-f]{32})">cours\.txt/, book.text, 'the attachment');
  const file = await fetch(`${s.url}/files/${fileId}`, { headers: { cookie: pupil.cookieHeader() } });
  assert.equal(file.status, 200);
  assert.match(file.headers.get('content-type'), /^text\/plain/);
  assert.equal((await fetch(`${s.url}/files/${fileId}`, { headers: { cookie: hugo.cookieHeader() } })).status, 404);
});

test('a teacher reports a change on a coming lesson from the notebook page, and undoes it', async () => {
  const page = await teacher.get(`/teaching/${mathsTeaching}`);
  const slot = must(/name="slot" value="(\d+)"/, page.text, 'a change form');
  const date = must(/name="date" value="(\d{4}-\d\d-\d\d)">\s*<label for="kind/, page.text, 'its date');
  assert.equal((await teacher.post(`/teaching/${mathsTeaching}/changes`, { slot, date, kind: 'party' })).status, 400);
  assert.equal((await teacher.post(`/teaching/${mathsTeaching}/changes`, { slot, date, kind: 'moved', starts: '10:00', ends: '09:00' })).status, 400);
  assert.equal((await pupil.post(`/teaching/${mathsTeaching}/changes`, { slot, date, kind: 'cancelled' })).status, 403);
  const ok = await teacher.post(`/teaching/${mathsTeaching}/changes`, { slot, date, kind: 'teacher_absent', note: 'Formation' });
  assert.equal(ok.status, 303);
  const week = await pupil.json('GET', `/api/v1/timetable?week=${date}`);
  const lesson = week.data.lessons.find((l) => String(l.slot_id) === slot && l.date === date);
  assert.equal(lesson.status, 'teacher_absent');
  assert.equal(lesson.note, 'Formation');
  const after = await teacher.get(`/teaching/${mathsTeaching}`);
  const change = must(/action="\/teaching\/\d+\/changes\/(\d+)\/remove"/, after.text, 'the undo form');
  assert.equal((await teacher.post(`/teaching/${mathsTeaching}/changes/${change}/remove`, {})).status, 303);
  assert.equal((await teacher.post(`/teaching/${mathsTeaching}/changes/${change}/remove`, {})).status, 404);
  const back = await pupil.json('GET', `/api/v1/timetable?week=${date}`);
  assert.equal(back.data.lessons.find((l) => String(l.slot_id) === slot && l.date === date).status, 'normal');
});

test('teachers and pupils are refused teachings that are not theirs', async () => {
  const other = Number(mathsTeaching) + 1;
  const r = await teacher.get(`/teaching/${other}`);
  assert.ok([403, 200].includes(r.status));
  if (r.status === 200) return; // the same teacher teaches it: nothing to refuse
  assert.equal((await multipart(teacher, `/teaching/${other}/lessons`, { date: '2026-11-20', title: 'x' })).status, 403);
  assert.equal((await pupil.get(`/teaching/${mathsTeaching}`)).status, 403);
  assert.equal((await multipart(parent, `/teaching/${mathsTeaching}/lessons`, { date: '2026-11-20', title: 'x' })).status, 403);
  assert.equal((await teacher.get('/teaching/999999')).status, 404);
});

test('hand-in: files checked by content, text kept on refusal, teacher returns it', async () => {
  const home = await pupil.get('/');
  const hw = must(/href="\/homework\/(\d+)">Rendre la fiche test/, home.text, 'the new homework');
  const page = await pupil.get(`/homework/${hw}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /enctype="multipart\/form-data"/);
  // an HTML file named .pdf is refused; the text comes back
  const disguised = await multipart(pupil, `/homework/${hw}/hand-in`, { text: 'Mon texte précieux' },
    [{ name: 'devoir.pdf', type: 'application/pdf', data: '<html><script>alert(1)</script></html>' }]);
  assert.equal(disguised.status, 415);
  assert.match(disguised.text, /Mon texte précieux/);
  // nothing at all is refused
  const empty = await multipart(pupil, `/homework/${hw}/hand-in`, { text: '   ' });
  assert.equal(empty.status, 400);
  // a real PDF is accepted
  const ok = await multipart(pupil, `/homework/${hw}/hand-in`, { text: 'Ma réponse' },
    [{ name: 'devoir.pdf', type: 'application/octet-stream', data: '%PDF-1.4\n1 0 obj\n<<>>\nendobj\n' }]);
  assert.equal(ok.status, 303, ok.text.slice(0, 300));
  const mine = await pupil.get(`/homework/${hw}`);
  assert.match(mine.text, /reçu le/);
  const fileId = must(/href="\/files\/([0-9a-f]{32})"/, mine.text, 'the stored file');
  const file = await fetch(`${s.url}/files/${fileId}`, { headers: { cookie: pupil.cookieHeader() } });
  assert.equal(file.status, 200);
  assert.equal(file.headers.get('content-type'), 'application/pdf');
  assert.equal(file.headers.get('x-content-type-options'), 'nosniff');
  assert.match(file.headers.get('content-disposition'), /^attachment/);
  // the mother may read it; another pupil may not even learn it exists
  assert.equal((await fetch(`${s.url}/files/${fileId}`, { headers: { cookie: parent.cookieHeader() } })).status, 200);
  assert.equal((await fetch(`${s.url}/files/${fileId}`, { headers: { cookie: hugo.cookieHeader() } })).status, 404);
  // another class's pupil cannot hand in
  await hugo.get('/');
  const foreign = await multipart(hugo, `/homework/${hw}/hand-in`, { text: 'intrus' });
  assert.equal(foreign.status, 403);
  // the teacher sees it, downloads everything, returns it
  const t = await teacher.get(`/homework/${hw}`);
  assert.match(t.text, /Copies rendues : 1/);
  const zip = await fetch(`${s.url}/homework/${hw}/archive`, { headers: { cookie: teacher.cookieHeader() } });
  assert.equal(zip.status, 200);
  const bytes = new Uint8Array(await zip.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
  assert.equal((await fetch(`${s.url}/homework/${hw}/archive`, { headers: { cookie: pupil.cookieHeader() } })).status, 403);
  const sub = must(/action="\/submissions\/(\d+)\/return"/, t.text, 'the return form');
  assert.equal((await teacher.post(`/submissions/${sub}/return`, { feedback: 'Bien', mark: '25' })).status, 400);
  assert.equal((await teacher.post(`/submissions/${sub}/return`, { feedback: 'Bien', mark: 'abc' })).status, 400);
  assert.equal((await pupil.post(`/submissions/${sub}/return`, { feedback: 'moi', mark: '20' })).status, 403);
  assert.equal((await teacher.post(`/submissions/${sub}/return`, { feedback: 'Très bien', mark: '16,5' })).status, 303);
  const back = await pupil.get(`/homework/${hw}`);
  assert.match(back.text, /Très bien/);
  assert.match(back.text, /16\.5\/20/);
  // returned: no more hand-ins
  const again = await multipart(pupil, `/homework/${hw}/hand-in`, { text: 'encore' });
  assert.equal(again.status, 409);
  assert.match(again.text, /encore/);
});

test('ticking homework done is the pupil\'s own', async () => {
  const home = await pupil.get('/');
  const hw = must(/action="\/homework\/(\d+)\/done"/, home.text, 'a tick form');
  assert.equal((await pupil.post(`/homework/${hw}/done`, { done: '1', next: '/' })).status, 303);
  assert.match((await pupil.get('/')).text, new RegExp(`action="/homework/${hw}/done"[\\s\\S]*?name="done" value="0"`));
  assert.equal((await pupil.post(`/homework/${hw}/done`, { done: 'maybe' })).status, 400);
  assert.equal((await parent.post(`/homework/${hw}/done`, { done: '1' })).status, 403);
  assert.equal((await hugo.post(`/homework/${hw}/done`, { done: '1' })).status, 403);
  assert.equal((await pupil.post('/homework/999999/done', { done: '1' })).status, 404);
});

test('calendar feed: a secret URL serving RFC 5545, revocable', async () => {
  const made = await pupil.post('/me/calendar', {});
  assert.equal(made.status, 200);
  const path = must(/value="https?:\/\/[^/"]+(\/calendar\/[0-9a-f]{48}\.ics)"/, made.text, 'the feed URL');
  const ics = await fetch(s.url + path);
  assert.equal(ics.status, 200);
  assert.match(ics.headers.get('content-type'), /^text\/calendar/);
  const body = await ics.text();
  assert.match(body, /^BEGIN:VCALENDAR\r\nVERSION:2\.0\r\n/);
  assert.match(body, /BEGIN:VEVENT\r\nUID:[^\r]+\r\nDTSTAMP:\d{8}T\d{6}Z\r\nDTSTART:\d{8}T\d{6}Z\r\n/);
  assert.match(body, /END:VCALENDAR\r\n$/);
  for (const line of body.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, `line too long: ${line}`);
  assert.equal((await fetch(s.url + '/calendar/' + '0'.repeat(48) + '.ics')).status, 404);
  assert.equal((await fetch(s.url + '/calendar/short.ics')).status, 404);
  assert.equal((await pupil.post('/me/calendar/revoke', {})).status, 200);
  assert.equal((await fetch(s.url + path)).status, 404);
  assert.notEqual((await new Visitor(s.url).post('/me/calendar', {})).status, 200, 'not signed in');
});

test('pages stay light: the pupil\'s today page is under 15 KB compressed', async () => {
  const res = await fetch(s.url + '/', { headers: { cookie: pupil.cookieHeader() } });
  assert.equal(res.status, 200);
  const html = Buffer.from(await res.arrayBuffer());
  const { gzipSync } = await import('node:zlib');
  assert.ok(html.length > 2000, 'a real page');
  assert.ok(gzipSync(html).length < 15 * 1024, `compressed ${gzipSync(html).length} bytes`);
});

test('API: today, week and homework in JSON, with the same policy', async () => {
  const today = await pupil.json('GET', '/api/v1/today');
  assert.equal(today.status, 200);
  assert.equal(today.data.pupil, leaId);
  assert.ok(Array.isArray(today.data.lessons) && Array.isArray(today.data.homework));
  const week = await pupil.json('GET', '/api/v1/timetable?week=2026-11-23');
  assert.equal(week.status, 200);
  assert.equal(week.data.week, '2026-11-23');
  assert.ok(week.data.lessons.length > 15, 'a full week of lessons');
  for (const l of week.data.lessons) {
    assert.match(l.starts, /^\d\d:\d\d$/);
    assert.ok(['normal', 'cancelled', 'teacher_absent', 'room_change', 'moved', 'extra'].includes(l.status));
  }
  const teacherWeek = await teacher.json('GET', '/api/v1/timetable?week=2026-11-23');
  assert.equal(teacherWeek.status, 200);
  assert.ok(teacherWeek.data.lessons.every((l) => l.teacher === 'Nadia Benali'));
  const hw = await parent.json('GET', `/api/v1/homework?pupil=${leaId}`);
  assert.equal(hw.status, 200);
  assert.ok(hw.data.homework.every((h) => !h.draft));
  assert.equal((await pupil.json('GET', `/api/v1/homework?pupil=${hugoId}`)).status, 403);
  const bad = await pupil.json('GET', '/api/v1/timetable?week=lundi');
  assert.equal(bad.status, 400);
  assert.equal(bad.data.error.status, 400);
  assert.equal((await new Visitor(s.url).json('GET', '/api/v1/today')).status, 401);
});

test('API: timetable changes by the teacher, validated, seen by pupils at once', async () => {
  const week = await pupil.json('GET', '/api/v1/timetable?week=2026-11-30');
  const maths = week.data.lessons.find((l) => l.subject === 'Mathématiques' && l.status === 'normal');
  assert.ok(maths, 'a maths lesson that week');
  const hdr = { 'x-csrf-token': teacher.csrf };
  const path = `/api/v1/teaching/${mathsTeaching}/timetable-changes`;
  const bad = [
    { slot: maths.slot_id, date: maths.date, kind: 'holiday' },
    { slot: maths.slot_id, date: '2026-02-30', kind: 'cancelled' },
    { slot: maths.slot_id, date: maths.date, kind: 'room_change' },
    { slot: maths.slot_id, date: maths.date, kind: 'moved', starts: '25:00', ends: '26:00' },
    { slot: maths.slot_id, date: maths.date, kind: 'moved', starts: '11:00', ends: '10:00' },
    { slot: maths.slot_id, date: new Date(Date.parse(maths.date) + 86400e3).toISOString().slice(0, 10), kind: 'cancelled' },
    { slot: 999999, date: maths.date, kind: 'cancelled' },
    { date: maths.date, kind: 'extra' },
    { slot: 'one', date: maths.date, kind: 'cancelled' },
  ];
  for (const body of bad) {
    const r = await teacher.json('POST', path, body, hdr);
    assert.equal(r.status, 400, JSON.stringify(body) + ' ' + r.text);
  }
  const ok = await teacher.json('POST', path, { slot: maths.slot_id, date: maths.date, kind: 'room_change', room: 'Salle 3', note: 'Travaux' }, hdr);
  assert.equal(ok.status, 201, ok.text);
  const again = await teacher.json('POST', path, { slot: maths.slot_id, date: maths.date, kind: 'cancelled' }, hdr);
  assert.equal(again.status, 400, 'one change per lesson and day');
  const seen = await pupil.json('GET', '/api/v1/timetable?week=2026-11-30');
  const changed = seen.data.lessons.find((l) => l.slot_id === maths.slot_id && l.date === maths.date);
  assert.equal(changed.status, 'room_change');
  assert.equal(changed.room, 'Salle 3');
  const extra = await teacher.json('POST', path, { date: '2026-12-02', kind: 'extra', starts: '14:00', ends: '15:00', room: 'CDI' }, hdr);
  assert.equal(extra.status, 201, extra.text);
  const withExtra = await pupil.json('GET', '/api/v1/timetable?week=2026-11-30');
  assert.ok(withExtra.data.lessons.some((l) => l.status === 'extra' && l.date === '2026-12-02' && l.starts === '14:00'));
  // nobody else changes this teaching's timetable
  assert.equal((await pupil.json('POST', path, { date: '2026-12-02', kind: 'extra', starts: '14:00', ends: '15:00' }, { 'x-csrf-token': pupil.csrf })).status, 403);
  assert.equal((await teacher.json('POST', '/api/v1/teaching/999999/timetable-changes', { date: '2026-12-02', kind: 'extra' }, hdr)).status, 404);
});

test('the OpenAPI document is valid JSON and lists every API route', async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const r = await fetch(s.url + '/api/v1/openapi.json');
  assert.equal(r.status, 200);
  const doc = await r.json();
  assert.equal(doc.openapi.slice(0, 2), '3.');
  const src = new URL('../../src/', import.meta.url).pathname;
  const routes = [];
  for (const dir of ['api', 'web', 'http']) {
    for (const f of readdirSync(src + dir).filter((n) => n.endsWith('.c'))) {
      const text = readFileSync(src + dir + '/' + f, 'utf8');
      for (const m of text.matchAll(/router_add\(router, "([A-Z]+)", "(\/api\/v1[^"]*)"/g))
        routes.push([m[1].toLowerCase(), m[2].replace(/\{(\w+):\w+\}/g, '{$1}')]);
    }
  }
  assert.ok(routes.length > 20);
  for (const [method, path] of routes)
    assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is not in openapi.json`);
  for (const [path, ops] of Object.entries(doc.paths))
    for (const method of Object.keys(ops))
      assert.ok(routes.some(([m, p]) => m === method && p === path), `openapi.json lists ${method} ${path}, which no route serves`);
});

test('editing lessons and homework; publication at a chosen time', async () => {
  const today = new Date().toISOString().slice(0, 10);
  const due = new Date(Date.now() + 5 * 86400e3).toISOString().slice(0, 10);
  // scheduled for later: not seen yet; scheduled in the past: seen
  const later = new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 16);
  const r1 = await multipart(teacher, `/teaching/${mathsTeaching}/lessons`, {
    date: today, title: 'Séance programmée', publish_at: later, hw_title: 'Devoir programmé', hw_due: due });
  assert.equal(r1.status, 303);
  assert.doesNotMatch((await pupil.get('/homework')).text, /Séance programmée|Devoir programmé/);
  const badAt = await multipart(teacher, `/teaching/${mathsTeaching}/lessons`, { date: today, title: 'Quand ?', publish_at: '2026-11-23 25:00' });
  assert.equal(badAt.status, 400);
  assert.match(badAt.text, /Quand \?/);
  const page = await teacher.get(`/teaching/${mathsTeaching}`);
  assert.match(page.text, /Séance programmée <span class="badge">Programmé/);
  const lesson = must(/<h3>[^<]*Séance programmée[\s\S]*?href="\/lessons\/(\d+)\/edit"/, page.text, 'the edit link');
  const form = await teacher.get(`/lessons/${lesson}/edit`);
  assert.equal(form.status, 200);
  assert.match(form.text, /value="Séance programmée"/);
  assert.equal((await pupil.get(`/lessons/${lesson}/edit`)).status, 403);
  assert.equal((await teacher.get('/lessons/999999/edit')).status, 404);
  const bad = await teacher.post(`/lessons/${lesson}/edit`, { date: 'demain', title: 'Titre gardé', content: 'Contenu gardé' });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /Titre gardé/);
  assert.match(bad.text, /Contenu gardé/);
  const ok = await teacher.post(`/lessons/${lesson}/edit`, { date: today, title: 'Séance corrigée', content: 'Nouveau contenu', publish: '1' });
  assert.equal(ok.status, 303);
  assert.match((await pupil.get('/homework')).text, /Séance corrigée/);
  assert.equal((await pupil.post(`/lessons/${lesson}/edit`, { date: today, title: 'Pirate', publish: '1' })).status, 403);
  // the homework given with it
  const hw = must(/href="\/homework\/(\d+)\/edit"/, (await teacher.get(`/teaching/${mathsTeaching}`)).text, 'a homework edit link');
  const badHw = await teacher.post(`/homework/${hw}/edit`, { title: 'Devoir gardé', given_on: today, due_on: '2020-01-01', minutes: '20' });
  assert.equal(badHw.status, 400);
  assert.match(badHw.text, /Devoir gardé/);
  const badMin = await teacher.post(`/homework/${hw}/edit`, { title: 'Devoir gardé', given_on: today, due_on: due, minutes: '-3' });
  assert.equal(badMin.status, 400);
  assert.equal((await teacher.post(`/homework/${hw}/edit`, { title: 'Devoir modifié', given_on: today, due_on: due, minutes: '25', publish: '1' })).status, 303);
  assert.equal((await hugo.post(`/homework/${hw}/edit`, { title: 'x', given_on: today, due_on: due })).status, 403);
});
