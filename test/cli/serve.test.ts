// `hypermem serve`: the live dashboard's server. The run it serves is the run
// `hypermem run` makes (summary and report byte for byte), the page gets
// states as the run goes, pause holds the simulated clock, control needs POST
// and the X-Hypermem header, other hosts' names are refused, and bad flags or
// a busy port are clear errors. The command itself prints its URL and stops
// on SIGINT with status 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import { request } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { load } from '../../src/cli/run.ts';
import { parsePort, parseSpeed, startDashboard, type DashboardState } from '../../src/cli/serve.ts';
import { UserError } from '../../src/cli/errors.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { runReportHtml } from '../../src/report/html.ts';
import { withPlantedFault } from './spawn.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const small = `${root}test/report/small.yaml`;
const CHARTS = ['host', 'guests', 'tmem', 'hitrate', 'disk'];

type LiveState = DashboardState & { html: Record<string, string> };

/** Reads the server-sent states until the run is over. */
async function readStates(url: string): Promise<LiveState[]> {
  const res = await fetch(`${url}events`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const states: LiveState[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const message = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const lines = message.split('\n');
      assert.equal(lines[0], 'event: state');
      assert.ok(lines[1].startsWith('data: '));
      states.push(JSON.parse(lines[1].slice(6)) as LiveState);
    }
    const last = states[states.length - 1];
    if (last !== undefined && (last.status === 'done' || last.status === 'failed')) break;
  }
  await reader.cancel();
  return states;
}

async function post(url: string, header = true): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: header ? { 'X-Hypermem': '1' } : {} });
  return { status: res.status, body: await res.text() };
}

async function getState(url: string): Promise<DashboardState> {
  return (await (await fetch(`${url}api/state`)).json()) as DashboardState;
}

/** A GET with a Host header of our choice (fetch does not let one set it), and the request target as given (`path`). */
function getWithHost(url: string, host: string, target?: { path: string; method?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Host: host }, ...target }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hypermem serve', () => {
  test('a fault of hypermem itself during the run: the run fails as an internal error, on standard error with its stack and on the page; the server stays', async () => {
    const { stderr } = await withPlantedFault('advance', async () => {
      const dash = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: null, verify: false });
      try {
        assert.equal(await dash.finished, 'failed');
        assert.match(dash.state().message, /^internal error: this is a bug in hypermem, not in your input; please report it with the command and files that caused it \(planted fault\)$/);
        assert.equal((await fetch(`${dash.url}api/state`)).status, 200);
      } finally {
        await dash.close();
      }
    });
    assert.match(stderr, /^hypermem: internal error: this is a bug in hypermem.*\nError: planted fault\n {4}at /);
  });

  test('serves the run `hypermem run` makes: states as it goes, then summary.json and report.html byte for byte', async () => {
    const scenario = load(small, []);
    const direct = new Simulation(load(small, [])).run();
    // 10 simulated seconds per wall second: about 4 s, several redraws (each at least 4× its cost apart).
    const dash = await startDashboard(scenario, { host: '127.0.0.1', port: 0, speed: 10, verify: false, pushEveryMs: 0 });
    try {
      assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(dash.url);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<script src="\/dashboard\.js" defer><\/script>/);
      for (const id of CHARTS) assert.match(html, new RegExp(`<section class="chart" id="${id}">`), `the page has chart ${id} before any script runs`);
      const script = await fetch(`${dash.url}dashboard.js`);
      assert.equal(script.status, 200);
      assert.match(await script.text(), /new EventSource\('\/events'\)/);

      const states = await readStates(dash.url);
      const last = states[states.length - 1];
      assert.equal(last.status, 'done');
      assert.equal(last.sim_time_ns, scenario.durationNs);
      assert.match(last.status_text, /^done: 40 s simulated, \d+ events$/, 'the status line the page shows, worded by the server');
      const running = states.filter((s) => s.status === 'running');
      assert.ok(new Set(running.map((s) => s.sim_time_ns)).size >= 3, `several states while running (got ${running.length})`);
      for (let i = 1; i < states.length; i++) assert.ok(states[i].sim_time_ns >= states[i - 1].sim_time_ns, 'simulated time never goes back');
      for (const s of states) {
        for (const id of CHARTS) assert.ok(s.html.charts.includes(`id="${id}"`), `state at ${s.sim_time_ns} ns: chart ${id}`);
        assert.equal(s.summary.sim_time_ns, s.sim_time_ns);
      }
      assert.deepEqual(last.summary, direct.summary);
      await dash.finished;

      const summary = await fetch(`${dash.url}summary.json`);
      assert.equal(summary.status, 200);
      assert.equal(await summary.text(), JSON.stringify(direct.summary, null, 2) + '\n');
      const report = await fetch(`${dash.url}report.html`);
      assert.equal(report.status, 200);
      assert.equal(await report.text(), runReportHtml(direct, load(small, [])));
      // A page opened after the end gets the final state at once.
      const late = await readStates(dash.url);
      assert.equal(late.length, 1);
      assert.equal(late[0].status, 'done');
    } finally {
      await dash.close();
    }
  });

  test('pause holds the simulated clock and resume starts it again; control is POST with X-Hypermem: 1', async () => {
    // 4 simulated seconds per wall second: the 40 s run takes 10 s unless paused.
    const dash = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: 4, verify: false });
    try {
      await sleep(400);
      const before = await getState(dash.url);
      assert.equal(before.status, 'running');
      assert.ok(before.sim_time_ns > 0 && before.sim_time_ns < 10e9, `paced: ${before.sim_time_ns} ns after 0.4 s`);

      const noHeader = await post(`${dash.url}api/pause`, false);
      assert.equal(noHeader.status, 403);
      assert.match(noHeader.body, /X-Hypermem: 1/);
      const asGet = await fetch(`${dash.url}api/pause`);
      assert.equal(asGet.status, 405);
      assert.equal(asGet.headers.get('allow'), 'POST');
      const early = await fetch(`${dash.url}report.html`);
      assert.equal(early.status, 409);
      assert.match(await early.text(), /exists once it is done/);

      const paused = await post(`${dash.url}api/pause`);
      assert.equal(paused.status, 200);
      const p1 = await getState(dash.url);
      assert.equal(p1.status, 'paused');
      await sleep(500);
      const p2 = await getState(dash.url);
      assert.equal(p2.sim_time_ns, p1.sim_time_ns, 'no simulated time passes while paused');
      assert.equal((await post(`${dash.url}api/pause`)).status, 409, 'pausing a paused run is refused');

      const resumedAt = Date.now();
      assert.equal((await post(`${dash.url}api/resume`)).status, 200);
      await sleep(500);
      const r = await getState(dash.url);
      const wallMs = Date.now() - resumedAt;
      assert.equal(r.status, 'running');
      assert.ok(r.sim_time_ns > p2.sim_time_ns, 'time goes on after resume');
      // The pace starts again at the resume: no jump for the second spent paused.
      assert.ok(r.sim_time_ns - p2.sim_time_ns <= 4e6 * wallMs, `resumed at the pace (${r.sim_time_ns - p2.sim_time_ns} ns in ${wallMs} ms)`);
      assert.equal((await post(`${dash.url}api/resume`)).status, 409, 'resuming a running run is refused');
    } finally {
      await dash.close();
    }
  });

  test('requests naming another host are refused; unknown pages are 404; GET only where it reads', async () => {
    const dash = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: 1, verify: false });
    try {
      const port = new URL(dash.url).port;
      assert.equal(await getWithHost(dash.url, `evil.example:${port}`), 403);
      assert.equal(await getWithHost(dash.url, `localhost:${port}`), 200);
      assert.equal((await fetch(`${dash.url}nothing-here`)).status, 404);
      const del = await fetch(dash.url, { method: 'DELETE' });
      assert.equal(del.status, 405);
      assert.equal(del.headers.get('allow'), 'GET, HEAD');
    } finally {
      await dash.close();
    }
  });

  test('a request target in absolute form naming this server is served; `*` or another server is 400, not 500', async () => {
    const dash = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: 1, verify: false });
    try {
      const host = new URL(dash.url).host;
      assert.equal(await getWithHost(dash.url, host, { path: `http://${host}/api/state` }), 200);
      assert.equal(await getWithHost(dash.url, host, { path: `http://localhost:${new URL(dash.url).port}/nothing-here` }), 404);
      assert.equal(await getWithHost(dash.url, host, { path: '*', method: 'OPTIONS' }), 400);
      assert.equal(await getWithHost(dash.url, host, { path: 'http://evil.example/api/state' }), 400);
    } finally {
      await dash.close();
    }
  });

  test('closing does not wait for idle connections (one that never sent a request, one that sent half)', async () => {
    const dash = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: 1, verify: false });
    const { hostname: h, port } = new URL(dash.url);
    const idle = connect(Number(port), h);
    const half = connect(Number(port), h, () => half.write('GET /api/state HTTP/1.1\r\nHost: '));
    await Promise.all([once(idle, 'connect'), once(half, 'connect')]);
    await sleep(100);
    const closed = await Promise.race([dash.close().then(() => true), sleep(10_000).then(() => false)]);
    idle.destroy();
    half.destroy();
    assert.equal(closed, true, 'closed while the connections were still open');
  });

  test('a run that reaches its max_events bound stops: the page says why, and no report is served', async () => {
    const dash = await startDashboard(load(small, ['max_events=50']), { host: '127.0.0.1', port: 0, speed: null, verify: false });
    try {
      assert.equal(await dash.finished, 'failed');
      const st = await getState(dash.url);
      assert.equal(st.status, 'failed');
      assert.match(st.message, /small\.yaml: the run reached its bound of 50 events at .* raise max_events or shorten duration$/);
      assert.equal(st.events, 50);
      const states = await readStates(dash.url);
      assert.deepEqual(states.map((s) => s.status), ['failed']);
      assert.equal((await fetch(`${dash.url}summary.json`)).status, 409);
      assert.equal((await post(`${dash.url}api/resume`)).status, 409);
    } finally {
      await dash.close();
    }
  });

  test('over the memory limit: at boot nothing is served (one message); the command exits 2', async () => {
    await assert.rejects(
      startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: null, verify: false, memory: { bytes: 16 * 1024 * 1024, source: '--max-memory 16MiB' } }),
      (e: unknown) => e instanceof UserError && /small\.yaml: out of memory: hypermem holds .* while booting guest 1 of \d+, above its limit of 16 MiB \(--max-memory 16MiB\)\. /.test(e.message),
    );
    const child = spawn(process.execPath, [`${root}bin/hypermem.js`, 'serve', small, '--port', '0', '--max-memory', '16MiB'], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 2, err);
    assert.equal(out, '', 'no URL: nothing is served');
    assert.match(err, /^hypermem: .*small\.yaml: out of memory: .*\n$/);
  });

  test('paced, it waits for the wall clock instead of spinning: well under a core while keeping pace', async () => {
    // 1 simulated second per wall second: the run would take 40 s, the test looks at one second of it.
    const dash = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: 1, verify: false });
    try {
      await sleep(500);
      const cpu0 = process.cpuUsage();
      const t0 = (await getState(dash.url)).sim_time_ns;
      await sleep(1000);
      const used = process.cpuUsage(cpu0);
      const t1 = (await getState(dash.url)).sim_time_ns;
      const cpuMs = (used.user + used.system) / 1000;
      assert.ok(cpuMs < 600, `${cpuMs.toFixed(0)} ms of CPU in 1 s of wall time (spinning takes about 1000)`);
      assert.ok(t1 > t0, 'simulated time went on');
    } finally {
      await dash.close();
    }
  });

  test('bound to every address (0.0.0.0), the machine\'s own names are accepted, others still refused', async () => {
    const dash = await startDashboard(load(small, []), { host: '0.0.0.0', port: 0, speed: 1, verify: false });
    try {
      assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'a URL that works from this machine');
      const port = new URL(dash.url).port;
      assert.equal(await getWithHost(dash.url, `${hostname()}:${port}`), 200);
      assert.equal(await getWithHost(dash.url, `evil.example:${port}`), 403);
    } finally {
      await dash.close();
    }
  });

  test('bad flags and a busy port are clear errors', async () => {
    for (const bad of ['-1', '65536', 'http', '80.5', '']) assert.throws(() => parsePort(bad), (e: unknown) => e instanceof UserError && /--port: expected a port number/.test(e.message), bad);
    assert.equal(parsePort(undefined), 8080);
    assert.equal(parsePort('0'), 0);
    for (const bad of ['0', '-3', 'fast', '', 'NaN', 'Infinity']) assert.throws(() => parseSpeed(bad), (e: unknown) => e instanceof UserError && /--speed: expected "max"/.test(e.message), bad);
    assert.equal(parseSpeed('max'), null);
    assert.equal(parseSpeed('2.5'), 2.5);

    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(
        startDashboard(load(small, []), { host: '127.0.0.1', port, speed: null, verify: false }),
        (e: unknown) => e instanceof UserError && e.message === `--port ${port}: 127.0.0.1:${port} is in use; pick another port, or --port 0 for any free one`,
      );
    } finally {
      blocker.close();
    }
  });

  test('an address the system will not listen on, or an empty one, is one line and exit 2, not a stack trace', async () => {
    // fe80::1 (link-local without a zone): EINVAL from listen, a code no other rule names.
    await assert.rejects(
      startDashboard(load(small, []), { host: 'fe80::1', port: 0, speed: null, verify: false }),
      (e: unknown) => e instanceof UserError && /^--host fe80::1: cannot listen there \(E[A-Z]+\)$/.test(e.message),
    );
    // Not an IP address (a part past 255), so a name, which resolves to nothing.
    await assert.rejects(
      startDashboard(load(small, []), { host: '999.1.1.1', port: 0, speed: null, verify: false }),
      (e: unknown) => e instanceof UserError && e.message === '--host 999.1.1.1: not an IP address, nor a name this machine resolves',
    );
    for (const host of ['', 'a'.repeat(300)]) {
      const child = spawn(process.execPath, [`${root}bin/hypermem.js`, 'serve', small, '--port', '0', '--host', host], { cwd: root });
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const code = await new Promise<number | null>((r) => child.on('close', r));
      assert.equal(code, 2, err);
      assert.equal(err.trim().split('\n').length, 1, err);
      assert.match(err, host === '' ? /--host: an empty address/ : /--host a{59}…: /);
    }
  });

  test('the command prints its URL, serves until SIGINT and exits 0; a bad scenario exits 2 without serving', async () => {
    const child = spawn(process.execPath, [`${root}bin/hypermem.js`, 'serve', small, '--port', '0', '--quiet'], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 300 && !out.includes('\n'); i++) await sleep(50);
      const url = out.trim();
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/, `stdout: ${out} stderr: ${err}`);
      let st = await getState(url);
      for (let i = 0; i < 600 && st.status !== 'done'; i++) {
        await sleep(50);
        st = await getState(url);
      }
      assert.equal(st.status, 'done');
      child.kill('SIGINT');
      assert.equal(await exited, 0);
      assert.equal(err, '', '--quiet: nothing but the URL');
    } finally {
      child.kill('SIGKILL');
    }

    const bad = spawn(process.execPath, [`${root}bin/hypermem.js`, 'serve', `${root}test/report/no-such.yaml`, '--port', '0'], { cwd: root });
    let badErr = '';
    let badOut = '';
    bad.stderr.on('data', (d) => (badErr += d));
    bad.stdout.on('data', (d) => (badOut += d));
    const code = await new Promise<number | null>((r) => bad.on('exit', (c) => r(c)));
    assert.equal(code, 2);
    assert.equal(badOut, '', 'no URL: nothing is served');
    assert.match(badErr, /^hypermem: .*no-such\.yaml/);
    assert.doesNotMatch(badErr, /\n\s+at /, 'no stack trace');
  });

  test('its commentary is one line a message, whatever the file name holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hypermem-serve-'));
    const file = join(dir, 'odd\nname.yaml');
    writeFileSync(file, readFileSync(small, 'utf8'));
    const child = spawn(process.execPath, [`${root}bin/hypermem.js`, 'serve', file, '--port', '0', '--set', 'name=odd', '--set', 'max_events=50'], { cwd: root });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    try {
      for (let i = 0; i < 600 && !err.includes('run stopped'); i++) await sleep(50);
      const stopped = err.split('\n').find((l) => l.includes('run stopped'));
      assert.ok(stopped !== undefined, err);
      assert.match(stopped, /^hypermem: run stopped: .*odd\\nname\.yaml: the run reached its bound of 50 events/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

