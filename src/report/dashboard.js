// The live dashboard's script (served by `hypermem serve` as /dashboard.js).
// It listens to the server's events and puts the parts of the report the
// server sends (cards, charts, tables, all drawn on the server) in place;
// the buttons pause and resume the run. Plain browser JavaScript, no library.
'use strict';

(function () {
  const statusEl = document.getElementById('status');
  const progressEl = document.getElementById('progress');
  const pauseEl = document.getElementById('pause');
  const resumeEl = document.getElementById('resume');
  const linksEl = document.getElementById('links');
  const partsEl = document.getElementById('parts');
  let last = null;

  function show(st) {
    last = st;
    statusEl.textContent = st.status_text;
    statusEl.className = 'status ' + st.status;
    progressEl.max = st.duration_ns;
    progressEl.value = st.sim_time_ns;
    pauseEl.disabled = st.status !== 'running';
    resumeEl.disabled = st.status !== 'paused';
    if (st.status === 'done' && linksEl.childElementCount === 0) {
      for (const [href, label] of [['/report.html', 'full report'], ['/summary.json', 'summary.json']]) {
        const a = document.createElement('a');
        a.href = href;
        a.textContent = label;
        linksEl.append(a, ' ');
      }
    }
    if (st.html) {
      // Keep the reader's place: the parts are replaced in place, the page does not jump.
      const h = st.html;
      partsEl.innerHTML = h.cards + h.violations + h.charts + h.launches + h.guests;
    }
    document.body.dataset.status = st.status;
  }

  function control(action) {
    pauseEl.disabled = true;
    resumeEl.disabled = true;
    fetch('/api/' + action, { method: 'POST', headers: { 'X-Hypermem': '1' } })
      .then(function (r) {
        return r.json();
      })
      .then(function (st) {
        if (st.status) show(Object.assign({}, last, st, { html: null }));
      })
      .catch(function () {
        statusEl.textContent = 'the server does not answer (was hypermem serve stopped?)';
      });
  }
  pauseEl.addEventListener('click', function () {
    control('pause');
  });
  resumeEl.addEventListener('click', function () {
    control('resume');
  });

  const source = new EventSource('/events');
  source.addEventListener('state', function (e) {
    show(JSON.parse(e.data));
    if (last.status === 'done' || last.status === 'failed') source.close();
  });
  source.onerror = function () {
    if (last && (last.status === 'done' || last.status === 'failed')) return;
    statusEl.textContent = 'lost the server (was hypermem serve stopped?); the page shows the last state it had';
    statusEl.className = 'status failed';
  };
})();
