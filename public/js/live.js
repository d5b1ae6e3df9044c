// Keeps a page live without reloading it: every few seconds it fetches the same URL again and swaps the
// regions marked data-live for their new content (the server renders them with the same templates), leaving
// the scroll position, the filter form and any region that holds the focus alone. Without JavaScript the page
// works as it is. Allowed by the content security policy (script-src 'self'); no framework.
(function () {
  'use strict';
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
      if (region.innerHTML !== next.innerHTML) region.innerHTML = next.innerHTML;
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
