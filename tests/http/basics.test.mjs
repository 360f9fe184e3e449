// Pages, assets, API and operations endpoints of a running server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { startServer, post, Visitor } from './lib/server.mjs';

let s;
before(async () => { s = await startServer(); });
after(async () => { await s.cleanup(); });

// node:http keeps the body as sent (fetch would decompress it).
function get(path, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request(s.url + path, { method, headers, agent: false }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('home page shows the demo school with the site headers', async () => {
  const r = await fetch(s.url + '/');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.match(r.headers.get('content-security-policy'), /default-src 'self'/);
  assert.match(r.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.equal(r.headers.get('cache-control'), 'no-store');
  // Clients learn the idle time, so they never reuse a connection the server is closing.
  assert.match(r.headers.get('keep-alive'), /^timeout=\d+$/);
  const html = await r.text();
  assert.match(html, /^<!doctype html>\n<html lang="fr">/);
  assert.match(html, /Collège Jean Moulin \(démo\)/);
  assert.match(html, /0999999F/);
  assert.match(html, /<link rel="stylesheet" href="\/assets\/style\.[0-9a-f]{10}\.css">/);
});

test('language: Accept-Language, then the lang cookie, then the form that sets it', async () => {
  let html = await (await fetch(s.url + '/', { headers: { 'accept-language': 'en-GB,en;q=0.9' } })).text();
  assert.match(html, /<html lang="en">/);
  assert.match(html, /Welcome to the digital workspace/);
  html = await (await fetch(s.url + '/', { headers: { 'accept-language': 'de-DE' } })).text();
  assert.match(html, /<html lang="fr">/, 'unknown languages fall back to French');
  html = await (await fetch(s.url + '/', { headers: { 'accept-language': 'en', cookie: 'lang=fr' } })).text();
  assert.match(html, /<html lang="fr">/, 'the cookie wins over the header');

  const v = new Visitor(s.url);
  const page = await v.get('/');
  assert.match(page.text, /<input type="hidden" name="_csrf" value="[A-Za-z0-9_-]{22}">/);
  assert.ok(v.cookies.get('csrf'), 'an anonymous visitor gets a CSRF cookie');
  const r = await v.post('/lang', { lang: 'en', next: '/api/v1' });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/api/v1');
  assert.match(r.headers.get('set-cookie'), /lang=en; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax/);
  assert.match((await v.get('/')).text, /<html lang="en">/);

  const bad = await v.post('/lang', { lang: 'xx', next: '/' });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /“lang”/, 'the visitor switched to English just before');
  // an off-site "next" never becomes an open redirect
  const off = await v.post('/lang', { lang: 'fr', next: 'https://evil.example/' });
  assert.equal(off.headers.get('location'), '/');
  const protocolRelative = await v.post('/lang', { lang: 'fr', next: '//evil.example' });
  assert.equal(protocolRelative.headers.get('location'), '/');
});

test('a form without its CSRF token, or with someone else\'s, is refused and changes nothing', async () => {
  const v = new Visitor(s.url);
  await v.get('/');
  const missing = await v.post('/lang', { lang: 'en', next: '/' }, { noCsrf: true });
  assert.equal(missing.status, 403);
  assert.match(missing.text, /Ce formulaire a expiré/);
  assert.equal(missing.headers.get('set-cookie')?.includes('lang=en') ?? false, false);
  const other = new Visitor(s.url);
  await other.get('/');
  const forged = await v.post('/lang', `lang=en&next=%2F&_csrf=${other.csrf}`, { noCsrf: true });
  assert.equal(forged.status, 403);
  // no cookie at all (a cross-site form): refused
  const bare = await post(s.url, '/lang', `lang=en&next=%2F&_csrf=${v.csrf}`);
  assert.equal(bare.status, 403);
});

test('unknown page: a 404 in the site style; unknown API route: JSON', async () => {
  const r = await fetch(s.url + '/no/such/page');
  assert.equal(r.status, 404);
  const html = await r.text();
  assert.match(html, /<h1>Erreur 404<\/h1>/);
  assert.match(html, /La page demandée n'existe pas/);
  assert.match(html, /\/assets\/style\.[0-9a-f]{10}\.css/);
  const api = await fetch(s.url + '/api/v1/nope');
  assert.equal(api.status, 404);
  assert.match(api.headers.get('content-type'), /^application\/json/);
  const body = await api.json();
  assert.equal(body.error.status, 404);
  assert.equal(body.error.code, 'not_found');
  // a client that prefers JSON gets JSON errors anywhere
  const j = await fetch(s.url + '/nope', { headers: { accept: 'application/json' } });
  assert.equal((await j.json()).error.code, 'not_found');
});

test('wrong method: 405 with Allow', async () => {
  const r = await fetch(s.url + '/', { method: 'DELETE' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET, HEAD');
  const r2 = await fetch(s.url + '/lang');
  assert.equal(r2.status, 405);
  assert.equal(r2.headers.get('allow'), 'POST');
});

test('HEAD answers headers only; a trailing slash redirects to the canonical URL', async () => {
  const r = await get('/', {}, 'HEAD');
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 0);
  assert.ok(Number(r.headers['content-length']) > 500);
  const slash = await fetch(s.url + '/api/v1/schools/?x=1', { redirect: 'manual' });
  assert.equal(slash.status, 308);
  assert.equal(slash.headers.get('location'), '/api/v1/schools?x=1');
});

test('dynamic pages are gzip-compressed when the client accepts it', async () => {
  const cookie = 'csrf=AAAAAAAAAAAAAAAAAAAAAA'; // the same visitor twice: the same page
  const plain = await get('/', { cookie });
  assert.equal(plain.headers['content-encoding'], undefined);
  const gz = await get('/', { 'accept-encoding': 'gzip', cookie });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.headers.vary, 'accept-encoding');
  assert.ok(gz.body.length < plain.body.length / 1.5);
  assert.equal(zlib.gunzipSync(gz.body).toString(), plain.body.toString());
});

test('assets: fingerprinted ones are immutable, plain ones revalidate; ETag and 304', async () => {
  const html = await (await fetch(s.url + '/')).text();
  const url = html.match(/\/assets\/style\.[0-9a-f]{10}\.css/)[0];
  const a = await get(url);
  assert.equal(a.status, 200);
  assert.equal(a.headers['content-type'], 'text/css; charset=utf-8');
  assert.equal(a.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.match(a.headers.etag, /^"[0-9a-f]{16}"$/);
  const plain = await get('/assets/style.css');
  assert.equal(plain.headers['cache-control'], 'no-cache');
  assert.equal(plain.headers.etag, a.headers.etag);
  assert.deepEqual(plain.body, a.body);
  const again = await get('/assets/style.css', { 'if-none-match': a.headers.etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const weak = await get(url, { 'if-none-match': `"nope", W/${a.headers.etag}` });
  assert.equal(weak.status, 304);
  const stale = await get(url, { 'if-none-match': '"0000000000000000"' });
  assert.equal(stale.status, 200);
  const gz = await get(url, { 'accept-encoding': 'gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.deepEqual(zlib.gunzipSync(gz.body), a.body);
  const missing = await get('/assets/nope.css');
  assert.equal(missing.status, 404);
});

test('API: index, schools, one school, negotiation', async () => {
  const idx = await (await fetch(s.url + '/api/v1')).json();
  assert.equal(idx.name, 'cartable');
  const list = await (await fetch(s.url + '/api/v1/schools')).json();
  assert.equal(list.schools.length, 1);
  assert.equal(list.schools[0].uai, '0999999F');
  assert.equal(list.schools[0].demo, true);
  const one = await (await fetch(s.url + `/api/v1/schools/${list.schools[0].id}`)).json();
  assert.equal(one.name, 'Collège Jean Moulin (démo)');
  const none = await fetch(s.url + '/api/v1/schools/424242');
  assert.equal(none.status, 404);
  const notInt = await fetch(s.url + '/api/v1/schools/abc');
  assert.equal(notInt.status, 404);
  const html = await fetch(s.url + '/api/v1/schools', { headers: { accept: 'text/html' } });
  assert.equal(html.status, 406);
  assert.equal((await html.json()).error.code, 'not_acceptable');
});

test('health, readiness and metrics', async () => {
  const h = await fetch(s.url + '/healthz');
  assert.equal(h.status, 200);
  assert.equal(await h.text(), 'ok\n');
  const r = await fetch(s.url + '/readyz');
  assert.equal(r.status, 200);
  assert.equal(await r.text(), 'ready\n');
  await fetch(s.url + '/no-such-thing');
  const m = await (await fetch(s.url + '/metrics')).text();
  assert.match(m, /^cartable_http_requests_total\{route="GET \/",status="200"\} \d+$/m);
  assert.match(m, /^cartable_http_requests_total\{route="unmatched",status="404"\} [1-9]\d*$/m);
  assert.match(m, /^cartable_http_request_duration_seconds_bucket\{route="GET \/",le="\+Inf"\} \d+$/m);
  assert.match(m, /^cartable_http_request_duration_seconds_count\{route="GET \/"\} \d+$/m);
  assert.match(m, /^cartable_http_open_connections [1-9]\d*$/m);
  assert.match(m, /^cartable_http_requests_in_flight 1$/m, 'the scrape itself is in flight');
  assert.match(m, /^# TYPE cartable_http_request_duration_seconds histogram$/m);
  assert.match(m, /^cartable_admission_rate \d+(\.\d+)?$/m);
  assert.match(m, /^cartable_loop_lag_seconds \d+\.\d+$/m);
  assert.match(m, /^cartable_writer_delay_seconds \d+\.\d+$/m);
  assert.match(m, /^cartable_cpu_cores \d+\.\d+$/m);
});

test('many concurrent clients are all served', async () => {
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    fetch(s.url + (i % 2 ? '/' : '/api/v1/schools')).then((r) => r.status)));
  assert.deepEqual(new Set(results), new Set([200]));
});
