// queue.js puts the moderation queue under the keyboard. The page works
// without it (every button is a plain form); this adds:
//
//   - a cursor (j/k) and keys for the decisions (a, r, p, h), alt text (e),
//     undo (u), selection (x) and help (?), ignored while typing;
//   - decisions through fetch in the JSON mode, the card updated in place
//     with the HTML the server sends, errors and conflicts in a live region,
//     and an undo toast for a few seconds after each action;
//   - a lease on the post under the cursor, renewed while it stays there, so
//     other moderators' queues hide it;
//   - the moderators' event stream: new posts appear, posts others decided
//     or took go (and come back when their lease runs out), the status tabs'
//     counts follow, and the post under the cursor stays where it is on
//     screen. The stream starts after the event the page was rendered at and
//     replays what a dropped connection missed; when that is gone, the page
//     reloads from its address, with the cursor's post in the fragment.
//
// Card HTML always comes from the server (templ, post text sanitized on
// collection); this script never builds markup from post data.
(function () {
  'use strict';

  var main = document.querySelector('main.queue');
  if (!main || !window.fetch) {
    return;
  }
  var me = main.getAttribute('data-moderator') || '';
  var tab = main.getAttribute('data-status') || 'pending';
  var before = main.getAttribute('data-before') || '0';
  var firstPage = before === '0';
  var hasMore = main.getAttribute('data-more') === 'true';
  var UNDO_MS = parseInt(main.getAttribute('data-undo-ms'), 10) || 10000;
  var LEASE_MS = parseInt(main.getAttribute('data-lease-ms'), 10) || 60000;
  var liveEl = document.getElementById('queue-live');
  var toastEl = document.getElementById('queue-toast');
  var toastText = toastEl && toastEl.querySelector('[data-testid=toast-text]');
  var helpEl = document.getElementById('queue-help');
  var pagingEl = main.querySelector('nav.paging');
  var bulkBar = main.querySelector('[data-testid=bulk-bar]');
  var newEl = main.querySelector('[data-testid=live-new]');
  // The page this is (status, filters, cursor): decisions send it as their
  // "back" field, so the cards the server answers with keep the filters.
  var back = main.getAttribute('data-back') || '/moderate';
  var filters = {};
  ['network', 'source', 'category', 'language', 'photo', 'from', 'to', 'search'].forEach(function (k) {
    filters[k] = main.getAttribute('data-filter-' + k) || '';
  });
  var filtered = main.getAttribute('data-filtered') === 'true';
  var since = main.getAttribute('data-events-since') || '';
  var arrived = {}; // ids of posts counted in newEl
  var arrivedCount = 0;

  var cursor = null;
  var leased = null; // id of the post this page holds a lease on
  var last = null; // {id, action} of the last action, for undo
  var toastTimer = 0;

  var PAST = {
    approve: 'Approved', reject: 'Rejected', retract: 'Retracted', pin: 'Pinned', unpin: 'Unpinned',
    highlight: 'Highlighted', unhighlight: 'Highlight taken back', alt_text: 'Alt text saved'
  };

  function cards() {
    return Array.prototype.slice.call(main.querySelectorAll('article[data-testid=queue-post]'));
  }

  function findCard(id) {
    return main.querySelector('article[data-testid=queue-post][data-post-id="' + String(id) + '"]');
  }

  function say(text) {
    if (!liveEl) {
      return;
    }
    // A new text node, so screen readers announce a repeated message too.
    liveEl.textContent = '';
    liveEl.appendChild(document.createTextNode(text));
  }

  // keepPlace runs fn, which adds or removes cards, and scrolls so the card
  // under the cursor (or the first one on screen) stays where it was.
  function keepPlace(fn) {
    var ref = cursor && cursor.isConnected ? cursor : null;
    if (!ref) {
      var all = cards();
      for (var i = 0; i < all.length; i++) {
        if (all[i].getBoundingClientRect().bottom > 0) {
          ref = all[i];
          break;
        }
      }
    }
    var top = ref ? ref.getBoundingClientRect().top : 0;
    fn();
    if (ref && ref.isConnected) {
      var diff = ref.getBoundingClientRect().top - top;
      if (diff) {
        window.scrollBy(0, diff);
      }
    }
  }

  function post(url, params) {
    var body = new URLSearchParams(params || {});
    return fetch(url, {
      method: 'POST',
      headers: { 'Accept': 'application/json' },
      body: body,
      credentials: 'same-origin'
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = {};
        try {
          data = text ? JSON.parse(text) : {};
        } catch (e) {
          data = { message: res.status === 401 ? 'Your session ended: log in again.' : 'The server refused that (' + res.status + ').' };
        }
        return { ok: res.ok, status: res.status, data: data };
      });
    }, function () {
      return { ok: false, status: 0, data: { message: 'No connection to the server: nothing was changed.' } };
    });
  }

  // ---- cursor and leases

  function setCursor(el, scroll) {
    if (cursor && cursor !== el) {
      cursor.classList.remove('cursor');
      cursor.removeAttribute('aria-current');
    }
    cursor = el || null;
    if (cursor) {
      cursor.classList.add('cursor');
      cursor.setAttribute('aria-current', 'true');
      if (scroll) {
        cursor.scrollIntoView({ block: 'nearest' });
      }
    }
    lease();
  }

  // lease takes the lease on the post under the cursor if it is pending,
  // and releases the one the page held before.
  function lease(renew) {
    var id = cursor && cursor.getAttribute('data-status') === 'pending' ? cursor.getAttribute('data-post-id') : null;
    if (tab !== 'pending') {
      return;
    }
    if (!id) {
      if (leased) {
        var was = findCard(leased);
        if (was) {
          was.removeAttribute('data-leased');
        }
        post('/moderate/posts/' + leased + '/release');
        leased = null;
      }
      return;
    }
    if (id === leased && !renew) {
      return;
    }
    var params = {};
    if (leased && leased !== id) {
      params.release = leased;
      var was = findCard(leased);
      if (was) {
        was.removeAttribute('data-leased');
      }
    }
    if (renew) {
      params.renew = '1';
    }
    leased = id;
    var el = cursor;
    post('/moderate/posts/' + id + '/lease', params).then(function (res) {
      if (res.ok) {
        if (el.isConnected) {
          el.setAttribute('data-leased', 'mine');
        }
        return;
      }
      if (res.status === 409 && leased === id) {
        // Someone else is on it: it is theirs, the cursor moves on.
        leased = null;
        say(res.data.message || 'Another moderator is looking at that post.');
        removeCard(el);
      }
    });
  }

  setInterval(function () {
    if (leased) {
      lease(true);
    }
  }, Math.max(5000, LEASE_MS / 3));

  window.addEventListener('pagehide', function () {
    if (leased && navigator.sendBeacon) {
      navigator.sendBeacon('/moderate/posts/' + leased + '/release', new URLSearchParams());
    }
  });

  function move(step) {
    var all = cards();
    if (!all.length) {
      return;
    }
    var i = all.indexOf(cursor);
    var next = i < 0 ? 0 : Math.min(all.length - 1, Math.max(0, i + step));
    setCursor(all[next], true);
  }

  // removeCard takes a card off the page; a cursor on it moves to the next.
  function removeCard(el) {
    if (!el || !el.isConnected) {
      return;
    }
    keepPlace(function () {
      if (el === cursor) {
        var all = cards();
        var i = all.indexOf(el);
        var next = all[i + 1] || all[i - 1] || null;
        el.classList.remove('cursor');
        cursor = null;
        el.remove();
        setCursor(next, false);
      } else {
        el.remove();
      }
    });
  }

  function fromHTML(html) {
    var t = document.createElement('template');
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }

  // replaceCard puts the server's new card in place of el, keeping the
  // cursor and the selection on it.
  function replaceCard(el, html) {
    var fresh = html ? fromHTML(html) : null;
    if (!fresh || !el.isConnected) {
      return el;
    }
    var box = el.querySelector('input[name=ids]');
    var freshBox = fresh.querySelector('input[name=ids]');
    if (box && freshBox) {
      freshBox.checked = box.checked;
    }
    if (el.getAttribute('data-leased')) {
      fresh.setAttribute('data-leased', el.getAttribute('data-leased'));
    }
    if (el === cursor) {
      fresh.classList.add('cursor');
      fresh.setAttribute('aria-current', 'true');
      cursor = fresh;
    }
    el.replaceWith(fresh);
    return fresh;
  }

  // ---- actions

  function act(el, action, extra, done) {
    if (!el) {
      say('No post under the cursor: press j.');
      return;
    }
    var id = el.getAttribute('data-post-id');
    var params = extra || {};
    params.status = tab;
    params.back = back;
    if (before !== '0') {
      params.before = before;
    }
    el.setAttribute('data-busy', 'true');
    post('/moderate/posts/' + id + '/' + action, params).then(function (res) {
      el.removeAttribute('data-busy');
      var d = res.data || {};
      var fresh = d.html ? replaceCard(el, d.html) : el;
      if (!res.ok) {
        say(d.message || 'That did not work.');
        if (d.error === 'alt_text_needed') {
          openAlt(fresh);
        }
        return;
      }
      var what = d.action || action;
      if (what === 'alt_text') {
        say(d.message || 'Alt text saved.'); // not undone: the text is edited again instead
      } else {
        last = { id: id, action: what };
        showToast((PAST[what] || 'Done') + '.');
        say(d.message || (PAST[what] || 'Done') + '.');
      }
      if (done) {
        done(fresh, d);
      }
    });
  }

  // nextOpen is the first card after el still waiting in this tab (a card
  // decided in place stays on the page until the next load).
  function nextOpen(el) {
    var all = cards();
    for (var i = all.indexOf(el) + 1; i < all.length; i++) {
      if (all[i].getAttribute('data-status') === tab) {
        return all[i];
      }
    }
    return null;
  }

  function decide(action) {
    act(cursor, action, null, function (fresh) {
      if ((action === 'approve' || action === 'reject' || action === 'retract') && fresh === cursor) {
        var next = nextOpen(fresh);
        if (next) {
          setCursor(next, true);
        } else {
          lease();
        }
      }
    });
  }

  function onKeyDecision(key) {
    if (!cursor) {
      move(1);
      return;
    }
    var status = cursor.getAttribute('data-status');
    var flag = function (name) {
      return cursor.getAttribute('data-' + name) === 'true';
    };
    switch (key) {
      case 'a':
        if (status === 'pending') {
          decide('approve');
        } else {
          say('That post is already ' + status + '.');
        }
        break;
      case 'r':
        if (status === 'pending') {
          decide('reject');
        } else if (status === 'approved') {
          decide('retract');
        } else {
          say('That post is already ' + status + '.');
        }
        break;
      case 'p':
        if (status !== 'approved') {
          say('Only approved posts can be pinned.');
        } else {
          decide(flag('pinned') ? 'unpin' : 'pin');
        }
        break;
      case 'h':
        if (status !== 'approved') {
          say('Only approved posts can be highlighted.');
        } else {
          decide(flag('highlighted') ? 'unhighlight' : 'highlight');
        }
        break;
    }
  }

  function undo() {
    if (!last) {
      say('Nothing to undo.');
      return;
    }
    var target = last;
    var el = findCard(target.id);
    if (el) {
      el.setAttribute('data-busy', 'true');
    }
    var params = { status: tab, back: back };
    if (before !== '0') {
      params.before = before;
    }
    post('/moderate/posts/' + target.id + '/undo', params).then(function (res) {
      var d = res.data || {};
      el = findCard(target.id);
      if (el) {
        el.removeAttribute('data-busy');
      }
      if (!res.ok) {
        if (d.html && el) {
          replaceCard(el, d.html);
        }
        say(d.message || 'Not undone.');
        hideToast();
        if (res.status === 409) {
          last = null;
        }
        return;
      }
      last = null;
      hideToast();
      say(d.message || 'Undone.');
      if (el) {
        setCursor(replaceCard(el, d.html), true);
      }
    });
  }

  function showToast(text) {
    if (!toastEl) {
      return;
    }
    toastText.textContent = text;
    toastEl.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(hideToast, UNDO_MS);
  }

  function hideToast() {
    if (toastEl) {
      toastEl.hidden = true;
    }
    clearTimeout(toastTimer);
  }

  if (toastEl) {
    toastEl.querySelector('[data-testid=undo-button]').addEventListener('click', undo);
  }

  // ---- alt text

  function openAlt(el) {
    var d = el && el.querySelector('details.alt-edit');
    if (!d) {
      say('This post has no photos.');
      return;
    }
    d.open = true;
    var input = d.querySelector('textarea');
    if (input) {
      input.focus();
    }
  }

  // ---- forms: every decision button of a card goes through fetch

  main.addEventListener('submit', function (e) {
    var form = e.target;
    var m = /^\/moderate\/posts\/(\d+)\/([a-z_]+)$/.exec(form.getAttribute('action') || '');
    var el = form.closest('article[data-testid=queue-post]');
    if (!m || !el) {
      return;
    }
    e.preventDefault();
    var params = {};
    new FormData(form).forEach(function (v, k) {
      params[k] = v;
    });
    if (e.submitter && e.submitter.name) {
      params[e.submitter.name] = e.submitter.value;
    }
    setCursor(el, false);
    var action = m[2];
    act(el, action, params, function (fresh) {
      if (action === 'alt_text' || params.without_alt) {
        return;
      }
      var next = nextOpen(fresh);
      if ((action === 'approve' || action === 'reject') && next) {
        setCursor(next, false);
      }
    });
  });

  // ---- keys

  function typing(t) {
    if (!t || !t.tagName) {
      return false;
    }
    if (t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT') {
      return true;
    }
    return t.tagName === 'INPUT' && !/^(checkbox|radio|button|submit|reset)$/i.test(t.type);
  }

  function toggleHelp(show) {
    if (!helpEl) {
      return;
    }
    helpEl.hidden = show === undefined ? !helpEl.hidden : !show;
    if (!helpEl.hidden) {
      helpEl.querySelector('button').focus();
    }
  }

  if (helpEl) {
    helpEl.querySelector('[data-testid=key-help-close]').addEventListener('click', function () {
      toggleHelp(false);
    });
  }

  // A key that moved focus into a text field must not also type there
  // (some synthesized key events send the character on its own).
  var swallow = null;
  document.addEventListener('keypress', function (e) {
    if (swallow && e.key === swallow) {
      e.preventDefault();
    }
    swallow = null;
  }, true);
  document.addEventListener('keyup', function () {
    swallow = null;
  }, true);

  document.addEventListener('keydown', function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) {
      return;
    }
    if (e.key === 'Escape') {
      if (helpEl && !helpEl.hidden) {
        toggleHelp(false);
        e.preventDefault();
        return;
      }
      var details = e.target && e.target.closest && e.target.closest('details.alt-edit');
      if (details) {
        details.open = false;
        e.target.blur();
        e.preventDefault();
      }
      return;
    }
    if (typing(e.target)) {
      return;
    }
    switch (e.key) {
      case 'j':
        move(1);
        break;
      case 'k':
        move(-1);
        break;
      case 'a':
      case 'r':
      case 'p':
      case 'h':
        onKeyDecision(e.key);
        break;
      case 'e':
        if (cursor) {
          swallow = 'e';
          openAlt(cursor);
        }
        break;
      case 'u':
        undo();
        break;
      case 'x':
        // The bulk form's own checkbox (form="bulk"): x ticks what a click would.
        var box = cursor && cursor.querySelector('input[type=checkbox][name=ids][form=bulk]');
        if (box) {
          box.checked = !box.checked;
          box.dispatchEvent(new Event('change', { bubbles: true }));
        }
        break;
      case '?':
        toggleHelp();
        break;
      default:
        return;
    }
    e.preventDefault();
  });

  // ---- live: the moderators' event stream

  function rankBefore(a, pub, id) {
    // Cards are newest published first, then highest ID, as the server renders them.
    var ap = Number(a.getAttribute('data-published')) || 0;
    var aid = Number(a.getAttribute('data-post-id')) || 0;
    return ap > pub || (ap === pub && aid > id);
  }

  function insertCard(d) {
    var all = cards();
    var at = null;
    for (var i = 0; i < all.length; i++) {
      if (!rankBefore(all[i], d.published, d.id)) {
        at = all[i];
        break;
      }
    }
    if (!at && hasMore) {
      return; // it belongs on a later page
    }
    if (at === all[0] && !firstPage) {
      return; // it belongs on a newer page
    }
    var el = fromHTML(d.html);
    if (!el) {
      return;
    }
    keepPlace(function () {
      var empty = main.querySelector('[data-testid=queue-empty]');
      if (empty) {
        empty.remove();
      }
      if (bulkBar) {
        bulkBar.hidden = false; // the card's checkbox belongs to its form
      }
      main.insertBefore(el, at || pagingEl);
    });
    if (!cursor) {
      setCursor(el, false);
    }
  }

  function onPost(d) {
    var el = findCard(d.id);
    if (el) {
      if (el.getAttribute('data-busy')) {
        return; // this page's own request answers with the card
      }
      if (d.status === tab || d.status === el.getAttribute('data-status')) {
        replaceCard(el, d.html);
        return;
      }
      if (d.decided_by !== me && d.message) {
        say(d.message + ': it left the queue.');
      }
      removeCard(el);
      return;
    }
    if (d.status === tab && tab === 'pending') {
      var fits = matches(d);
      if (fits === true) {
        insertCard(d);
      } else if (fits === null) {
        countArrival(d.id);
      }
    }
  }

  // matches tells whether a pending post belongs on this page under its
  // filters: true, false, or null when it cannot tell (a text search,
  // which only the server's index answers).
  function matches(d) {
    var eq = [['network', d.network], ['source', d.source], ['category', d.category], ['language', d.language]];
    for (var i = 0; i < eq.length; i++) {
      if (filters[eq[i][0]] && filters[eq[i][0]] !== eq[i][1]) {
        return false;
      }
    }
    if ((filters.photo === 'with' && !d.photo) || (filters.photo === 'without' && d.photo)) {
      return false;
    }
    if ((filters.from && d.published < Number(filters.from)) || (filters.to && d.published >= Number(filters.to))) {
      return false;
    }
    return filters.search === 'true' ? null : true;
  }

  // countArrival says, above the cards, how many posts arrived that may
  // match the search; the link loads the page again.
  function countArrival(id) {
    if (!newEl || arrived[id]) {
      return;
    }
    arrived[id] = true;
    arrivedCount++;
    var link = newEl.querySelector('a');
    link.textContent = arrivedCount === 1 ? '1 new post — refresh' : arrivedCount + ' new posts — refresh';
    newEl.hidden = false;
  }

  // ---- tab counts

  function setCounts(counts) {
    Object.keys(counts).forEach(function (status) {
      var el = document.querySelector('nav.tabs [data-testid=status-tab][data-status="' + status + '"] [data-testid=status-count]');
      if (el && /^\d+$/.test(String(counts[status]))) {
        el.textContent = String(counts[status]);
      }
    });
  }

  // A filtered queue's tabs count under its filters, which the events'
  // unfiltered counts do not: it asks the server, once changes settle.
  var countsTimer = 0;
  function refreshCounts() {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(function () {
      var q = back.indexOf('?') < 0 ? '' : back.slice(back.indexOf('?'));
      fetch('/moderate/counts' + q, { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' }).then(function (res) {
        return res.ok ? res.json() : null;
      }).then(function (d) {
        if (d && d.counts) {
          setCounts(d.counts);
        }
      }, function () {
        // Offline: the next change asks again.
      });
    }, 1000);
  }

  function onCounts(d) {
    if (!d.counts) {
      return;
    }
    if (filtered) {
      refreshCounts();
    } else {
      setCounts(d.counts);
    }
  }

  // reload loads the page again from its address (status, filters, page),
  // the cursor's post in the fragment so it stays under the cursor.
  function reload() {
    if (source) {
      source.close();
    }
    // replaceState then reload: assigning a URL that differs only in its
    // fragment would not load the page again.
    history.replaceState(null, '', back + (cursor && cursor.id ? '#' + cursor.id : ''));
    location.reload();
  }

  var source = null;
  function connect() {
    if (!('EventSource' in window)) {
      return;
    }
    // On reconnecting, EventSource sends the last ID it saw itself.
    source = new EventSource('/moderate/events' + (since ? '?since=' + encodeURIComponent(since) : ''));
    source.addEventListener('open', function () {
      main.setAttribute('data-live', 'true');
    });
    source.addEventListener('error', function () {
      main.setAttribute('data-live', 'false');
      if (source.readyState === EventSource.CLOSED) {
        // Refused (a server shutting down, a proxy's 502): EventSource gives
        // up, so a new one asks again from the last event this page saw.
        source = null;
        setTimeout(connect, 3000);
      }
    });
    source.addEventListener('post', function (ev) {
      since = ev.lastEventId || since;
      var d;
      try {
        d = JSON.parse(ev.data);
      } catch (err) {
        return; // A malformed event changes nothing; the next load shows the truth.
      }
      onPost(d);
      onCounts(d);
    });
    source.addEventListener('reload', reload);
    source.addEventListener('lease', function (ev) {
      since = ev.lastEventId || since;
      var d;
      try {
        d = JSON.parse(ev.data);
      } catch (err) {
        return;
      }
      if (d.by === me) {
        return;
      }
      var el = findCard(d.id);
      if (el && el.getAttribute('data-status') === 'pending' && !el.getAttribute('data-busy')) {
        removeCard(el);
      }
    });
  }

  connect();
  // After a reload the fragment names the post the cursor was on.
  var hashed = location.hash ? document.getElementById(location.hash.slice(1)) : null;
  var first = hashed && hashed.matches('article[data-testid=queue-post]') ? hashed : cards()[0];
  if (first) {
    setCursor(first, first === hashed);
  }
  var open = main.querySelector('details.alt-edit[open]');
  if (open) {
    setCursor(open.closest('article[data-testid=queue-post]'), true);
  }
})();
