// Starts the real cartable binary on a free port for a test, and talks to it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

export const BIN = process.env.CARTABLE_BIN || new URL('../../../build/cartable', import.meta.url).pathname;

// The waiting room is off unless a test asks for it (admission: true): the
// other tests send many cookie-less requests from one address on purpose.
export async function startServer({ args = [], env = {}, demo = true, threads = 2, dataDir, admission = false } = {}) {
  const dir = dataDir || mkdtempSync(join(tmpdir(), 'cartable-http-'));
  const logFile = join(dir, 'cartable.log');
  const logStart = existsSync(logFile) ? readFileSync(logFile).length : 0; // a restart appends to it
  const argv = ['serve', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), '--threads', String(threads),
    '--log-file', logFile, ...(demo ? ['--demo'] : []), ...(admission ? [] : ['--admission', 'false']),
    // a test is one person making requests as fast as it can: only the edge tests keep the real limit
    ...(args.includes('--requests-per-account-per-second') ? [] : ['--requests-per-account-per-second', '100000']), ...args];
  const proc = spawn(BIN, argv, {
    env: {
      PATH: process.env.PATH,
      ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1',
      LSAN_OPTIONS: process.env.LSAN_OPTIONS || '',
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.stdout.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const started = Date.now();
  let addr = null;
  while (!addr) {
    if (Date.now() - started > 15000) {
      proc.kill('SIGKILL');
      throw new Error(`server did not start: ${stderr}\n${existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''}`);
    }
    if (proc.exitCode !== null) {
      throw new Error(`server exited with ${proc.exitCode}: ${stderr}\n${existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''}`);
    }
    if (existsSync(logFile)) {
      const m = readFileSync(logFile).subarray(logStart).toString('utf8').match(/msg=listening addr=(\S+)/);
      if (m) addr = m[1];
    }
    if (!addr) await new Promise((r) => setTimeout(r, 20));
  }
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  const url = `http://${host}:${port}`;
  const server = {
    url, host, port, proc, dir, logFile, exited,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const result = await exited;
      return result;
    },
    // Stops the server and fails the test if it did not exit cleanly or if a
    // sanitizer (sanitized builds) reported anything.
    async cleanup() {
      const { code, signal } = await server.stop();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
      checkExit(code, signal, stderr);
    },
  };
  return server;
}

export function checkExit(code, signal, stderr) {
  if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(stderr))
    throw new Error(`sanitizer report from the server:\n${stderr}`);
  if (code !== 0) throw new Error(`server exited with status ${code} (signal ${signal}):\n${stderr}`);
}

// Sends raw bytes and collects everything the server answers until it closes
// or `timeout` ms pass. Returns { text, closed, ms }.
export function raw(port, chunks, { timeout = 3000, delayMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text: buf.toString('utf8'), closed, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(false), timeout);
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); });
    sock.on('close', () => finish(true));
    sock.on('error', (e) => { if (e.code === 'ECONNRESET' || e.code === 'EPIPE') finish(true); else if (!done) reject(e); });
    sock.on('connect', async () => {
      const list = Array.isArray(chunks) ? chunks : [chunks];
      for (const c of list) {
        if (sock.destroyed) break;
        sock.write(c);
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      }
    });
  });
}

export function statusOf(text) {
  const m = text.match(/^HTTP\/1\.[01] (\d{3})/);
  return m ? Number(m[1]) : null;
}

// A form body, urlencoded, from raw (already-encoded) pairs.
export function post(url, path, body, headers = {}) {
  return fetch(url + path, {
    method: 'POST', body, redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

// A browser-like visitor: keeps cookies and reads the CSRF token from pages.
export class Visitor {
  constructor(url) { this.url = url; this.cookies = new Map(); this.csrf = null; }
  cookieHeader() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
  remember(res) {
    for (const c of res.headers.getSetCookie ? res.headers.getSetCookie() : []) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim(), value = pair.slice(i + 1).trim();
      if (attrs.some((a) => /^\s*Max-Age=0$/i.test(a)) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  async get(path, headers = {}) {
    const res = await fetch(this.url + path, { redirect: 'manual', headers: { cookie: this.cookieHeader(), ...headers } });
    this.remember(res);
    const text = await res.text();
    const m = text.match(/name="_csrf" value="([^"]+)"/);
    if (m) this.csrf = m[1];
    return { status: res.status, headers: res.headers, text };
  }
  // Posts a form; fields is an object or a raw urlencoded string. The CSRF token is added unless noCsrf.
  async post(path, fields, { noCsrf = false, headers = {} } = {}) {
    if (!this.csrf && !noCsrf) await this.get('/');
    let body = typeof fields === 'string' ? fields : new URLSearchParams(fields).toString();
    if (!noCsrf) body += (body ? '&' : '') + '_csrf=' + encodeURIComponent(this.csrf);
    const res = await fetch(this.url + path, {
      method: 'POST', body, redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader(), ...headers },
    });
    this.remember(res);
    const text = await res.text();
    const m = text.match(/name="_csrf" value="([^"]+)"/);
    if (m) this.csrf = m[1];
    return { status: res.status, headers: res.headers, text };
  }
  async json(method, path, body, headers = {}) {
    const res = await fetch(this.url + path, {
      method, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual',
      headers: { 'content-type': 'application/json', accept: 'application/json', cookie: this.cookieHeader(), ...headers },
    });
    this.remember(res);
    const text = await res.text();
    let data = null;
    try { data = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, data, text };
  }
}

// A multipart form as a browser sends it (CSRF token included); files: [{ name, type, data }].
export async function multipart(v, path, fields, files = []) {
  const fd = new FormData();
  fd.append('_csrf', v.csrf);
  for (const [k, val] of Object.entries(fields)) {
    for (const one of Array.isArray(val) ? val : [val]) fd.append(k, one);
  }
  for (const f of files) fd.append('files', new Blob([f.data], { type: f.type }), f.name);
  const res = await fetch(v.url + path, { method: 'POST', body: fd, redirect: 'manual', headers: { cookie: v.cookieHeader() } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

// Runs the cartable command line against a running server's data directory.
// Returns { code, stdout, stderr }.
export function cli(server, args, { input } = {}) {
  const r = spawnSync(BIN, [...args, '--data', join(server.dir, 'data')], {
    input, encoding: 'utf8', timeout: 60000,
    env: { PATH: process.env.PATH, ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1',
      LSAN_OPTIONS: process.env.LSAN_OPTIONS || '', UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || '' },
  });
  if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(r.stderr))
    throw new Error(`sanitizer report from the command line:\n${r.stderr}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A visitor signed in through the sign-in form; fails the test if it does not work.
export async function signIn(url, login, password = 'cartable-demo', { remember = false } = {}) {
  const v = new Visitor(url);
  await v.get('/login');
  const fields = { login, password };
  if (remember) fields.remember = '1';
  const r = await v.post('/login', fields);
  if (r.status !== 303) throw new Error(`sign-in as ${login} answered ${r.status}: ${r.text.slice(0, 300)}`);
  await v.get('/'); // the signed-in CSRF token
  return v;
}

// Resolves when the server's log (from `from` bytes on) matches re, or rejects after ms.
export async function waitForLog(server, re, { from = 0, ms = 5000 } = {}) {
  const t0 = Date.now();
  for (;;) {
    const m = server.log().slice(from).match(re);
    if (m) return m;
    if (Date.now() - t0 > ms) throw new Error(`log never matched ${re}:\n${server.log().slice(from)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Polls fn until it returns a truthy value, or fails after ms.
export async function eventually(fn, { ms = 5000, what = 'condition' } = {}) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > ms) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
