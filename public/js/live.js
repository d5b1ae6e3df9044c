// Keeps a page live without reloading it: every few seconds it fetches the same URL again and swaps the
// regions marked data-live for their new content (the server renders them with the same templates), leaving
// the scroll position, the filter form and any region that holds the focus alone. Without JavaScript the page
// works as it is. Allowed by the content security policy (script-src 'self'); no framework.
(function () {
  'use strict';
  // Exact times are sent in UTC (the server does not know the reader's time zone); the hover text gains the
  // reader's own local time.
  function localTimes(root) {
    var times = root.querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i += 1) {
      var at = new Date(times[i].getAttribute('datetime'));
      if (isNaN(at.getTime()) || times[i].hasAttribute('data-local')) continue;
      times[i].setAttribute('title', at.toLocaleString() + ' (your time) · ' + (times[i].getAttribute('title') || ''));
      times[i].setAttribute('data-local', '');
    }
  }
  // What the server sent for each region, to compare the next answer with (the DOM now differs: local times).
  var served = {};
  var initial = document.querySelectorAll('[data-live]');
  for (var r = 0; r < initial.length; r += 1) served[initial[r].getAttribute('data-live')] = initial[r].innerHTML;
  localTimes(document);

  var status = document.querySelector('[data-live-status]');
  if (!status || !window.fetch || !window.DOMParser) return;
  var text = status.querySelector('[data-live-text]');
  var seconds = Number(status.getAttribute('data-refresh-seconds')) || 10;
  var period = Math.min(30, Math.max(2, seconds)) * 1000;
  var updatedAt = Date.now();
  var trouble = null;
  var etag = null;
  var busy = false;

  function show() {
    var age = Math.round((Date.now() - updatedAt) / 1000);
    var when = age < 2 ? 'just now' : age + ' s ago';
    text.textContent = trouble
      ? trouble + ' Showing what was true ' + when + '; trying again every ' + period / 1000 + ' s.'
      : 'Updated ' + when + '; refreshes every ' + period / 1000 + ' s.';
    status.classList.toggle('live-trouble', trouble !== null);
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, 'text/html');
    var regions = document.querySelectorAll('[data-live]');
    for (var i = 0; i < regions.length; i += 1) {
      var region = regions[i];
      var next = fresh.querySelector('[data-live="' + region.getAttribute('data-live') + '"]');
      // A region the reader is working in (a focused link or button) waits for the next round.
      if (!next || region.contains(document.activeElement)) continue;
      var name = region.getAttribute('data-live');
      if (served[name] === next.innerHTML) continue;
      served[name] = next.innerHTML;
      region.innerHTML = next.innerHTML;
      localTimes(region);
    }
  }

  function refresh() {
    if (busy) return;
    busy = true;
    var headers = { 'X-Live-Refresh': '1' };
    if (etag) headers['If-None-Match'] = etag;
    fetch(window.location.href, { headers: headers, credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) {
        if (response.redirected) {
          trouble = 'Your session has ended: reload the page to sign in again.';
          return null;
        }
        if (response.status === 304) {
          trouble = null;
          updatedAt = Date.now();
          return null;
        }
        if (!response.ok) {
          trouble =
            response.status === 503
              ? 'This node cannot reach the database right now.'
              : 'This node answered ' + response.status + '.';
          return null;
        }
        etag = response.headers.get('ETag');
        return response.text().then(function (html) {
          swap(html);
          trouble = null;
          updatedAt = Date.now();
        });
      })
      .catch(function () {
        trouble = 'This node cannot be reached right now.';
      })
      .then(function () {
        busy = false;
        show();
      });
  }

  status.hidden = false;
  show();
  window.setInterval(show, 1000);
  window.setInterval(refresh, period);
})();
