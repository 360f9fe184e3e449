// A tiny SMTP server for tests: speaks enough of RFC 5321 for a client such as
// libcurl (220, EHLO/HELO, MAIL FROM, RCPT TO, DATA, ".", RSET, NOOP, QUIT) and
// keeps every message it accepted. It can be told to refuse (550) or to be down.
import net from 'node:net';

// mode: 'accept' | 'refuse-rcpt' (550 to RCPT TO) | 'refuse-data' (550 after the message)
export async function startSmtpSink({ port = 0, mode = 'accept' } = {}) {
  const sink = {
    port, mode, messages: [], sessions: 0, refused: 0, sockets: new Set(), server: null,
    // Resolves with the messages to `to` once there are at least `count`, or rejects after ms.
    async waitFor(to, { count = 1, ms = 10000 } = {}) {
      const t0 = Date.now();
      for (;;) {
        const list = sink.to(to);
        if (list.length >= count) return list;
        if (Date.now() - t0 > ms) throw new Error(`${count} message(s) to ${to} not received within ${ms} ms (got ${list.length})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    to(addr) { return sink.messages.filter((m) => m.rcpt.includes(addr)); },
    // Stops listening and drops every connection: the server is "down".
    async down() {
      for (const s of sink.sockets) s.destroy();
      await new Promise((r) => sink.server.close(r));
      sink.server = null;
    },
    // Listens again on the same port.
    async up() { await listen(); },
    async close() { if (sink.server) await sink.down(); },
  };

  function session(sock) {
    sink.sessions++;
    sink.sockets.add(sock);
    sock.on('close', () => sink.sockets.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    let inData = false;
    let tx = { from: null, rcpt: [] };
    const reply = (line) => { if (!sock.destroyed) sock.write(line + '\r\n'); };
    reply('220 sink.test ESMTP test sink');
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (inData) {
          // the message ends with CRLF "." CRLF (the first line may be the dot itself)
          const text = buf.toString('latin1');
          let end = text.startsWith('.\r\n') ? 0 : text.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const body = end === 0 ? Buffer.alloc(0) : buf.subarray(0, end + 2);
          buf = buf.subarray(end === 0 ? 3 : end + 5);
          inData = false;
          // undo dot-stuffing: a line starting with ".." lost its first dot on the way
          const raw = body.toString('latin1').split('\r\n').map((l) => (l.startsWith('..') ? l.slice(1) : l)).join('\r\n');
          const data = Buffer.from(raw, 'latin1');
          if (sink.mode === 'refuse-data') {
            sink.refused++;
            reply('550 5.7.1 message refused by the test');
          } else {
            sink.messages.push({ from: tx.from, rcpt: tx.rcpt, data, at: Date.now() });
            reply('250 2.0.0 queued');
          }
          tx = { from: null, rcpt: [] };
          continue;
        }
        const i = buf.indexOf('\r\n');
        if (i < 0) return;
        const line = buf.subarray(0, i).toString('utf8');
        buf = buf.subarray(i + 2);
        const verb = line.slice(0, 4).toUpperCase();
        const arg = (line.match(/<([^>]*)>/) || [])[1];
        if (verb === 'EHLO') reply('250-sink.test\r\n250-8BITMIME\r\n250 SIZE 10485760');
        else if (verb === 'HELO') reply('250 sink.test');
        else if (verb === 'MAIL') { tx = { from: arg, rcpt: [] }; reply('250 2.1.0 ok'); }
        else if (verb === 'RCPT') {
          if (sink.mode === 'refuse-rcpt') { sink.refused++; reply('550 5.1.1 no such mailbox (test)'); }
          else { tx.rcpt.push(arg); reply('250 2.1.5 ok'); }
        } else if (verb === 'DATA') {
          if (!tx.rcpt.length) reply('554 5.5.1 no valid recipients');
          else { inData = true; reply('354 end with <CRLF>.<CRLF>'); }
        } else if (verb === 'RSET') { tx = { from: null, rcpt: [] }; reply('250 2.0.0 ok'); }
        else if (verb === 'NOOP') reply('250 2.0.0 ok');
        else if (verb === 'QUIT') { reply('221 2.0.0 bye'); sock.end(); return; }
        else reply('502 5.5.2 command not implemented');
      }
    });
  }

  async function listen() {
    sink.server = net.createServer(session);
    await new Promise((resolve, reject) => {
      sink.server.once('error', reject);
      sink.server.listen(sink.port, '127.0.0.1', resolve);
    });
    sink.port = sink.server.address().port;
  }
  await listen();
  return sink;
}

// ---- reading what was received ----

// Decodes RFC 2047 encoded-words (B and Q) in a header value.
export function decodeWords(value) {
  return value
    .replace(/\?=\s+=\?/g, '?==?') // whitespace between adjacent encoded-words is dropped
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset, enc, text) => {
      const bytes = enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return bytes.toString(/utf-?8/i.test(charset) ? 'utf8' : 'latin1');
    });
}

export function decodeQuotedPrintable(text) {
  const bytes = Buffer.from(text.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return bytes.toString('utf8');
}

// Splits a received message: { lines, headers (lower-case name -> unfolded raw value), body (decoded text) }.
export function parseMail(data) {
  const raw = data.toString('latin1');
  const sep = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, sep), rawBody = raw.slice(sep + 4);
  const headers = new Map();
  for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  const cte = (headers.get('content-transfer-encoding') || '').toLowerCase();
  const body = cte === 'quoted-printable' ? decodeQuotedPrintable(rawBody) : Buffer.from(rawBody, 'latin1').toString('utf8');
  return { raw, lines: raw.split('\r\n'), headers, body, rawBody };
}
