// A minimal WebSocket client (RFC 6455) over node:http's upgrade, for tests: it
// sends any frame the test asks for (oversized, binary, bad UTF-8, unmasked...)
// and records everything the server sends, control frames included. Node 20 has
// a global WebSocket only behind --experimental-websocket, and it could not send
// malformed frames anyway.
import http from 'node:http';
import { randomBytes, createHash } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };

// Opens a WebSocket at baseUrl + path. Resolves to { ws } on 101, or to
// { status, headers, text } when the server answers anything else.
export function wsOpen(baseUrl, path = '/live/updates', { headers = {}, cookie, origin, autoPong = true, timeout = 5000 } = {}) {
  const url = new URL(path, baseUrl);
  const key = randomBytes(16).toString('base64');
  const h = {
    connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13',
    ...(origin === undefined ? { origin: url.origin } : origin === null ? {} : { origin }),
    ...(cookie ? { cookie } : {}),
    ...headers,
  };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers: h, agent: false });
    const timer = setTimeout(() => { req.destroy(new Error('handshake timed out')); }, timeout);
    req.on('upgrade', (res, socket, head) => {
      clearTimeout(timer);
      const expect = createHash('sha1').update(key + GUID).digest('base64');
      if (res.headers['sec-websocket-accept'] !== expect) {
        socket.destroy();
        reject(new Error(`bad sec-websocket-accept: ${res.headers['sec-websocket-accept']}`));
        return;
      }
      resolve({ ws: new WsClient(socket, head, { autoPong }), status: res.statusCode, headers: res.headers });
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    req.end();
  });
}

// Builds one frame. Client frames are masked unless mask is false.
export function frame(opcode, payload = Buffer.alloc(0), { fin = true, mask = true, rsv = 0, length } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = length ?? data.length;
  let head;
  if (len < 126) {
    head = Buffer.alloc(2);
    head[1] = len;
  } else if (len < 65536) {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  head[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  if (!mask) return Buffer.concat([head, data]);
  head[1] |= 0x80;
  const m = randomBytes(4);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i] ^= m[i & 3];
  return Buffer.concat([head, m, body]);
}

export class WsClient {
  constructor(socket, head, { autoPong }) {
    this.socket = socket;
    this.autoPong = autoPong;
    this.buf = Buffer.alloc(0);
    this.messages = [];   // text messages received, as strings
    this.waiters = [];
    this.pings = 0;
    this.pongs = 0;
    this.closeFrame = null; // { code, reason } once the server's close frame arrived
    this.sentClose = false;
    this.ended = false;
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    const end = () => {
      if (this.ended) return;
      this.ended = true;
      this.resolveClosed(this.closeFrame || { code: 1006, reason: '' });
      this.wake();
    };
    socket.on('close', end);
    socket.on('end', end);
    socket.on('error', end);
    if (head && head.length) this.onData(head);
  }

  onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0], b1 = this.buf[1];
      let len = b1 & 0x7f, off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (b1 & 0x80) throw new Error('the server masked a frame');
      if (this.buf.length < off + len) return;
      const payload = this.buf.subarray(off, off + len);
      this.buf = this.buf.subarray(off + len);
      this.onFrame(b0 & 0x0f, Buffer.from(payload));
    }
  }

  onFrame(opcode, payload) {
    if (opcode === OP.TEXT) {
      this.messages.push(payload.toString('utf8'));
      this.wake();
    } else if (opcode === OP.PING) {
      this.pings++;
      if (this.autoPong && !this.sentClose) this.sendFrame(OP.PONG, payload);
      this.wake();
    } else if (opcode === OP.PONG) {
      this.pongs++;
      this.wake();
    } else if (opcode === OP.CLOSE) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.closeFrame = { code, reason: payload.subarray(2).toString('utf8') };
      if (!this.sentClose && !this.socket.destroyed) {
        this.sentClose = true;
        try { this.socket.write(frame(OP.CLOSE, payload.subarray(0, 2))); } catch { /* gone */ }
      }
      this.wake();
    } else {
      throw new Error(`unexpected opcode ${opcode} from the server`);
    }
  }

  wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  sendRaw(bytes) { if (!this.socket.destroyed) this.socket.write(bytes); }
  sendFrame(opcode, payload, opts) { this.sendRaw(frame(opcode, payload, opts)); }
  send(text) { this.sendFrame(OP.TEXT, Buffer.from(text, 'utf8')); }
  sendJson(v) { this.send(JSON.stringify(v)); }
  close(code = 1000) {
    if (this.sentClose) return;
    this.sentClose = true;
    const p = Buffer.alloc(2);
    p.writeUInt16BE(code);
    this.sendFrame(OP.CLOSE, p);
  }
  destroy() { this.socket.destroy(); }

  // Waits until pred() is true (checked on every frame and at the end).
  async until(pred, { timeout = 5000, what = 'condition' } = {}) {
    const t0 = Date.now();
    for (;;) {
      const v = pred();
      if (v) return v;
      if (this.ended) throw new Error(`connection ended before ${what} (close ${JSON.stringify(this.closeFrame)})`);
      const left = timeout - (Date.now() - t0);
      if (left <= 0) throw new Error(`${what} not reached within ${timeout} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  // The next text message (parsed as JSON) after those already taken.
  async next({ timeout = 5000 } = {}) {
    this.taken = this.taken || 0;
    await this.until(() => this.messages.length > this.taken, { timeout, what: 'a message' });
    return JSON.parse(this.messages[this.taken++]);
  }

  // Resolves with { code, reason } once the connection has ended, or rejects after timeout.
  async waitClosed({ timeout = 5000 } = {}) {
    let t;
    const r = await Promise.race([
      this.closed,
      new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`not closed within ${timeout} ms`)), timeout); }),
    ]);
    clearTimeout(t);
    return r;
  }
}
