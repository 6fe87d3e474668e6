// wall.js adds live updates to the wall page over Server-Sent Events. The page
// is complete without it: this only inserts, replaces and removes cards as
// moderators decide, keeps the connection alive on flaky venue networks and
// shows times as "5 minutes ago" in the page's language (its catalog comes from
// the server in data-catalog). Card HTML comes from the server, rendered by
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
  var countEl = document.getElementById('cta-count');
  var emptyEl = document.getElementById('wall-empty');

  var source = null;
  var lastSeen = Date.now(); // anything from the stream, even a ping
  var lastGood = Date.now(); // an event or a ping was handled
  var backoff = MIN_BACKOFF_MS;
  var retryTimer = 0;
  var errors = [];
  var reloading = false;

  // The page's language: its messages, plural forms and number format come
  // from the server (data-catalog), so every screen shows the same words
  // the page was rendered with.
  var catalog = { lang: 'en', pluralLang: 'en', group: ',', minGrouping: 1, messages: {}, plurals: {} };
  try {
    var parsed = JSON.parse(wall.getAttribute('data-catalog') || '{}');
    for (var k in parsed) {
      if (Object.prototype.hasOwnProperty.call(parsed, k)) {
        catalog[k] = parsed[k];
      }
    }
  } catch (err) { /* a page without a catalog keeps the server's words */ }
  var pluralRules = null;
  if (window.Intl && Intl.PluralRules) {
    pluralRules = new Intl.PluralRules(catalog.pluralLang);
  }

  function fill(s, args) {
    for (var name in args) {
      if (Object.prototype.hasOwnProperty.call(args, name)) {
        s = s.split('{' + name + '}').join(args[name]);
      }
    }
    return s;
  }

  // msg returns a message of the catalog, or fallback when it has none.
  function msg(key, fallback, args) {
    var s = catalog.messages[key];
    return fill(typeof s === 'string' ? s : fallback, args || {});
  }

  // formatNumber writes n as the server does (formatNumber in i18n.go).
  function formatNumber(n) {
    var s = String(Math.abs(Math.round(n)));
    if (s.length > 3 && s.length >= 3 + catalog.minGrouping) {
      var first = s.length % 3 || 3;
      var out = s.slice(0, first);
      for (var i = first; i < s.length; i += 3) {
        out += catalog.group + s.slice(i, i + 3);
      }
      s = out;
    }
    return (n < 0 ? '-' : '') + s;
  }

  // pluralForm returns the form of the plural message key that fits n,
  // unfilled. The browser knows CLDR's plural rules (the server's table is
  // written from the same data); one that does not gets "other".
  function pluralForm(key, n) {
    var forms = catalog.plurals[key] || {};
    var cat = pluralRules ? pluralRules.select(n) : 'other';
    return forms[cat] || forms.other || forms.many || '';
  }

  function plural(key, n) {
    return pluralForm(key, n).split('{n}').join(formatNumber(n));
  }

  // localize puts a card rendered for every screen (in English, by the hub)
  // into this page's language: elements name their message in data-i18n,
  // its arguments in data-i18n-*.
  function localize(root) {
    var els = root.querySelectorAll('[data-i18n]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      el.textContent = msg(el.getAttribute('data-i18n'), el.textContent, {
        network: el.getAttribute('data-i18n-network') || ''
      });
    }
    var imgs = root.querySelectorAll('[data-i18n-alt]');
    for (var j = 0; j < imgs.length; j++) {
      // A video is described by its aria-label, a photo by its alt.
      var attr = imgs[j].tagName === 'VIDEO' ? 'aria-label' : 'alt';
      imgs[j].setAttribute(attr, msg(imgs[j].getAttribute('data-i18n-alt'), imgs[j].getAttribute(attr) || '', {
        author: imgs[j].getAttribute('data-i18n-author') || ''
      }));
    }
  }

  // playVideos starts the stored videos (direct submissions) of root, muted
  // and looping, unless the screen asks for reduced motion: then, as without
  // script, each shows its poster. A video that cannot play keeps its poster.
  var stillScreen = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  function playVideos(root) {
    if (stillScreen) {
      return;
    }
    var videos = root.querySelectorAll('video.card__video');
    for (var i = 0; i < videos.length; i++) {
      var v = videos[i];
      v.muted = true;
      v.preload = 'auto';
      v.addEventListener('playing', markPlaying);
      var p = v.play();
      if (p && p.catch) {
        p.catch(function () {});
      }
    }
  }

  function markPlaying(e) {
    e.target.classList.add('card__video--playing');
  }

  // showCount writes the petition's signature count into the panel.
  function showCount(data) {
    if (!countEl || typeof data.signatures !== 'number') {
      return;
    }
    var parts = pluralForm('cta.signatures', data.signatures).split('{n}');
    var number = document.createElement('strong');
    number.className = 'cta__number';
    number.setAttribute('data-testid', 'cta-number');
    number.textContent = formatNumber(data.signatures);
    countEl.textContent = '';
    countEl.appendChild(document.createTextNode(parts[0] || ''));
    countEl.appendChild(number);
    countEl.appendChild(document.createTextNode(parts.slice(1).join('')));
    countEl.setAttribute('data-count', String(data.signatures));
    countEl.hidden = false;
  }

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
    localize(card);
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
    playVideos(card);
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

  // Relative times in the catalog's words: minutes, hours, then days.
  var UNITS = [['time.days', 86400], ['time.hours', 3600], ['time.minutes', 60]];

  function showRelativeTimes(root) {
    if (!catalog.plurals['time.minutes']) {
      return; // no catalog: the server's date stays
    }
    var times = root.querySelectorAll('time[datetime]');
    var now = Date.now();
    for (var i = 0; i < times.length; i++) {
      var t = new Date(times[i].getAttribute('datetime'));
      if (isNaN(t.getTime())) {
        continue;
      }
      // A post "from the future" (a clock a little ahead) is just now.
      var secs = Math.max(0, Math.round((now - t.getTime()) / 1000));
      var text = msg('time.now', 'just now');
      for (var u = 0; u < UNITS.length; u++) {
        if (secs >= UNITS[u][1]) {
          text = plural(UNITS[u][0], Math.floor(secs / UNITS[u][1]));
          break;
        }
      }
      if (!times[i].title) {
        times[i].title = t.toLocaleString(catalog.lang);
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
    setStatus('reconnecting', msg('status.updating', 'Updating…'));
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
      setStatus('live', msg('status.live', 'Live'));
    };
    source.onerror = function () {
      setStatus('reconnecting', msg('status.reconnecting', 'Reconnecting…'));
      // The browser retries dropped connections by itself; a refused one
      // (the server restarting, a proxy error) closes the source for good.
      if (source.readyState === EventSource.CLOSED) {
        scheduleReconnect();
      }
    };
    source.addEventListener('post', onEvent(upsert));
    source.addEventListener('remove', onEvent(remove));
    source.addEventListener('counter', onEvent(showCount));
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
      setStatus('reconnecting', msg('status.reconnecting', 'Reconnecting…'));
      scheduleReconnect();
    }
  }, CHECK_MS);

  window.setInterval(function () { showRelativeTimes(wall); }, 30000);

  // A page left for another closes its stream, also when the browser keeps
  // it in the back/forward cache: browsers allow six connections to a
  // server, and the streams of pages nobody sees would starve the page on
  // screen of its photos. A page shown again from that cache reconnects
  // where it left off.
  window.addEventListener('pagehide', function () {
    window.clearTimeout(retryTimer);
    retryTimer = 0;
    if (source) {
      source.close();
      source = null;
    }
  });
  window.addEventListener('pageshow', function (e) {
    if (e.persisted && !reloading) {
      lastGood = Date.now();
      connect();
    }
  });

  showRelativeTimes(wall);
  trim();
  playVideos(wall);
  connect();
}());
