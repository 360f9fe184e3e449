// Audio and video of a live class, end to end: inside a network namespace of
// its own (lib/medianet.mjs), Janus holds a VideoRoom room made private with
// a pin and join tokens; page A publishes Chromium's fake camera and
// microphone through live-media.js, page B receives and decodes them, a page
// without a valid token is refused, B switches to audio only, A stops
// publishing. Needs root (it creates the namespace); fails, never skips,
// when it cannot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startMediaNet, JANUS_JS, ADAPTER_JS } from './lib/medianet.mjs';

const LIVE_MEDIA = fileURLToPath(new URL('../../src/web/assets/live-media.js', import.meta.url));
const ROOM = 31337;
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>media</title>
<script src="/assets/adapter.js"></script>
<script src="/assets/janus.js"></script>
<script src="/assets/live-media.js"></script>
</head><body><div id="remote"></div>
<script>
window.states = [];
window.join = (opts) => CartableMedia.start(Object.assign({}, opts, {
  container: document.getElementById('remote'),
  onState: (state, detail) => window.states.push([state, detail]),
})).then(() => 'joined', (e) => 'refused: ' + e.message);
</script></body></html>`;

let net, browser, base, pin, tokens;

before(async () => {
  net = await startMediaNet();
  pin = randomBytes(12).toString('base64url');
  tokens = { a: randomBytes(12).toString('base64url'), b: randomBytes(12).toString('base64url') };
  const created = await net.janus.request({
    request: 'create', room: ROOM, description: 'media test', secret: randomBytes(12).toString('base64url'), pin,
    is_private: true, require_pvtid: true, publishers: 4, bitrate: 256000, audiocodec: 'opus', videocodec: 'vp8',
    allowed: [tokens.a, tokens.b], admin_key: net.janus.adminKey,
  });
  assert.equal(created.videoroom, 'created', JSON.stringify(created));
  base = await net.serveStatic({
    '/media.html': { body: PAGE, type: 'text/html; charset=utf-8' },
    '/assets/adapter.js': ADAPTER_JS,
    '/assets/janus.js': JANUS_JS,
    '/assets/live-media.js': LIVE_MEDIA,
  });
  browser = await net.launchChromium();
});

after(async () => {
  await net?.stop();
});

async function open(name) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`${name}: ${e}`));
  await page.goto(`${base}/media.html`);
  return { page, errors };
}

const opts = (token, display, publish, mode = 'video') => ({ server: net.janus.api, room: ROOM, pin, token, display, publish, mode });

async function until(what, fn, ms = 10000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('A publishes, B receives and decodes; a wrong token is refused; audio only; unpublish', async (t) => {
  const a = await open('A');
  const b = await open('B');
  assert.equal(await a.page.evaluate((o) => window.join(o), opts(tokens.a, 'Alice', true)), 'joined');
  await until('A to publish', () => a.page.evaluate(() => window.states.some(([s]) => s === 'publishing')));
  assert.equal(await b.page.evaluate((o) => window.join(o), opts(tokens.b, 'Bob', false)), 'joined');

  const t0 = Date.now();
  const got = await until('B to decode video frames', async () => {
    const st = await b.page.evaluate(() => CartableMedia.stats());
    return st.video.framesDecoded > 0 && st.audio.packetsReceived > 0 && st;
  });
  const decodedAfterMs = Date.now() - t0;
  assert.ok(got.video.framesDecoded > 0);
  assert.equal(await b.page.locator('#remote video[data-display="Alice"]').count(), 1);
  const sent = await a.page.evaluate(() => CartableMedia.stats());
  assert.ok(sent.sent.bytesSent > 0, 'A sends');
  t.diagnostic(`B decoded ${got.video.framesDecoded} frames, ${got.audio.packetsReceived} audio packets, ${decodedAfterMs} ms after joining`);

  // no token, or one never given: refused by Janus
  const c = await open('C');
  const refused = await c.page.evaluate((o) => window.join(o), opts('not-a-token', 'Mallory', false));
  assert.match(refused, /^refused: Unauthorized/);
  const wrongPin = await c.page.evaluate((o) => window.join(o), { ...opts(tokens.b, 'Mallory', false), pin: 'guess' });
  assert.match(wrongPin, /^refused: Unauthorized/);

  // audio only: B's video is gone, audio keeps coming
  await b.page.evaluate(() => CartableMedia.setMode('audio'));
  await until('B to receive audio only', async () =>
    (await b.page.locator('#remote audio[data-display="Alice"]').count()) === 1 &&
    (await b.page.locator('#remote video').count()) === 0);
  await until('audio packets in audio mode', async () => (await b.page.evaluate(() => CartableMedia.stats())).audio.packetsReceived > 0);
  assert.equal((await b.page.evaluate(() => CartableMedia.stats())).video.framesDecoded, 0);

  // A stops publishing: B's element for A goes
  await a.page.evaluate(() => CartableMedia.setPublish(false));
  await until('A unpublished', () => a.page.evaluate(() => window.states.some(([s]) => s === 'unpublished')));
  await until('B to drop A', async () => (await b.page.locator('#remote [data-display="Alice"]').count()) === 0);

  // and again, in low mode
  await a.page.evaluate(() => CartableMedia.setMode('low'));
  await a.page.evaluate(() => CartableMedia.setPublish(true));
  await until('B to get A back', async () => (await b.page.locator('#remote audio[data-display="Alice"]').count()) === 1);

  await a.page.evaluate(() => CartableMedia.stop());
  await b.page.evaluate(() => CartableMedia.stop());
  for (const p of [a, b, c]) assert.deepEqual(p.errors, []);
  const bStates = await b.page.evaluate(() => window.states.map(([s]) => s));
  assert.ok(bStates.includes('joined') && bStates.includes('stopped'), bStates.join(','));
});
