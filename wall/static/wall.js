// wall.js adds live updates to the wall page over Server-Sent Events. The page
// is complete without it: this only inserts, replaces and removes cards as
// moderators decide, keeps the connection alive on flaky venue networks and
// shows times as "5 minutes ago". Card HTML comes from the server, rendered by
// the same component as the page, with post text sanitized on collection.
(function () {
  'use strict';

  var wall = document.getElementById('wall');
  if (!wall || !('EventSource' in window)) {
    return;
  }

  var STALE_MS = 45000; // the server pings every 15s; three missed means dead
  var MIN_BACKOFF_MS = 1000;
  var MAX_BACKOFF_MS = 60000;

  var eventsURL = wall.getAttribute('data-events-url') || '/wall/events';
  var lastId = wall.getAttribute('data-last-event-id') || '';
  var maxCards = parseInt(wall.getAttribute('data-max-cards'), 10) || 100;
  var statusEl = document.getElementById('wall-status');
  var emptyEl = document.getElementById('wall-empty');

  var source = null;
  var lastSeen = Date.now();
  var backoff = MIN_BACKOFF_MS;
  var retryTimer = 0;

  function setStatus(state, text) {
    if (!statusEl) {
      return;
    }
    statusEl.hidden = false;
    statusEl.setAttribute('data-state', state);
    statusEl.textContent = text;
  }

  function cards() {
    return wall.querySelectorAll('[data-post-id]');
  }

  function findCard(id) {
    var all = cards();
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute('data-post-id') === String(id)) {
        return all[i];
      }
    }
    return null;
  }

  // Cards are ordered pinned first, then newest published, then highest id,
  // as the server renders them.
  function rank(el) {
    return [
      el.hasAttribute('data-pinned') ? 1 : 0,
      Number(el.getAttribute('data-published')) || 0,
      Number(el.getAttribute('data-post-id')) || 0
    ];
  }

  function goesBefore(a, b) {
    var x = rank(a);
    var y = rank(b);
    for (var i = 0; i < x.length; i++) {
      if (x[i] !== y[i]) {
        return x[i] > y[i];
      }
    }
    return false;
  }

  function updateEmpty() {
    if (emptyEl) {
      emptyEl.hidden = cards().length > 0;
    }
  }

  // trim keeps a screen that runs for days from growing without end: the
  // oldest unpinned cards go first.
  function trim() {
    var all = cards();
    var excess = all.length - maxCards;
    for (var i = all.length - 1; i >= 0 && excess > 0; i--) {
      if (!all[i].hasAttribute('data-pinned')) {
        all[i].remove();
        excess--;
      }
    }
  }

  function upsert(data) {
    var tpl = document.createElement('template');
    tpl.innerHTML = data.html;
    var card = tpl.content.querySelector('[data-post-id]');
    if (!card) {
      return;
    }
    var old = findCard(data.id);
    if (old) {
      // Removed and inserted again: pinning may move it.
      old.remove();
    } else {
      card.classList.add('card--new');
    }
    var all = cards();
    var next = null;
    for (var i = 0; i < all.length; i++) {
      if (goesBefore(card, all[i])) {
        next = all[i];
        break;
      }
    }
    wall.insertBefore(card, next);
    showRelativeTimes(card);
    trim();
    updateEmpty();
  }

  function remove(data) {
    var card = findCard(data.id);
    if (card) {
      card.remove();
    }
    updateEmpty();
  }

  var relative = null;
  if (window.Intl && Intl.RelativeTimeFormat) {
    relative = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: 'auto' });
  }
  var UNITS = [['year', 31536000], ['month', 2592000], ['week', 604800], ['day', 86400], ['hour', 3600], ['minute', 60]];

  function showRelativeTimes(root) {
    if (!relative) {
      return;
    }
    var times = root.querySelectorAll('time[datetime]');
    var now = Date.now();
    for (var i = 0; i < times.length; i++) {
      var t = new Date(times[i].getAttribute('datetime'));
      if (isNaN(t.getTime())) {
        continue;
      }
      var secs = Math.round((t.getTime() - now) / 1000);
      var text = relative.format(0, 'minute');
      for (var u = 0; u < UNITS.length; u++) {
        if (Math.abs(secs) >= UNITS[u][1]) {
          text = relative.format(Math.round(secs / UNITS[u][1]), UNITS[u][0]);
          break;
        }
      }
      if (!times[i].title) {
        times[i].title = t.toLocaleString();
      }
      times[i].textContent = text;
    }
  }

  function onEvent(handle) {
    return function (e) {
      lastSeen = Date.now();
      if (e.lastEventId) {
        lastId = e.lastEventId;
      }
      var data;
      try {
        data = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      handle(data);
    };
  }

  function reload() {
    if (source) {
      source.close();
    }
    // Spread the reloads of many screens over a few seconds.
    window.setTimeout(function () { window.location.reload(); }, Math.random() * 5000);
  }

  function connect() {
    retryTimer = 0;
    if (source) {
      source.close();
    }
    var sep = eventsURL.indexOf('?') < 0 ? '?' : '&';
    source = new EventSource(eventsURL + sep + 'lastEventId=' + encodeURIComponent(lastId));
    lastSeen = Date.now();
    source.onopen = function () {
      lastSeen = Date.now();
      backoff = MIN_BACKOFF_MS;
      setStatus('live', 'Live');
    };
    source.onerror = function () {
      setStatus('reconnecting', 'Reconnecting…');
      // The browser retries dropped connections by itself; a refused one
      // (the server restarting, a proxy error) closes the source for good.
      if (source.readyState === EventSource.CLOSED) {
        scheduleReconnect();
      }
    };
    source.addEventListener('post', onEvent(upsert));
    source.addEventListener('remove', onEvent(remove));
    source.addEventListener('reload', onEvent(reload));
    source.addEventListener('ping', onEvent(function () {}));
  }

  function scheduleReconnect() {
    if (retryTimer) {
      return;
    }
    if (source) {
      source.close();
    }
    var wait = backoff / 2 + Math.random() * backoff / 2;
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    retryTimer = window.setTimeout(connect, wait);
  }

  // A connection can die without an error (a venue proxy keeping it open but
  // passing nothing). Heartbeats every 15s make silence mean a dead stream.
  window.setInterval(function () {
    if (!retryTimer && Date.now() - lastSeen > STALE_MS) {
      setStatus('reconnecting', 'Reconnecting…');
      scheduleReconnect();
    }
  }, 5000);

  window.setInterval(function () { showRelativeTimes(wall); }, 30000);

  showRelativeTimes(wall);
  trim();
  connect();
}());
