// Operating the server: logs, signals, configuration, HTTP/2, restarts, CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, renameSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { startServer, BIN, raw, statusOf, checkExit } from './lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('one logfmt line per request, without query strings; probes are not logged', async () => {
  const s = await startServer();
  try {
    await fetch(s.url + '/?secret=token123');
    await fetch(s.url + '/nope');
    await fetch(s.url + '/healthz');
    await sleep(400); // lines are batched for at most 100 ms
    const lines = s.log().split('\n').filter((l) => l.includes('msg=request'));
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], /^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info msg=request method=GET path=\/ route=\/ status=200 bytes=\d+ ms=\d+\.\d{3} ip=127\.0\.0\.1 proto=http\/1\.1 worker=\d$/);
    assert.match(lines[1], /path=\/nope route=- status=404/);
    assert.ok(!s.log().includes('token123'));
  } finally {
    await s.cleanup();
  }
});

test('SIGTERM: finishes what is in flight, refuses new connections, exits 0', async () => {
  const s = await startServer({ threads: 2 });
  // A keep-alive connection whose response is being read while the signal arrives.
  const sock = net.connect(s.port, '127.0.0.1');
  await new Promise((r) => sock.on('connect', r));
  let got = '';
  sock.on('data', (d) => { got += d; });
  sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  // Signal once the server has taken the request (its answer has started): bytes
  // still in the kernel's buffer are not in flight yet, and on a loaded machine
  // the signal could otherwise win the race.
  await new Promise((r) => sock.once('data', r));
  s.proc.kill('SIGTERM');
  const { code, signal } = await s.exited;
  checkExit(code, signal, s.stderr());
  assert.match(got, /^HTTP\/1\.1 200 OK/);
  assert.match(got, /<\/html>\n$/, 'the whole page arrived');
  sock.destroy();
  const log = s.log();
  assert.match(log, /msg="shutting down" signal=SIGTERM/);
  assert.match(log, /msg=stopped/);
  await assert.rejects(fetch(s.url + '/healthz'));
  rmSync(s.dir, { recursive: true, force: true });
});

test('SIGHUP reopens the log file (rotation)', async () => {
  const s = await startServer();
  try {
    await fetch(s.url + '/');
    await sleep(300);
    renameSync(s.logFile, s.logFile + '.1');
    s.proc.kill('SIGHUP');
    await sleep(200);
    await fetch(s.url + '/nope');
    await sleep(300);
    assert.ok(existsSync(s.logFile));
    const fresh = readFileSync(s.logFile, 'utf8');
    assert.match(fresh, /msg="log file reopened"/);
    assert.match(fresh, /path=\/nope/);
    assert.ok(!readFileSync(s.logFile + '.1', 'utf8').includes('path=/nope'));
  } finally {
    await s.cleanup();
  }
});

test('config file, then environment, then command line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cartable-conf-'));
  const conf = join(dir, 'cartable.conf');
  writeFileSync(conf, '# test\ndefault_lang = en\naccess_log = off\n');
  let s = await startServer({ args: ['--config', conf] });
  try {
    assert.match(await (await fetch(s.url + '/')).text(), /<html lang="en">/);
    await sleep(300);
    assert.ok(!s.log().includes('msg=request'), 'access_log = off in the file');
  } finally {
    await s.cleanup();
  }
  s = await startServer({ args: ['--config', conf], env: { CARTABLE_DEFAULT_LANG: 'fr' } });
  try {
    assert.match(await (await fetch(s.url + '/')).text(), /<html lang="fr">/, 'environment beats file');
  } finally {
    await s.cleanup();
  }
  s = await startServer({ args: ['--config', conf, '--default-lang', 'en'], env: { CARTABLE_DEFAULT_LANG: 'fr' } });
  try {
    assert.match(await (await fetch(s.url + '/')).text(), /<html lang="en">/, 'command line beats environment');
  } finally {
    await s.cleanup();
  }
  rmSync(dir, { recursive: true, force: true });
});

test('bad configuration: a clear message and exit status 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cartable-conf-'));
  const conf = join(dir, 'bad.conf');
  writeFileSync(conf, 'listen = 127.0.0.1:0\nthreds = 4\n');
  let r = spawnSync(BIN, ['serve', '--config', conf], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.conf:2: unknown setting "threds"/);
  r = spawnSync(BIN, ['serve', '--threads', 'lots'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /threads: "lots" is not a valid whole number/);
  r = spawnSync(BIN, ['serve', '--nope'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option --nope/);
  r = spawnSync(BIN, ['serve'], { encoding: 'utf8', env: { PATH: process.env.PATH, CARTABLE_MAX_BODY: '12parsecs' } });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /environment CARTABLE_MAX_BODY/);
  r = spawnSync(BIN, ['serve', '--threads', '1', '--listen', 'nonsense'], { encoding: 'utf8', env: { PATH: process.env.PATH, CARTABLE_TYPO: '1' } });
  assert.match(r.stderr, /warning: ignoring CARTABLE_TYPO, which is not a setting/);
  assert.match(r.stderr, /level=error msg="cannot listen" addr="nonsense" error="listen: \\"nonsense\\" is not address:port"/);
  r = spawnSync(BIN, ['frobnicate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  r = spawnSync(BIN, ['help', 'config'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const key of ['listen', 'data', 'threads', 'http2', 'max_body', 'request_timeout', 'max_connections'])
    assert.match(r.stdout, new RegExp(`^  ${key} `, 'm'));
  assert.match(execFileSync(BIN, ['version'], { encoding: 'utf8' }), /^cartable \d+\.\d+\.\d+/);
  rmSync(dir, { recursive: true, force: true });
});

test('a busy port, a data directory in use, an unusable data directory: reported, not crashed on', async () => {
  const s = await startServer();
  try {
    // Another cartable on the same port would take half of this one's connections: refused.
    let r = spawnSync(BIN, ['serve', '--listen', `127.0.0.1:${s.port}`, '--data', join(s.dir, 'other')], { encoding: 'utf8', timeout: 5000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot listen.*Address already in use/);
    // Two servers on one data directory: refused, naming the one that holds it.
    r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', join(s.dir, 'data')], { encoding: 'utf8', timeout: 5000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`in use by another cartable process \\(pid ${s.proc.pid}`));
  } finally {
    await s.cleanup();
  }
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.on('listening', r));
  const port = blocker.address().port;
  const dir = mkdtempSync(join(tmpdir(), 'cartable-port-'));
  let r = spawnSync(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'data')], { encoding: 'utf8', timeout: 5000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot listen.*Address already in use/);
  blocker.close();
  writeFileSync(join(dir, 'file'), 'x');
  r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', join(dir, 'file', 'data')], { encoding: 'utf8', timeout: 5000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot create data directory/);
  rmSync(dir, { recursive: true, force: true });
});

test('--http2 serves cleartext HTTP/2 (prior knowledge) alongside HTTP/1.1', async () => {
  const s = await startServer({ args: ['--http2'] });
  try {
    const client = http2.connect(s.url);
    const body = await new Promise((resolve, reject) => {
      const req = client.request({ ':path': '/api/v1/schools' });
      let data = '';
      let status = 0;
      req.on('response', (h) => { status = h[':status']; });
      req.setEncoding('utf8');
      req.on('data', (d) => { data += d; });
      req.on('end', () => resolve({ status, data }));
      req.on('error', reject);
      req.end();
    });
    client.close();
    assert.equal(body.status, 200);
    assert.equal(JSON.parse(body.data).schools[0].uai, '0999999F');
    assert.equal((await fetch(s.url + '/')).status, 200);
    await sleep(300);
    assert.match(s.log(), /proto=h2/);
  } finally {
    await s.cleanup();
  }
});

test('data survives a restart; the demo is created once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cartable-restart-'));
  let s = await startServer({ dataDir: dir });
  await fetch(s.url + '/');
  const first = await s.stop();
  checkExit(first.code, first.signal, s.stderr());
  s = await startServer({ dataDir: dir, demo: false });
  try {
    const list = await (await fetch(s.url + '/api/v1/schools')).json();
    assert.equal(list.schools.length, 1);
  } finally {
    await s.stop();
  }
  s = await startServer({ dataDir: dir, demo: true });
  try {
    const list = await (await fetch(s.url + '/api/v1/schools')).json();
    assert.equal(list.schools.length, 1, 'no second demo school');
  } finally {
    await s.stop();
  }
  rmSync(dir, { recursive: true, force: true });
});

test('a server with no school says so', async () => {
  const s = await startServer({ demo: false });
  try {
    const html = await (await fetch(s.url + '/')).text();
    assert.match(html, /Aucun établissement n'est encore configuré/);
    assert.equal(statusOf((await raw(s.port, 'GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n', { timeout: 500 })).text), 200);
  } finally {
    await s.cleanup();
  }
});
