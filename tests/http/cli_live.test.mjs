// The command line working beside a running server: account changes reach the
// server's caches within seconds, imports land (or change nothing) while it serves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, Visitor, signIn, cli, eventually } from './lib/server.mjs';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

let s;
before(async () => { s = await startServer(); });
after(async () => { await s.cleanup(); });

const meStatus = async (v) => (await v.json('GET', '/api/v1/me')).status;
const schools = async () => (await (await fetch(s.url + '/api/v1/schools')).json());

test('user disable and enable from the command line reach a running server', async () => {
  const v = await signIn(s.url, 'demo.prof');
  const r = cli(s, ['user', 'disable', 'demo.prof']);
  assert.equal(r.code, 0, r.stderr);
  const { ms } = await eventually(async () => (await meStatus(v)) === 401, { ms: 5000, what: 'session ended' });
  assert.ok(ms < 3000, `took ${ms} ms`);
  assert.equal(cli(s, ['user', 'enable', 'demo.prof']).code, 0);
  await eventually(async () => {
    const w = new Visitor(s.url);
    await w.get('/login');
    return (await w.post('/login', { login: 'demo.prof', password: 'cartable-demo' })).status === 303;
  }, { what: 'sign-in after enable' });
});

test('user password and user reset from the command line end sessions', async () => {
  const add = cli(s, ['user', 'add', '--first', 'Inès', '--last', 'Cli', '--role', 'staff', '--school', '0999999F',
    '--login', 'ines.cli', '--password-stdin'], { input: 'password-one\n' });
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /login: ines\.cli/);
  const v = await signIn(s.url, 'ines.cli', 'password-one');
  const short = cli(s, ['user', 'password', 'ines.cli'], { input: 'short\n' });
  assert.equal(short.code, 1);
  assert.match(short.stderr, /8 to 128 bytes/);
  assert.equal(await meStatus(v), 200, 'a refused change changes nothing');

  assert.equal(cli(s, ['user', 'password', 'ines.cli'], { input: 'password-two\n' }).code, 0);
  await eventually(async () => (await meStatus(v)) === 401, { what: 'session ended by the new password' });
  const w = await signIn(s.url, 'ines.cli', 'password-two');

  const reset = cli(s, ['user', 'reset', 'ines.cli']);
  assert.equal(reset.code, 0, reset.stderr);
  const code = reset.stdout.match(/activation code: (\S+)/)[1];
  await eventually(async () => (await meStatus(w)) === 401, { what: 'session ended by the reset' });
  const a = new Visitor(s.url);
  await a.get('/activate');
  const act = await a.post('/activate', { login: 'ines.cli', code, password: 'password-three', confirm: 'password-three' });
  assert.equal(act.status, 303, act.text);

  const missing = cli(s, ['user', 'disable', 'nobody.at.all']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no account with login nobody\.at\.all/);
  const badRole = cli(s, ['user', 'add', '--first', 'A', '--last', 'B', '--role', 'wizard', '--school', '0999999F']);
  assert.equal(badRole.code, 2);
  assert.match(badRole.stderr, /unknown role "wizard"/);
});

test('imports land in a running server; a bad one changes nothing and names the line', async () => {
  const before = await schools();
  // a broken copy of the CSV export: pupil line 3 names a class that does not exist
  const dir = mkdtempSync(join(tmpdir(), 'cartable-import-'));
  try {
    cpSync(FIXTURES + 'csv/good', dir, { recursive: true });
    const pupils = readFileSync(join(dir, 'pupils.csv'), 'utf8').split('\n');
    pupils[2] = pupils[2].replace(';5A;', ';9Z;');
    writeFileSync(join(dir, 'pupils.csv'), pupils.join('\n'));
    const bad = cli(s, ['import', 'csv', dir]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /nothing was changed/);
    assert.match(bad.stderr, /pupils\.csv:3: class "9Z" is not among the classes/);
    assert.deepEqual(await schools(), before);

    const dry = cli(s, ['import', 'csv', FIXTURES + 'csv/good', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /people\s+14 created/);
    assert.match(dry.stdout, /Dry run: .*nothing was changed/);
    assert.deepEqual(await schools(), before, 'a dry run writes nothing');

    const good = cli(s, ['import', 'csv', FIXTURES + 'csv/good']);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /School 0999998E \(Collège Les Tilleuls\)/);
    const after = await schools();
    const list = after.schools || after;
    assert.ok(JSON.stringify(list).includes('0999998E'), JSON.stringify(after));
    const again = cli(s, ['import', 'csv', FIXTURES + 'csv/good']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /people\s+0 created,\s+0 updated,\s+14 unchanged/);

    const aaf = cli(s, ['import', 'aaf', FIXTURES + 'aaf/good']);
    assert.equal(aaf.code, 0, aaf.stderr);
    assert.match(aaf.stdout, /School 0999997D/);
    // the imported accounts exist and wait for their letters
    const listed = cli(s, ['user', 'list', '--school', '0999997D']);
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /pending/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
