// wall.js adds live updates to the wall page over Server-Sent Events. The page
// is complete without it: this only inserts, replaces and removes cards as
// moderators decide, keeps the connection alive on flaky venue networks and
// shows times as "5 minutes ago". Card HTML comes from the server, rendered by
// the same component as the page, with post text sanitized on collection.
//
// A screen runs for days with nobody watching it, so the script looks after
// itself: it resumes its stream where it left off (across server restarts
// too: event IDs are durable), treats a silent stream as dead and reconnects,
// reloads the page when the server says it missed too much, when nothing good
// has happened for a long time, or when the script keeps failing; and it only
// reloads once the server answers, so a screen never ends up on the browser's
// error page.
(function () {
  'use strict';

  var wall = document.getElementById('wall');
  if (!wall || !('EventSource' in window)) {
    return;
  }

  // The server tells the page how often it pings; three missed pings mean a
  // dead stream, twenty (five minutes by default) a page to reload.
  var HEARTBEAT_MS = parseInt(wall.getAttribute('data-heartbeat-ms'), 10) || 15000;
  var STALE_MS = 3 * HEARTBEAT_MS;
  var WATCHDOG_MS = 20 * HEARTBEAT_MS;
  var CHECK_MS = Math.min(5000, HEARTBEAT_MS);
  var MIN_BACKOFF_MS = 1000;
  var MAX_BACKOFF_MS = 30000;
  var MAX_ERRORS = 5; // script errors within ERROR_WINDOW_MS that reload the page
  var ERROR_WINDOW_MS = 10 * 60000;
  var RELOAD_SPREAD_MS = 5000;
  // A page that reloaded itself a moment ago and is in trouble again waits
  // this long before the next reload, so a broken page cannot hammer the
  // server from every screen.
  var RELOAD_PAUSE_MS = 5 * 60000;

  var eventsURL = wall.getAttribute('data-events-url') || '/wall/events';
  var lastId = wall.getAttribute('data-last-event-id') || '';
  var maxCards = parseInt(wall.getAttribute('data-max-cards'), 10) || 100;
  var accept = wall.getAttribute('data-accept') || '';
  var statusEl = document.getElementById('wall-status');
  var emptyEl = document.getElementById('wall-empty');

  var source = null;
  var lastSeen = Date.now(); // anything from the stream, even a ping
  var lastGood = Date.now(); // an event or a ping was handled
  var backoff = MIN_BACKOFF_MS;
  var retryTimer = 0;
  var errors = [];
  var reloading = false;

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
    // A mode that shows only some posts (photos) says which; the others
    // would only take the place of shown cards when the screen trims.
    if (accept && !card.matches(accept)) {
      remove(data);
      return;
    }
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
      try {
        handle(JSON.parse(e.data));
        lastGood = Date.now();
      } catch (err) {
        noteError(err);
      }
    };
  }

  // reloadedAt is when this tab last reloaded itself, 0 if unknown.
  function reloadedAt() {
    try {
      return Number(window.sessionStorage.getItem('wall-reloaded-at')) || 0;
    } catch (err) {
      return 0;
    }
  }

  // reload reloads the page once the server answers with it. A screen that
  // reloaded into a refused connection would stay on the browser's error
  // page for the rest of the day. trouble marks reloads the page decided on
  // itself (errors, the watchdog): those wait if the last was recent.
  function reload(delay, trouble) {
    if (reloading) {
      return;
    }
    reloading = true;
    if (source) {
      source.close();
    }
    window.clearTimeout(retryTimer);
    setStatus('reconnecting', 'Reconnecting…');
    var pause = 0;
    if (trouble && Date.now() - reloadedAt() < RELOAD_PAUSE_MS) {
      pause = RELOAD_PAUSE_MS;
    }
    var wait = MIN_BACKOFF_MS;
    function attempt() {
      var retry = function () {
        wait = Math.min(wait * 2, MAX_BACKOFF_MS);
        window.setTimeout(attempt, wait / 2 + Math.random() * wait / 2);
      };
      if (!window.fetch) {
        window.location.reload();
        return;
      }
      window.fetch(window.location.href, { method: 'HEAD', cache: 'no-store', credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) {
          retry();
          return;
        }
        try {
          window.sessionStorage.setItem('wall-reloaded-at', String(Date.now()));
        } catch (err) { /* storage disabled: no pause next time */ }
        window.location.reload();
      }, retry);
    }
    window.setTimeout(attempt, pause + delay);
  }

  // noteError counts script errors; a page that keeps failing reloads.
  function noteError() {
    var now = Date.now();
    errors.push(now);
    while (errors.length && now - errors[0] > ERROR_WINDOW_MS) {
      errors.shift();
    }
    if (errors.length >= MAX_ERRORS) {
      reload(Math.random() * RELOAD_SPREAD_MS, true);
    }
  }
  window.addEventListener('error', noteError);
  window.addEventListener('unhandledrejection', noteError);

  function connect() {
    retryTimer = 0;
    if (reloading) {
      return;
    }
    if (source) {
      source.close();
    }
    var sep = eventsURL.indexOf('?') < 0 ? '?' : '&';
    // The browser sends Last-Event-ID by itself when it reconnects on its
    // own; a new EventSource (after a refused connection) needs the query.
    source = new EventSource(eventsURL + sep + 'lastEventId=' + encodeURIComponent(lastId));
    lastSeen = Date.now();
    source.onopen = function () {
      // Not lastGood: a proxy may open streams and then pass nothing.
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
    // Spread the reloads of many screens over a few seconds.
    source.addEventListener('reload', onEvent(function () { reload(Math.random() * RELOAD_SPREAD_MS, false); }));
    source.addEventListener('ping', onEvent(function () {}));
  }

  function scheduleReconnect() {
    if (retryTimer || reloading) {
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
  // passing nothing); pings make silence mean a dead stream. A page where
  // nothing good has happened for much longer is stuck in a way a reconnect
  // does not fix, and starts over.
  window.setInterval(function () {
    var now = Date.now();
    if (now - lastGood > WATCHDOG_MS) {
      reload(0, true);
    } else if (!retryTimer && now - lastSeen > STALE_MS) {
      setStatus('reconnecting', 'Reconnecting…');
      scheduleReconnect();
    }
  }, CHECK_MS);

  window.setInterval(function () { showRelativeTimes(wall); }, 30000);

  showRelativeTimes(wall);
  trim();
  connect();
}());
