/* live-media.js: a live class's audio and video, in the browser, through a
 * Janus VideoRoom room (the server side is src/live/janus.h).
 *
 *   CartableMedia.start(opts) -> Promise (resolved once in the room)
 *     opts.server    Janus API URL for this room (the `media` message's server)
 *     opts.room, opts.pin, opts.token   from the same message
 *     opts.id        optional participant id (what a host's kick names)
 *     opts.display   the name others see
 *     opts.publish   send our camera and microphone (only when allowed)
 *     opts.mode      'video' | 'low' (320x240, 128 kbit/s) | 'audio' (sends and
 *                    receives audio only) | 'screen' (sends the screen instead of
 *                    the camera, receives as 'video')
 *     opts.container element where one <video> (or <audio>) per remote
 *                    publisher goes, with data-feed and data-display
 *     opts.onState(state, detail): 'connecting', 'joined', 'publishing',
 *                    'unpublished', 'feeds' ({count}), 'autoplay-blocked',
 *                    'kicked', 'disconnected', 'error' ({message, code}),
 *                    'stopped'
 *   CartableMedia.stop() -> Promise
 *   CartableMedia.setMode(mode), CartableMedia.setPublish(bool)
 *   CartableMedia.stats() -> Promise of {video: {framesDecoded, bytesReceived},
 *                    audio: {packetsReceived}, sent: {bytesSent}} (for a quality hint, and the tests)
 *
 * Needs the global `Janus` of janus.js, which needs webrtc-adapter loaded
 * first. Pages load, in this order (Debian packages libjs-webrtc-adapter and
 * libjs-janus-gateway; serve them from these files as they are, with
 * Content-Type text/javascript):
 *   /assets/adapter.js   <- /usr/share/javascript/webrtc-adapter/adapter.js
 *   /assets/janus.js     <- /usr/share/javascript/janus-gateway/janus.js
 *   /assets/live-media.js
 * (adapter.min.js and janus.min.js beside them are the same, minified.)
 * No STUN/TURN: iceServers is empty, Janus's own candidates are used.
 * Plain ES2017, no build step.
 */
(function () {
  'use strict';

  var MODES = { video: true, low: true, audio: true, screen: true };
  var current = null;

  function emit(s, state, detail) {
    if (s.opts.onState) {
      try { s.opts.onState(state, detail || {}); } catch (e) { /* the page's problem */ }
    }
  }

  function fail(s, message, code) {
    emit(s, 'error', { message: String(message), code: code || 0 });
  }

  function sendTracks(mode) {
    var tracks = [{ type: 'audio', capture: true, recv: false }];
    if (mode === 'screen')
      tracks.push({ type: 'screen', capture: true, recv: false }); /* a host shares their screen */
    else if (mode !== 'audio')
      tracks.push({ type: 'video', capture: mode === 'low' ? 'lowres' : 'stdres', recv: false });
    return tracks;
  }

  function publish(s) {
    if (!s.pub || !s.joined || s.publishing || s.stopped) return;
    s.publishing = true;
    s.pub.createOffer({
      tracks: sendTracks(s.mode),
      success: function (jsep) {
        var msg = { request: 'publish', display: s.opts.display || '' };
        if (s.mode === 'low') msg.bitrate = 128000;
        if (s.mode === 'audio') msg.bitrate = 64000;
        s.pub.send({ message: msg, jsep: jsep });
      },
      error: function (e) {
        s.publishing = false;
        fail(s, 'cannot use the camera or microphone: ' + (e && e.message ? e.message : e));
      }
    });
  }

  function unpublish(s) {
    if (!s.pub || !s.publishing) return;
    s.pub.send({ message: { request: 'unpublish' } });
  }

  function feedCount(s) {
    return Object.keys(s.feeds).length;
  }

  function removeFeed(s, id) {
    var f = s.feeds[id];
    if (!f) return;
    delete s.feeds[id];
    if (f.el && f.el.parentNode) f.el.parentNode.removeChild(f.el);
    if (f.handle) f.handle.detach();
    emit(s, 'feeds', { count: feedCount(s) });
  }

  function mediaElement(s, f) {
    if (f.el) return f.el;
    var el = document.createElement(s.mode === 'audio' ? 'audio' : 'video');
    el.autoplay = true;
    el.setAttribute('playsinline', '');
    el.dataset.feed = String(f.id);
    el.dataset.display = f.display || '';
    el.title = f.display || '';
    f.stream = new MediaStream();
    el.srcObject = f.stream;
    if (s.opts.container) s.opts.container.appendChild(el);
    f.el = el;
    return el;
  }

  function subscribe(s, p) {
    if (s.stopped || p.id === s.myid || s.feeds[p.id] || p.dummy) return;
    var streams = (p.streams || []).filter(function (st) {
      return !st.disabled && (st.type === 'audio' || (st.type === 'video' && s.mode !== 'audio'));
    }).map(function (st) { return { feed: p.id, mid: st.mid }; });
    if (!streams.length) return;
    var f = { id: p.id, display: p.display, handle: null, el: null, stream: null };
    s.feeds[p.id] = f;
    s.janus.attach({
      plugin: 'janus.plugin.videoroom',
      opaqueId: s.opaque,
      success: function (h) {
        f.handle = h;
        if (s.feeds[p.id] !== f) { h.detach(); return; }
        h.send({ message: { request: 'join', room: s.opts.room, ptype: 'subscriber', streams: streams,
                            private_id: s.pvtid, pin: s.opts.pin } });
      },
      error: function (e) { fail(s, e); removeFeed(s, p.id); },
      onmessage: function (msg, jsep) {
        if (msg.error) { fail(s, msg.error, msg.error_code); removeFeed(s, p.id); return; }
        if (jsep && f.handle) {
          f.handle.createAnswer({
            jsep: jsep,
            tracks: [{ type: 'data' }],
            success: function (answer) {
              f.handle.send({ message: { request: 'start', room: s.opts.room }, jsep: answer });
            },
            error: function (e) { fail(s, e); removeFeed(s, p.id); }
          });
        }
      },
      onremotetrack: function (track, mid, on) {
        if (s.feeds[p.id] !== f) return;
        var el = mediaElement(s, f);
        if (on) {
          f.stream.getTracks().forEach(function (t) { if (t.kind === track.kind && t !== track) f.stream.removeTrack(t); });
          f.stream.addTrack(track);
          var played = el.play();
          if (played && played.catch) played.catch(function () { emit(s, 'autoplay-blocked', { feed: p.id }); });
        } else {
          f.stream.removeTrack(track);
        }
      },
      oncleanup: function () {}
    });
    emit(s, 'feeds', { count: feedCount(s) });
  }

  function onPublisherMessage(s, msg, jsep, joined) {
    var vr = msg.videoroom;
    if (vr === 'joined') {
      s.myid = msg.id;
      s.pvtid = msg.private_id;
      s.joined = true;
      emit(s, 'joined', { id: msg.id });
      joined.resolve();
      if (s.wantPublish) publish(s);
    } else if (vr === 'destroyed') {
      fail(s, 'the room is closed');
      stop();
      return;
    } else if (vr === 'event') {
      if (msg.error) {
        fail(s, msg.error, msg.error_code);
        if (!s.joined) joined.reject(new Error(msg.error));
        if (s.publishing && !s.published) s.publishing = false;
      }
      if (msg.unpublished === 'ok') {
        s.publishing = s.published = false;
        s.pub.hangup();
        emit(s, 'unpublished');
        if (s.wantPublish) setTimeout(function () { publish(s); }, 0); /* a new mode */
      } else if (msg.unpublished !== undefined) {
        removeFeed(s, msg.unpublished);
        delete s.publishers[msg.unpublished];
      }
      if (msg.leaving === 'ok') {
        emit(s, msg.reason === 'kicked' ? 'kicked' : 'stopped');
        stop();
        return;
      } else if (msg.leaving !== undefined) {
        removeFeed(s, msg.leaving);
        delete s.publishers[msg.leaving];
      }
    }
    (msg.publishers || []).forEach(function (p) {
      s.publishers[p.id] = p;
      subscribe(s, p);
    });
    if (jsep) s.pub.handleRemoteJsep({ jsep: jsep });
  }

  function start(opts) {
    if (current) stop();
    if (typeof Janus === 'undefined') return Promise.reject(new Error('janus.js is not loaded'));
    var s = {
      opts: opts || {},
      mode: MODES[opts.mode] ? opts.mode : 'video',
      wantPublish: !!opts.publish,
      janus: null, pub: null, myid: null, pvtid: null,
      joined: false, publishing: false, published: false, stopped: false,
      feeds: {}, publishers: {},
      opaque: 'cartable-' + Math.random().toString(36).slice(2)
    };
    current = s;
    emit(s, 'connecting');
    return new Promise(function (resolve, reject) {
      var joined = { resolve: resolve, reject: reject };
      Janus.init({
        debug: false,
        dependencies: Janus.useDefaultDependencies(),
        callback: function () {
          if (s.stopped) return;
          if (!Janus.isWebrtcSupported()) { fail(s, 'this browser has no WebRTC'); reject(new Error('no WebRTC')); return; }
          s.janus = new Janus({
            server: s.opts.server,
            iceServers: [],
            success: function () {
              s.janus.attach({
                plugin: 'janus.plugin.videoroom',
                opaqueId: s.opaque,
                success: function (h) {
                  s.pub = h;
                  var join = { request: 'join', room: s.opts.room, ptype: 'publisher', display: s.opts.display || '',
                               pin: s.opts.pin, token: s.opts.token };
                  if (s.opts.id) join.id = s.opts.id;
                  h.send({ message: join });
                },
                error: function (e) { fail(s, e); reject(new Error(String(e))); },
                onmessage: function (msg, jsep) { onPublisherMessage(s, msg, jsep, joined); },
                webrtcState: function (on) {
                  if (on) { s.published = true; emit(s, 'publishing'); }
                },
                onlocaltrack: function () {},
                onremotetrack: function () {},
                oncleanup: function () {}
              });
            },
            error: function (e) {
              if (s.joined) emit(s, 'disconnected', { message: String(e) });
              else { fail(s, e); reject(new Error(String(e))); }
            },
            destroyed: function () {}
          });
        }
      });
    });
  }

  function stop() {
    var s = current;
    current = null;
    if (!s || s.stopped) return Promise.resolve();
    s.stopped = true;
    Object.keys(s.feeds).forEach(function (id) { removeFeed(s, id); });
    return new Promise(function (resolve) {
      var done = function () { emit(s, 'stopped'); resolve(); };
      if (!s.janus) { done(); return; }
      s.janus.destroy({ cleanupHandles: true, success: done, error: done });
    });
  }

  function setPublish(on) {
    var s = current;
    if (!s) return;
    s.wantPublish = !!on;
    if (on) publish(s); else unpublish(s);
  }

  function setMode(mode) {
    var s = current;
    if (!s || !MODES[mode] || mode === s.mode) return;
    s.mode = mode;
    /* what we receive: subscribe again with the new mode */
    Object.keys(s.feeds).forEach(function (id) { removeFeed(s, id); });
    Object.keys(s.publishers).forEach(function (id) { subscribe(s, s.publishers[id]); });
    /* what we send: published again once unpublished (onPublisherMessage) */
    if (s.publishing) unpublish(s);
  }

  function stats() {
    var s = current;
    var out = { video: { framesDecoded: 0, bytesReceived: 0 }, audio: { packetsReceived: 0 }, sent: { bytesSent: 0 } };
    if (!s) return Promise.resolve(out);
    var pcs = [];
    Object.keys(s.feeds).forEach(function (id) {
      var h = s.feeds[id].handle;
      if (h && h.webrtcStuff && h.webrtcStuff.pc) pcs.push(h.webrtcStuff.pc);
    });
    if (s.pub && s.pub.webrtcStuff && s.pub.webrtcStuff.pc) pcs.push(s.pub.webrtcStuff.pc);
    return Promise.all(pcs.map(function (pc) { return pc.getStats(); })).then(function (reports) {
      reports.forEach(function (r) {
        r.forEach(function (st) {
          if (st.type === 'inbound-rtp' && st.kind === 'video') {
            out.video.framesDecoded += st.framesDecoded || 0;
            out.video.bytesReceived += st.bytesReceived || 0;
          } else if (st.type === 'inbound-rtp' && st.kind === 'audio') {
            out.audio.packetsReceived += st.packetsReceived || 0;
          } else if (st.type === 'outbound-rtp') {
            out.sent.bytesSent += st.bytesSent || 0;
          }
        });
      });
      return out;
    });
  }

  window.CartableMedia = { start: start, stop: stop, setMode: setMode, setPublish: setPublish, stats: stats };
})();
