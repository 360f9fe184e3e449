// Bad input, everywhere: each case gets a clear 4xx (or a closed connection for
// what is not HTTP at all), and the server keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, raw, statusOf, post, Visitor } from './lib/server.mjs';

let s;
before(async () => {
  s = await startServer({
    args: ['--request-timeout', '1s', '--max-body', '64K', '--max-upload-file', '32K', '--max-upload-total', '64K',
      '--max-form', '4K'],
  });
});
after(async () => {
  // Whatever happened, the server is still up and answers.
  assert.equal((await fetch(s.url + '/healthz')).status, 200);
  assert.equal(s.proc.exitCode, null, 'the server is still running');
  const { code } = await s.stop();
  assert.equal(code, 0, 'and it stops cleanly');
  await s.cleanup();
});

const req = (head, body = '') => `${head}\r\n\r\n${body}`;

test('oversized headers: 431 with a message, and the connection is closed', async () => {
  const r = await raw(s.port, req(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40 * 1024)}`));
  assert.equal(statusOf(r.text), 431);
  assert.match(r.text, /Les en-têtes de la requête sont trop volumineux/);
  assert.match(r.text, /Connection: close/i);
});

test('a request head beyond what the HTTP parser buffers is refused, not crashed on', async () => {
  const r = await raw(s.port, req(`GET / HTTP/1.1\r\nHost: x\r\nX-Huge: ${'b'.repeat(600 * 1024)}`));
  assert.equal(statusOf(r.text), 400);
  assert.ok(r.closed);
});

test('too many header fields: 400', async () => {
  const many = Array.from({ length: 150 }, (_, i) => `X-H${i}: v`).join('\r\n');
  const r = await raw(s.port, req(`GET / HTTP/1.1\r\nHost: x\r\n${many}`));
  assert.equal(statusOf(r.text), 400);
});

test('oversized request target: 414 in the site style', async () => {
  const r = await fetch(s.url + '/' + 'x'.repeat(9000));
  assert.equal(r.status, 414);
  assert.match(await r.text(), /<h1>Erreur 414<\/h1>/);
});

test('oversized body by Content-Length: 413 before the body is read', async () => {
  const r = await raw(s.port, req('POST /lang HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000000'));
  assert.equal(statusOf(r.text), 413);
  assert.ok(r.closed);
});

test('oversized chunked body: 413', async () => {
  const chunk = 'a'.repeat(8192);
  const chunks = Array.from({ length: 12 }, () => `2000\r\n${chunk}\r\n`).join('');
  const r = await raw(s.port, `POST /lang HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
  assert.equal(statusOf(r.text), 413);
});

test('a form over the form limit: 413 with a page', async () => {
  const r = await new Visitor(s.url).post('/lang', 'lang=fr&pad=' + 'x'.repeat(5000));
  assert.equal(r.status, 413);
  assert.match(r.text, /trop volumineuses/);
});

test('malformed requests: 400', async () => {
  for (const bad of ['GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', 'GET\r\n\r\n', '\x00\x01\x02\x03\xff\xfe\r\n\r\n',
    'GET / HTTP/1.1\r\nHost x\r\n\r\n', 'GET / HTTP/1.1\r\n: empty-name\r\n\r\n']) {
    const r = await raw(s.port, bad);
    assert.equal(statusOf(r.text), 400, JSON.stringify(bad));
  }
  const chunked = await raw(s.port, 'POST /lang HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n0\r\n\r\n');
  assert.equal(statusOf(chunked.text), 400);
  const te = await raw(s.port, 'POST /lang HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n');
  assert.equal(statusOf(te.text), 400);
  const cl = await raw(s.port, 'POST /lang HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n');
  assert.equal(statusOf(cl.text), 400);
  const abs = await raw(s.port, 'GET http://example.org/ HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(statusOf(abs.text), 400);
  const expect = await raw(s.port, 'POST /lang HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: teapot\r\n\r\n');
  assert.equal(statusOf(expect.text), 417);
});

test('HTTP/2 is off unless asked for: its preface is refused', async () => {
  const r = await raw(s.port, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  assert.equal(statusOf(r.text), 400);
});

test('bad text in form fields: 400 naming the field, for each kind of bad byte', async () => {
  const cases = [
    ['lang=%FF', /UTF-8 invalide/],
    ['lang=a%00b', /caractère nul/],
    ['lang=a%07b', /caractère de contrôle/],
    ['lang=%E2%82', /UTF-8 invalide/],
    ['lang=%C0%AF', /UTF-8 invalide/],
    ['lang=%ZZ', /encodage invalide/],
  ];
  for (const [body, message] of cases) {
    const r = await post(s.url, '/lang', body);
    assert.equal(r.status, 400, body);
    const html = await r.text();
    assert.match(html, message, body);
    if (!body.includes('%ZZ')) assert.match(html, /« lang »/, body);
  }
  // A raw NUL byte, not percent-encoded
  const r = await raw(s.port, req('POST /lang HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 8', 'lang=f\x00r'));
  assert.equal(statusOf(r.text), 400);
  assert.match(r.text, /caractère nul/);
  // JSON clients get the same as JSON
  const j = await post(s.url, '/lang', 'lang=%FF', { accept: 'application/json' });
  const body = await j.json();
  assert.equal(body.error.code, 'bad_input');
  assert.match(body.error.detail, /« lang »/);
});

test('wrong content type for a form: 415', async () => {
  const r = await post(s.url, '/lang', '{"lang":"fr"}', { 'content-type': 'application/json' });
  assert.equal(r.status, 415);
  const r2 = await post(s.url, '/lang', 'lang=fr', { 'content-type': 'application/x-www-form-urlencoded; charset=latin1' });
  assert.equal(r2.status, 415);
});

test('bad path encoding: 400', async () => {
  for (const p of ['/%ZZ', '/a%FFb', '/a%00b', '/%C0%AF', '/a%0d%0ab']) {
    const r = await raw(s.port, req(`GET ${p} HTTP/1.1\r\nHost: x`));
    assert.equal(statusOf(r.text), 400, p);
  }
});

test('slow client sending its headers byte by byte is cut off', async () => {
  const head = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'y'.repeat(40);
  const r = await raw(s.port, head.split(''), { delayMs: 100, timeout: 8000 });
  assert.ok(r.closed, 'connection closed by the server');
  assert.ok(r.ms < 7000, `closed after ${r.ms} ms`);
  assert.equal(statusOf(r.text), null, 'no response for an unfinished request');
});

test('slow body: the connection is closed at the request timeout', async () => {
  const r = await raw(s.port, 'POST /lang HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nlang=', { timeout: 6000 });
  assert.ok(r.closed);
  assert.ok(r.ms >= 900 && r.ms < 5000, `closed after ${r.ms} ms`);
});

test('idle keep-alive connections are closed', async () => {
  const r = await raw(s.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', { timeout: 6000 });
  assert.equal(statusOf(r.text), 200);
  assert.ok(r.closed && r.ms >= 900 && r.ms < 5000, `closed after ${r.ms} ms`);
});

test('a burst of garbage connections leaves the server healthy', async () => {
  const junk = [];
  for (let i = 0; i < 100; i++) {
    const bytes = Buffer.from(Array.from({ length: 1 + (i * 37) % 500 }, (_, k) => (i * 131 + k * 17) % 256));
    junk.push(raw(s.port, bytes, { timeout: 2000 }));
  }
  await Promise.all(junk);
  assert.equal((await fetch(s.url + '/')).status, 200);
});
