// Live badge: keeps the unread messages and notifications counts in the page
// header current over a WebSocket (/live/updates). Pages work without it: the
// counts are rendered by the server on every page load.
(function () {
  'use strict';
  var messages = document.getElementById('badge-messages');
  var notifications = document.getElementById('badge-notifications');
  if (!messages && !notifications) return; // not signed in, or a page without the badge
  if (typeof WebSocket === 'undefined') return;

  var SIGNED_OUT = 4401; // the server will not take this session again: stop
  var RECHECK = 4001;    // the session it knew has expired: reconnect with the current cookie
  var POLICY = 1008;
  var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/live/updates';
  var socket = null;
  var delay = 1000;      // next reconnection delay, doubled up to a limit
  var timer = null;
  var stopped = false;

  function show(el, n) {
    if (!el || typeof n !== 'number' || n < 0 || n !== Math.floor(n)) return;
    el.textContent = String(n);
    el.hidden = n === 0;
    el.setAttribute('data-count', String(n));
  }

  function later(ms) {
    if (stopped || timer) return;
    // A little jitter, so a server restart is not met by every page at once.
    timer = setTimeout(function () { timer = null; connect(); }, ms + Math.floor(Math.random() * ms * 0.3));
  }

  function backoff() {
    var ms = delay;
    delay = Math.min(delay * 2, 60000);
    later(ms);
  }

  // A handshake refused looks like a network failure from here: ask the same
  // address over plain HTTP, which answers 401 to a signed-out visitor.
  function probe() {
    if (typeof fetch !== 'function') { backoff(); return; }
    fetch('/live/updates', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (r.status === 401 || r.status === 403) stopped = true;
      else backoff();
    }, backoff);
  }

  function connect() {
    if (stopped || socket) return;
    var opened = false, openedAt = 0;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      socket = null;
      backoff();
      return;
    }
    socket.onopen = function () { opened = true; openedAt = Date.now(); };
    socket.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m && m.type === 'badge') {
        show(messages, m.messages);
        show(notifications, m.notifications);
      }
    };
    socket.onclose = function (ev) {
      socket = null;
      if (ev.code === SIGNED_OUT || ev.code === POLICY) { stopped = true; return; }
      if (ev.code === RECHECK) { delay = 1000; later(200); return; }
      if (!opened) { probe(); return; }
      if (Date.now() - openedAt > 30000) delay = 1000; // it worked for a while: start again gently
      backoff();
    };
  }

  // Leave the back/forward cache usable: no socket while the page is hidden away.
  window.addEventListener('pagehide', function () {
    if (timer) { clearTimeout(timer); timer = null; }
    if (socket) { socket.onclose = null; socket.close(1000); socket = null; }
  });
  window.addEventListener('pageshow', function (ev) { if (ev.persisted) { delay = 1000; connect(); } });

  connect();
})();
