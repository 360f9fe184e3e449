// A private network for browser tests with audio and video: a network
// namespace of the test's own, with Janus and Chromium inside it.
//
// Why: Janus gathers no ICE candidate on a loopback interface, so WebRTC
// cannot work over 127.0.0.1 alone. Inside a fresh namespace, a veth pair
// whose two ends both stay in it (10.99.N.1/24 and 10.99.N.2/24) gives
// Janus and Chromium a real interface, and nothing touches the host's
// network: no address, no route, no interface is added outside.
//
//   const net = await startMediaNet();       // needs root; throws (never skips) if it cannot
//   net.ns, net.hostAddr, net.peerAddr       // namespace name; 10.99.N.1 and 10.99.N.2
//   net.janus.api                            // http://10.99.N.2:8088/janus (inside the namespace only)
//   await net.janus.request(body)            // one VideoRoom request, its plugindata.data
//   net.spawn(cmd, args, opts)               // a process inside the namespace (killed by stop)
//   await net.serveStatic({ '/p.html': file or {body, type} })  // http://127.0.0.1:8000, inside
//   await net.launchChromium()               // playwright BrowserContext, Chromium inside the namespace
//   await net.stop()                         // kills everything, deletes the namespace; safe to call twice
//
// A Cartable server can run inside with net.spawn(process.env.CARTABLE_BIN,
// ['serve', '--listen', '127.0.0.1:8080', '--janus-urls', net.janus.api, ...]):
// pages on the namespace's 127.0.0.1 are a secure context (getUserMedia works),
// and reach Janus at net.janus.api.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, chmodSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const JANUS = process.env.JANUS_BIN || '/usr/bin/janus';
const JANUS_PORT = 8088;

// Where Debian keeps Janus's plugins (multiarch), unless told.
function janusLibDir(kind, file) {
  const told = process.env[kind === 'plugins' ? 'JANUS_PLUGIN_DIR' : 'JANUS_TRANSPORT_DIR'];
  if (told && existsSync(join(told, file))) return told;
  for (const base of ['/usr/lib', '/usr/local/lib']) {
    const dirs = [join(base, 'janus', kind)];
    try {
      for (const d of readdirSync(base)) if (d.includes('-linux-')) dirs.push(join(base, d, 'janus', kind));
    } catch { /* no such base */ }
    for (const d of dirs) if (existsSync(join(d, file))) return d;
  }
  throw new Error(`medianet: ${file} not found (apt-get install janus, or set ${kind === 'plugins' ? 'JANUS_PLUGIN_DIR' : 'JANUS_TRANSPORT_DIR'})`);
}

function ip(...args) {
  return execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

// Namespaces still open in this process: removed on exit whatever happens.
const open = new Set();
process.on('exit', () => {
  for (const net of open) net.stopSync();
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    for (const net of open) net.stopSync();
    process.exit(130);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class MediaNet {
  constructor() {
    this.n = 1 + (process.pid + Date.now()) % 250;
    this.ns = `cartable-media-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.hostAddr = `10.99.${this.n}.1`; // Chromium's side
    this.peerAddr = `10.99.${this.n}.2`; // Janus's and the servers' side
    this.dir = mkdtempSync(join(tmpdir(), 'cartable-medianet-'));
    this.children = new Set();
    this.contexts = new Set();
    this.stopped = false;
  }

  create() {
    try {
      ip('netns', 'add', this.ns);
    } catch (e) {
      throw new Error(`medianet: cannot create network namespace ${this.ns} (media tests need root: CAP_SYS_ADMIN and CAP_NET_ADMIN): ${String(e.stderr || e.message).trim()}`);
    }
    open.add(this);
    try {
      ip('-n', this.ns, 'link', 'set', 'lo', 'up');
      ip('-n', this.ns, 'link', 'add', 'cm0', 'type', 'veth', 'peer', 'name', 'cm1');
      ip('-n', this.ns, 'addr', 'add', `${this.hostAddr}/24`, 'dev', 'cm0');
      ip('-n', this.ns, 'addr', 'add', `${this.peerAddr}/24`, 'dev', 'cm1');
      ip('-n', this.ns, 'link', 'set', 'cm0', 'up');
      ip('-n', this.ns, 'link', 'set', 'cm1', 'up');
    } catch (e) {
      throw new Error(`medianet: cannot set up the namespace's network: ${String(e.stderr || e.message).trim()}`);
    }
  }

  // Both ends of the veth carry traffic (Janus looks at the interfaces once, at start).
  async linksUp() {
    for (let i = 0; i < 100; i++) {
      const out = ip('-n', this.ns, '-o', 'link', 'show', 'up');
      if (/cm0@cm1:.*LOWER_UP/.test(out) && /cm1@cm0:.*LOWER_UP/.test(out)) return;
      await sleep(20);
    }
    throw new Error(`medianet: the namespace's veth pair does not come up: ${ip('-n', this.ns, 'link')}`);
  }

  // A process inside the namespace. Its output goes to LOGDIR/name.log unless stdio is given.
  spawn(cmd, args = [], opts = {}) {
    const child = spawn('ip', ['netns', 'exec', this.ns, cmd, ...args], { stdio: opts.stdio || ['ignore', 'pipe', 'pipe'], env: opts.env || process.env, cwd: opts.cwd });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    child.output = '';
    child.stdout?.on('data', (d) => { child.output += d; });
    child.stderr?.on('data', (d) => { child.output += d; });
    return child;
  }

  // Runs a command inside to its end; resolves with its standard output.
  run(cmd, args = [], input) {
    return new Promise((resolve, reject) => {
      const child = this.spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(child.output) : reject(new Error(`${cmd} exited ${code}: ${child.output}`))));
      child.stdin.end(input || '');
    });
  }

  async startJanus() {
    const d = join(this.dir, 'janus');
    for (const sub of ['plugins', 'transports', 'none']) mkdirSync(join(d, sub), { recursive: true });
    symlinkSync(join(janusLibDir('plugins', 'libjanus_videoroom.so'), 'libjanus_videoroom.so'), join(d, 'plugins', 'libjanus_videoroom.so'));
    symlinkSync(join(janusLibDir('transports', 'libjanus_http.so'), 'libjanus_http.so'), join(d, 'transports', 'libjanus_http.so'));
    const adminSecret = randomBytes(18).toString('base64url');
    this.janus.adminKey = randomBytes(18).toString('base64url');
    // No STUN or TURN, no mDNS; ICE only on the namespace's veth; the API on its address only.
    writeFileSync(join(d, 'janus.jcfg'), `general: {
  configs_folder = "${d}"
  plugins_folder = "${d}/plugins"
  transports_folder = "${d}/transports"
  events_folder = "${d}/none"
  loggers_folder = "${d}/none"
  debug_level = 4
  admin_secret = "${adminSecret}"
  server_name = "cartable-medianet"
}
certificates: {}
media: { rtp_port_range = "20000-20999" }
nat: { ice_enforce_list = "cm1" ignore_mdns = true }
plugins: {}
transports: {}
loggers: {}
events: { broadcast = false }
`);
    writeFileSync(join(d, 'janus.transport.http.jcfg'), `general: { json = "plain" base_path = "/janus" http = true ip = "${this.peerAddr}" port = ${JANUS_PORT} https = false }
admin: { admin_http = false admin_ip = "${this.peerAddr}" }
cors: { allow_origin = "*" }
`);
    writeFileSync(join(d, 'janus.plugin.videoroom.jcfg'), `general: { admin_key = "${this.janus.adminKey}" }\n`);
    this.janus.log = join(d, 'janus.log');
    this.janus.process = this.spawn(JANUS, ['-F', d, '-C', join(d, 'janus.jcfg'), '-L', this.janus.log, '-N']);
    this.janus.api = `http://${this.peerAddr}:${JANUS_PORT}/janus`;
    for (let i = 0; i < 100; i++) {
      if (this.janus.process.exitCode !== null) throw new Error(`medianet: janus exited: ${this.janusLog()}`);
      try {
        const info = JSON.parse(await this.fetchInside(`${this.janus.api}/info`));
        if (info.janus === 'server_info') return;
      } catch { /* not yet */ }
      await sleep(50);
    }
    throw new Error(`medianet: janus did not answer within 5 s: ${this.janusLog()}`);
  }

  janusLog() {
    try { return readFileSync(this.janus.log, 'utf8').slice(-4000); } catch { return '(no log)'; }
  }

  // An HTTP request made from inside the namespace (the host cannot reach it); the answer's text.
  fetchInside(url, body) {
    const code = `const [url, body] = JSON.parse(process.argv[1]);
const r = await fetch(url, body === null ? {} : { method: 'POST', body, headers: { 'content-type': 'application/json' } });
process.stdout.write(await r.text());`;
    return this.run(process.execPath, ['--input-type=module', '-e', code, JSON.stringify([url, body ?? null])]);
  }

  // One synchronous VideoRoom request on a session and handle of its own: plugindata.data.
  async janusRequest(body) {
    const post = async (path, msg) => {
      const a = JSON.parse(await this.fetchInside(this.janus.api + path, JSON.stringify({ transaction: randomBytes(6).toString('hex'), ...msg })));
      if (a.janus === 'error') throw new Error(`janus: ${a.error.code} ${a.error.reason}`);
      return a;
    };
    const session = (await post('', { janus: 'create' })).data.id;
    const handle = (await post(`/${session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data.id;
    const a = await post(`/${session}/${handle}`, { janus: 'message', body });
    await post(`/${session}`, { janus: 'destroy' });
    return a.plugindata.data;
  }

  // A static file server inside the namespace: routes map a path to a file or
  // {body, type}. On the namespace's 127.0.0.1 by default: a secure context
  // for Chromium (camera and microphone need one), as https is in production.
  async serveStatic(routes, { port = 8000, host = '127.0.0.1' } = {}) {
    const table = {};
    for (const [path, v] of Object.entries(routes)) table[path] = typeof v === 'string' ? { file: v } : v;
    const file = join(this.dir, `static-${port}.mjs`);
    writeFileSync(file, `import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const routes = ${JSON.stringify(table)};
const types = { js: 'text/javascript', html: 'text/html; charset=utf-8', css: 'text/css' };
createServer((req, res) => {
  const r = routes[new URL(req.url, 'http://x').pathname];
  if (!r) { res.writeHead(404); res.end('not found'); return; }
  const body = r.file ? readFileSync(r.file) : r.body;
  const ext = (r.file || '').split('.').pop();
  res.writeHead(200, { 'content-type': r.type || types[ext] || 'application/octet-stream', 'cache-control': 'no-store' });
  res.end(body);
}).listen(${port}, '${host}', () => console.log('listening'));
`);
    const child = this.spawn(process.execPath, [file]);
    for (let i = 0; i < 100 && !child.output.includes('listening'); i++) {
      if (child.exitCode !== null) throw new Error(`medianet: static server exited: ${child.output}`);
      await sleep(50);
    }
    if (!child.output.includes('listening')) throw new Error(`medianet: static server did not start: ${child.output}`);
    return `http://${host}:${port}`;
  }

  // Chromium run inside the namespace (a wrapper as its executable), with fake camera and microphone.
  async launchChromium({ args = [] } = {}) {
    const wrapper = join(this.dir, 'chromium-in-netns');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec '${this.ns}' '${CHROMIUM}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const profile = mkdtempSync(join(this.dir, 'profile-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: wrapper,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
        '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required',
        // no name is looked up; the namespace's addresses are used as they are
        `--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE ${this.peerAddr} , EXCLUDE ${this.hostAddr}`,
        ...args,
      ],
    });
    this.contexts.add(context);
    context.on('close', () => this.contexts.delete(context));
    return context;
  }

  async stop() {
    if (this.stopped) return;
    for (const c of [...this.contexts]) await c.close().catch(() => {});
    for (const child of [...this.children]) child.kill('SIGTERM');
    for (let i = 0; i < 40 && this.children.size; i++) await sleep(50);
    this.stopSync();
  }

  // Whatever is left is killed; the namespace and the files go.
  stopSync() {
    if (this.stopped) return;
    this.stopped = true;
    for (const child of this.children) child.kill('SIGKILL');
    try {
      const pids = ip('netns', 'pids', this.ns).split(/\s+/).filter(Boolean);
      for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
    } catch { /* no namespace */ }
    try { ip('netns', 'del', this.ns); } catch { /* not there */ }
    open.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startMediaNet({ janus = true } = {}) {
  const net = new MediaNet();
  net.janus = { api: null, adminKey: null, request: (body) => net.janusRequest(body) };
  try {
    net.create();
    await net.linksUp();
    if (janus) await net.startJanus();
  } catch (e) {
    await net.stop();
    throw e;
  }
  return net;
}

// Where Debian puts the browser side of Janus (janus.js needs adapter.js loaded first).
export const JANUS_JS = '/usr/share/javascript/janus-gateway/janus.js';
export const ADAPTER_JS = '/usr/share/javascript/webrtc-adapter/adapter.js';
