// modes.js runs the screen modes that move: spotlight shows one post at a
// time, and the ticker scrolls one line. wall.js keeps the cards up to date
// (it knows nothing of modes); this only decides which card shows, from the
// cards there are at each moment, so live additions and removals need
// nothing special.
//
// Spotlight: a post that arrives live (or changes: a moderator highlighting
// it) takes the spotlight at once; otherwise highlighted posts come first,
// then the newest. Pinned posts stay in their rail.
// Ticker: the line scrolls at a steady reading speed whatever its length;
// a screen that asks for reduced motion gets a still line that changes post
// every spotlight_seconds instead.
(function () {
  'use strict';

  var wall = document.getElementById('wall');
  if (!wall) {
    return;
  }
  var mode = wall.getAttribute('data-mode');
  var reduce = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  var PERIOD_MS = parseInt(wall.getAttribute('data-spotlight-ms'), 10) || 10000;
  var RECENT = 20; // the newest posts spotlight cycles through
  var TICKER_PX_PER_S = 110;

  if (mode === 'ticker' && !reduce) {
    var setSpeed = function () {
      var px = wall.scrollWidth + window.innerWidth;
      wall.style.setProperty('--ticker-duration', Math.max(10, Math.round(px / TICKER_PX_PER_S)) + 's');
    };
    new MutationObserver(setSpeed).observe(wall, { childList: true });
    window.addEventListener('resize', setSpeed);
    setSpeed();
    return;
  }
  if (mode !== 'spotlight' && mode !== 'ticker') {
    return;
  }
  if (mode === 'ticker') {
    document.body.classList.add('ticker--static');
  }
  wall.classList.add('is-rotating');

  var current = null;
  var timer = 0;

  function candidates() {
    var all = wall.querySelectorAll('[data-post-id]');
    var high = [];
    var rest = [];
    for (var i = 0; i < all.length; i++) {
      var c = all[i];
      if (mode === 'spotlight' && c.hasAttribute('data-pinned')) {
        continue;
      }
      if (c.classList.contains('card--highlighted')) {
        high.push(c);
      } else if (rest.length < RECENT) {
        rest.push(c);
      }
    }
    return high.concat(rest);
  }

  function show(card) {
    if (current && current !== card) {
      current.removeAttribute('data-current');
    }
    current = card;
    if (card) {
      card.setAttribute('data-current', '');
    }
  }

  function next() {
    var list = candidates();
    if (!list.length) {
      show(null);
      return;
    }
    var i = list.indexOf(current);
    show(list[(i + 1) % list.length]);
  }

  function restart() {
    window.clearInterval(timer);
    timer = window.setInterval(next, PERIOD_MS);
  }

  new MutationObserver(function (records) {
    var fresh = null;
    for (var r = 0; r < records.length; r++) {
      var added = records[r].addedNodes;
      for (var n = 0; n < added.length; n++) {
        var el = added[n];
        if (el.nodeType === 1 && el.hasAttribute('data-post-id') && !(mode === 'spotlight' && el.hasAttribute('data-pinned'))) {
          fresh = el;
        }
      }
    }
    if (fresh) {
      show(fresh);
      restart();
    } else if (!current || !wall.contains(current)) {
      current = null;
      next();
      restart();
    }
  }).observe(wall, { childList: true });

  next();
  restart();
}());
