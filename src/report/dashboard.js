// The live dashboard's script (served by `hypermem serve` as /dashboard.js).
// It listens to the server's events and puts the parts of the report the
// server sends (cards, charts, tables, all drawn on the server) in place;
// the buttons pause and resume the run. Plain browser JavaScript, no library.
// The page knows its run (data-run, the server's run_id): a tab left open
// while `serve` was restarted on its port with another run stops there
// instead of showing that run's parts under this one's header.
'use strict';

(function () {
  const statusEl = document.getElementById('status');
  const progressEl = document.getElementById('progress');
  const pauseEl = document.getElementById('pause');
  const resumeEl = document.getElementById('resume');
  const linksEl = document.getElementById('links');
  const partsEl = document.getElementById('parts');
  const runId = document.getElementById('live').dataset.run;
  let last = null;
  let source = null;
  let other = false;

  function disable() {
    pauseEl.disabled = true;
    resumeEl.disabled = true;
  }

  /** Another run's state: stop listening, leave the buttons off (they would control that run), and say so. */
  function otherRun(st) {
    other = true;
    if (source) source.close();
    disable();
    statusEl.textContent =
      'the server now runs another run (' + st.scenario + ', seed ' + st.seed + '); this page shows the last state of its own run: reload the page to follow the new one';
    statusEl.className = 'status failed';
    document.body.dataset.status = 'other-run';
  }

  function show(st) {
    if (other) return;
    if (st.run_id !== runId) {
      otherRun(st);
      return;
    }
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
    disable();
    fetch('/api/' + action, { method: 'POST', headers: { 'X-Hypermem': '1' } })
      .then(function (r) {
        return r.json();
      })
      .then(function (st) {
        // A refusal (409) carries the run's identity too: another run's status must not move this page's buttons.
        if (st.run_id !== undefined && st.run_id !== runId) otherRun(st);
        else if (st.status) show(Object.assign({}, last, st, { html: null }));
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

  source = new EventSource('/events');
  source.addEventListener('state', function (e) {
    show(JSON.parse(e.data));
    if (other || last.status === 'done' || last.status === 'failed') source.close();
  });
  source.onerror = function () {
    if (other || (last && (last.status === 'done' || last.status === 'failed'))) return;
    // Nothing to pause or resume until the server answers again (the next event turns the right button back on).
    disable();
    // Closed for good: the server answered, but not with events (503: too many pages follow the run); gone, the browser keeps trying.
    statusEl.textContent =
      source.readyState === EventSource.CLOSED
        ? 'the server refused live updates (too many pages follow this run?); close some of them, then reload this one'
        : 'lost the server (was hypermem serve stopped?); the page shows the last state it had';
    statusEl.className = 'status failed';
  };
})();
