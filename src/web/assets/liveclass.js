/* The live room: the page works without this script (chat by form, refresh to
 * see more); with it, the room's socket keeps the page current and adds hands,
 * reactions, polls, the shared note and, when the server offers it, audio and
 * video (live-media.js). Everything from the server is inserted as text. */
(function () {
  'use strict';
  var root = document.getElementById('liveclass');
  if (!root || !root.dataset.open || !window.WebSocket) return;
  var roomId = root.dataset.room;
  var host = root.dataset.role === 'host';
  var me = Number(root.dataset.you);
  var state = null; // the room as the welcome gave it, kept by the events
  var seq = 0;
  var ws = null;
  var retry = 500;
  var stopped = false;
  // The page's words, from the server's catalogue (data-t-* on the room's element).
  function T(key) { return root.dataset['t' + key.charAt(0).toUpperCase() + key.slice(1)] || key; }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function byId(id) { return document.getElementById(id); }
  function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }
  function timeOf(ms) {
    var d = new Date(ms);
    return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2);
  }
  function status(text) {
    var s = byId('live-status');
    if (!s) {
      s = el('p', '', 'help');
      s.id = 'live-status';
      s.setAttribute('role', 'status');
      root.insertBefore(s, root.children[2] || null);
    }
    s.textContent = text;
  }

  /* ---- rendering ---- */

  function renderPeople() {
    var ul = byId('people');
    ul.textContent = '';
    var list = state.participants;
    var heading = byId('people-heading');
    if (heading) heading.textContent = heading.textContent.replace(/\(\d+\)/, '(' + list.length + ')');
    list.forEach(function (p) {
      var li = el('li', p.name);
      li.dataset.id = p.id;
      if (p.hand) li.appendChild(el('span', ' ✋', 'badge'));
      if (host && p.id !== me) {
        var pub = el('button', p.publish ? '🎙️ −' : '🎙️ +', 'link');
        pub.type = 'button';
        pub.title = p.publish ? 'stop' : 'allow';
        pub.dataset.action = 'publish';
        pub.addEventListener('click', function () { send({type: 'publish', person: p.id, allowed: !p.publish}); });
        var rm = el('button', '✕', 'link');
        rm.type = 'button';
        rm.dataset.action = 'remove';
        rm.addEventListener('click', function () { send({type: 'remove', person: p.id}); });
        li.appendChild(document.createTextNode(' '));
        li.appendChild(pub);
        if (p.role !== 'host') li.appendChild(rm);
      }
      ul.appendChild(li);
    });
  }

  function chatLine(c) {
    var li = el('li');
    li.appendChild(el('strong', c.from.name));
    if (c.to === 'hosts') li.appendChild(el('span', ' (' + T('toHosts') + ')', 'muted'));
    li.appendChild(el('span', ' ' + timeOf(c.at), 'muted'));
    li.appendChild(el('p', c.text));
    return li;
  }

  function renderChat() {
    var ol = byId('chat');
    ol.textContent = '';
    state.chat.forEach(function (c) { ol.appendChild(chatLine(c)); });
  }

  function renderPoll() {
    var sec = byId('poll');
    var p = state.poll;
    sec.textContent = '';
    sec.appendChild(el('h2', T('poll')));
    if (p) {
      sec.hidden = false;
      sec.appendChild(el('p', p.question + (p.open ? '' : ' ✔')));
      var ul = el('ul');
      ul.id = 'poll-choices';
      p.choices.forEach(function (c, i) {
        var li = el('li');
        if (p.open) {
          var b = el('button', c, state.my_vote === i ? '' : 'secondary');
          b.type = 'button';
          b.addEventListener('click', function () { state.my_vote = i; send({type: 'vote', poll: p.id, choice: i}); });
          li.appendChild(b);
        } else {
          li.appendChild(el('span', c));
        }
        li.appendChild(el('span', ' ' + p.counts[i], 'count'));
        ul.appendChild(li);
      });
      sec.appendChild(ul);
      if (host && p.open) {
        var close = el('button', T('pollClose'), 'secondary');
        close.type = 'button';
        close.addEventListener('click', function () { send({type: 'poll_close'}); });
        sec.appendChild(close);
      }
    } else {
      sec.hidden = !host;
    }
    if (host) {
      var f = el('form', null, 'stack');
      f.id = 'poll-form';
      var q = el('input');
      q.name = 'question';
      q.placeholder = T('pollQuestion');
      q.maxLength = 300;
      var c = el('input');
      c.name = 'choices';
      c.placeholder = T('pollChoices');
      var b = el('button', T('pollOpen'));
      b.type = 'submit';
      f.appendChild(q);
      f.appendChild(c);
      f.appendChild(b);
      f.addEventListener('submit', function (e) {
        e.preventDefault();
        var choices = c.value.split(';').map(function (s) { return s.trim(); }).filter(Boolean);
        send({type: 'poll_open', question: q.value, choices: choices});
      });
      sec.appendChild(f);
    }
  }

  function renderNote() {
    var sec = byId('note-section');
    var note = byId('note');
    if (host) {
      sec.hidden = false;
      if (note.tagName !== 'TEXTAREA') {
        var ta = el('textarea');
        ta.id = 'note';
        ta.rows = 4;
        ta.maxLength = 20000;
        note.replaceWith(ta);
        note = ta;
        var timer = null;
        ta.addEventListener('input', function () {
          clearTimeout(timer);
          timer = setTimeout(function () { send({type: 'note', text: ta.value}); }, 400);
        });
      }
      if (document.activeElement !== note) note.value = state.note;
    } else {
      sec.hidden = !state.note;
      note.textContent = state.note;
    }
  }

  function renderLobby() {
    var ul = byId('lobby');
    if (!ul || !state.lobby) return;
    ul.textContent = '';
    state.lobby.forEach(function (g) {
      var li = el('li', g.name + ' ');
      ['admit', 'refuse'].forEach(function (a) {
        var b = el('button', a === 'admit' ? T('admit') : T('refuse'), a === 'admit' ? '' : 'secondary');
        b.type = 'button';
        b.dataset.action = a;
        b.addEventListener('click', function () { send({type: a, guest: g.id}); });
        li.appendChild(b);
      });
      ul.appendChild(li);
    });
  }

  function renderAll() {
    renderPeople();
    renderChat();
    renderPoll();
    renderNote();
    renderLobby();
  }

  /* ---- the controls the script adds ---- */

  function addControls() {
    if (byId('live-controls')) return;
    var bar = el('div', null, 'inline');
    bar.id = 'live-controls';
    var hand = el('button', '✋ ' + T('hand'), 'secondary');
    hand.type = 'button';
    hand.id = 'hand';
    hand.addEventListener('click', function () {
      var mine = state && state.participants.filter(function (p) { return p.id === me; })[0];
      send({type: 'hand', up: !(mine && mine.hand)});
    });
    bar.appendChild(hand);
    ['👍', '👏', '❓'].forEach(function (e) {
      var b = el('button', e, 'link');
      b.type = 'button';
      b.addEventListener('click', function () { send({type: 'reaction', emoji: e}); });
      bar.appendChild(b);
    });
    var people = byId('people');
    people.parentNode.insertBefore(bar, people.nextSibling);
    var form = byId('chat-form');
    form.addEventListener('submit', function (e) {
      if (!ws || ws.readyState !== 1) return; // the form posts as without the script
      e.preventDefault();
      var text = byId('chat-text');
      var to = byId('chat-to');
      if (!text.value.trim()) return;
      send({type: 'chat', text: text.value, to: to ? to.value : 'all'});
      text.value = '';
    });
  }

  /* ---- events ---- */

  function person(id) {
    for (var i = 0; i < state.participants.length; i++) if (state.participants[i].id === id) return state.participants[i];
    return null;
  }

  var handlers = {
    joined: function (m) {
      var p = person(m.person.id);
      if (!p) state.participants.push({id: m.person.id, name: m.person.name, role: m.person.role,
                                       hand: m.hand, publish: m.publish});
      renderPeople();
    },
    left: function (m) {
      state.participants = state.participants.filter(function (p) { return p.id !== m.person.id; });
      renderPeople();
    },
    chat: function (m) {
      state.chat.push(m);
      var empty = byId('chat-empty');
      if (empty) empty.remove();
      byId('chat').appendChild(chatLine(m));
    },
    hand: function (m) { var p = person(m.person); if (p) p.hand = m.up; renderPeople(); },
    reaction: function (m) {
      var li = document.querySelector('#people li[data-id="' + m.person + '"]');
      if (!li) return;
      var r = el('span', ' ' + m.emoji, 'reaction');
      li.appendChild(r);
      setTimeout(function () { r.remove(); }, 4000);
    },
    poll: function (m) {
      if (!state.poll || state.poll.id !== m.poll.id) state.my_vote = undefined;
      state.poll = m.poll;
      renderPoll();
    },
    note: function (m) { state.note = m.text; renderNote(); },
    locked: function (m) { state.locked = m.locked; },
    lobby: function (m) { state.lobby = m.lobby; renderLobby(); },
    publish: function (m) {
      var p = person(m.person);
      if (p) p.publish = m.allowed;
      renderPeople();
      if (m.person === me && window.CartableMedia && media) {
        media.publish = m.allowed;
        window.CartableMedia.setPublish(m.allowed);
      }
    },
    mute_all: function () { if (window.CartableMedia && media && !host) window.CartableMedia.setPublish(false); },
    removed: function (m) {
      state.participants = state.participants.filter(function (p) { return p.id !== m.person; });
      renderPeople();
    },
    skip: function () {},
    open: function () {},
    closed: function () {}
  };

  var media = null;
  function startMedia(m) {
    var sec = byId('media');
    if (!window.CartableMedia || !sec) return;
    sec.hidden = false;
    media = m;
    var mode = byId('media-mode');
    if (!mode.dataset.bound) {
      mode.dataset.bound = '1';
      // a poor connection: light video, or audio only
      mode.value = (navigator.connection && /2g/.test(navigator.connection.effectiveType || '')) ? 'audio' : 'video';
      mode.onchange = function () { window.CartableMedia.setMode(mode.value); };
    }
    var start = function () {
      return window.CartableMedia.start({server: m.server, room: m.room, pin: m.pin, token: m.token, id: m.id,
                                         display: m.display, publish: m.publish, mode: mode.value,
                                         container: byId('media-videos'),
                                         onState: function (s) {
                                           sec.dataset.state = s;
                                           // put out of the media room (no longer allowed to speak): back in to listen
                                           if (s === 'kicked' && !stopped) {
                                             m.publish = false;
                                             setTimeout(function () { window.CartableMedia.stop().then(start); }, 300);
                                           }
                                         }});
    };
    var running = window.CartableMedia.stop ? Promise.resolve(window.CartableMedia.stop()) : Promise.resolve();
    running.then(start, start);
  }

  function onMessage(ev) {
    var m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    if (m.type === 'welcome') {
      state = m.room;
      state.my_vote = m.room.my_vote;
      seq = m.seq;
      retry = 500;
      status('');
      root.dataset.live = '1';
      addControls();
      renderAll();
      return;
    }
    if (m.type === 'lobby_wait') { status(T('lobbyWait')); return; }
    if (m.type === 'media') { startMedia(m); return; }
    if (m.type === 'media_unavailable') { status(T('mediaUnavailable')); return; }
    if (m.type === 'error') { status('⚠ ' + m.code); return; }
    if (m.type === 'pong' || !state || typeof m.seq !== 'number') return;
    if (m.seq <= seq) return;
    seq = m.seq;
    var h = handlers[m.type];
    if (h) h(m);
  }

  function connect() {
    var proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
    ws = new WebSocket(proto + location.host + '/live/' + roomId + '/socket');
    ws.onmessage = onMessage;
    ws.onclose = function (ev) {
      root.dataset.live = '';
      if (stopped) return;
      if (ev.code === 4403 || ev.code === 4401 || ev.code === 1008) {
        stopped = true;
        status(T('ended') + ' (' + (ev.reason || ev.code) + ')');
        if (window.CartableMedia && media) window.CartableMedia.stop();
        return;
      }
      status(T('reconnecting'));
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }
  connect();
  setInterval(function () { send({type: 'ping'}); }, 25000);
})();
