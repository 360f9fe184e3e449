// Sign-in under attack: per-login and per-address throttling (429 + Retry-After)
// and a full hashing queue (503 + Retry-After), each on a server of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, Visitor, BIN } from './lib/server.mjs';

async function attempt(url, login, password) {
  const v = new Visitor(url);
  await v.get('/login');
  return v.post('/login', { login, password });
}

async function apiAttempt(url, login, password) {
  const r = await fetch(url + '/api/v1/login', {
    method: 'POST', body: JSON.stringify({ login, password }), headers: { 'content-type': 'application/json' },
  });
  return { status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.json() };
}

test('failures are throttled per login, known or not, with a Retry-After', async () => {
  const s = await startServer({ args: ['--login-failures-per-hour', '3'] });
  try {
    for (const login of ['demo.prof', 'nobody.here']) {
      for (let i = 0; i < 3; i++) assert.equal((await attempt(s.url, login, 'wrong-password')).status, 401);
      const r = await attempt(s.url, login, 'wrong-password');
      assert.equal(r.status, 429, login);
      const wait = Number(r.headers.get('retry-after'));
      assert.ok(wait >= 1000 && wait <= 1200, `Retry-After ${wait}: one attempt every twenty minutes`);
      assert.match(r.text, new RegExp(`Trop de tentatives\\. Réessayez dans ${wait} secondes\\.`));
    }
    // the right password does not get through a throttled login either
    assert.equal((await attempt(s.url, 'demo.prof', 'cartable-demo')).status, 429);
    const api = await apiAttempt(s.url, 'demo.prof', 'cartable-demo');
    assert.equal(api.status, 429);
    assert.ok(Number(api.retryAfter) >= 1000);
    assert.equal(api.body.error.status, 429);
    // other people are not affected
    assert.equal((await attempt(s.url, 'demo.eleve', 'cartable-demo')).status, 303);
    // a success clears the count: two failures, a success, three more failures before a throttle
    for (let i = 0; i < 2; i++) assert.equal((await attempt(s.url, 'demo.parent', 'wrong-password')).status, 401);
    assert.equal((await attempt(s.url, 'demo.parent', 'cartable-demo')).status, 303);
    for (let i = 0; i < 3; i++) assert.equal((await attempt(s.url, 'demo.parent', 'wrong-password')).status, 401);
    assert.equal((await attempt(s.url, 'demo.parent', 'wrong-password')).status, 429);
  } finally {
    await s.cleanup();
  }
});

test('attempts are throttled per address', async () => {
  const s = await startServer({ args: ['--login-ip-per-minute', '5'] });
  try {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt(s.url, `someone${i}`, 'wrong-password')).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
    const r = await attempt(s.url, 'demo.eleve', 'cartable-demo');
    assert.equal(r.status, 429);
    const wait = Number(r.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 12, `Retry-After ${wait}: five a minute`);
    // activation codes count against the same budget
    const v = new Visitor(s.url);
    await v.get('/activate');
    const act = await v.post('/activate', { login: 'demo.eleve', code: 'AAAA-BBBB-CCCC', password: 'long-enough', confirm: 'long-enough' });
    assert.equal(act.status, 429);
    assert.ok(act.headers.get('retry-after'));
    // pages other than sign-in are not limited by it
    const home = await fetch(s.url + '/');
    assert.equal(home.status, 200);
  } finally {
    await s.cleanup();
  }
});

test('a full hashing queue answers 503 with a Retry-After, at once', async () => {
  const s = await startServer({ args: ['--hash-threads', '1', '--hash-queue', '1'] });
  try {
    const visitors = await Promise.all(Array.from({ length: 12 }, async () => {
      const v = new Visitor(s.url);
      await v.get('/login');
      return v;
    }));
    const results = await Promise.all(visitors.map(async (v) => {
      const t0 = Date.now();
      const r = await v.post('/login', { login: 'demo.eleve', password: 'cartable-demo' });
      return { status: r.status, ms: Date.now() - t0, retryAfter: r.headers.get('retry-after'), text: r.text };
    }));
    const busy = results.filter((r) => r.status === 503);
    const ok = results.filter((r) => r.status === 303);
    assert.equal(busy.length + ok.length, results.length, JSON.stringify(results.map((r) => r.status)));
    assert.ok(ok.length >= 1, 'some get in');
    assert.ok(busy.length >= 1, 'the rest are told to come back');
    for (const b of busy) {
      assert.equal(b.retryAfter, '2');
      assert.match(b.text, /Beaucoup de connexions en ce moment/);
    }
    // the queue drains: a later attempt succeeds
    assert.equal((await attempt(s.url, 'demo.eleve', 'cartable-demo')).status, 303);
    const api = await Promise.all(Array.from({ length: 12 }, () => apiAttempt(s.url, 'demo.parent', 'cartable-demo')));
    assert.ok(api.some((r) => r.status === 503 && r.retryAfter === '2' && r.body.error.status === 503));
    assert.ok(api.every((r) => r.status === 503 || r.status === 200));
  } finally {
    await s.cleanup();
  }
});

test('behind trusted proxies, throttling and the access log see the real client', async () => {
  const attemptFrom = async (url, forwardedFor) => {
    const v = new Visitor(url);
    await v.get('/login');
    return v.post('/login', { login: 'someone', password: 'wrong-password' }, { headers: { 'x-forwarded-for': forwardedFor } });
  };
  const s = await startServer({ args: ['--login-ip-per-minute', '2', '--trusted-proxies', '10.0.0.0/8, 127.0.0.1'] });
  try {
    assert.equal((await attemptFrom(s.url, '198.51.100.1')).status, 401);
    assert.equal((await attemptFrom(s.url, '6.6.6.6, 198.51.100.1')).status, 401, 'a forged left part changes nothing');
    assert.equal((await attemptFrom(s.url, '198.51.100.1')).status, 429);
    assert.equal((await attemptFrom(s.url, '198.51.100.2, 10.1.2.3')).status, 401, 'another client behind the proxies');
    await new Promise((r) => setTimeout(r, 300)); // the access log is written in batches
    assert.match(s.log(), /path=\/login route=\/login status=401 .* ip=198\.51\.100\.2 /);
  } finally {
    await s.cleanup();
  }
  // Without trust the header is ignored: every attempt is the peer's.
  const u = await startServer({ args: ['--login-ip-per-minute', '2'] });
  try {
    assert.equal((await attemptFrom(u.url, '198.51.100.1')).status, 401);
    assert.equal((await attemptFrom(u.url, '198.51.100.2')).status, 401);
    assert.equal((await attemptFrom(u.url, '198.51.100.3')).status, 429);
  } finally {
    await u.cleanup();
  }
});

test('a malformed trusted_proxies setting stops the server with the reason', () => {
  const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', '/nonexistent/never-created',
    '--trusted-proxies', '10.0.0.0/8, proxy.example.org'], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /trusted_proxies: "proxy\.example\.org" is not an IP address or network/);
});
