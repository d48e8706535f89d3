// `hypermem serve`: the live dashboard's server. The run it serves is the run
// `hypermem run` makes (summary and report byte for byte), the page gets
// states as the run goes, pause holds the simulated clock, control needs POST
// and the X-Hypermem header, other hosts' names are refused, and bad flags or
// a busy port are clear errors. Each state is drawn once however many pages
// ask, and the page knows its run. The command itself prints its URL and
// stops on SIGINT with status 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import { request } from 'node:http';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { load } from '../../src/cli/run.ts';
import { parseAllowHost, parsePort, parseSpeed, serveCommand, startDashboard, type DashboardState } from '../../src/cli/serve.ts';
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

/** `hypermem serve ARGS` as a child process: what it printed so far, and its exit code once it ends. */
function serveChild(args: string[]): { child: ReturnType<typeof spawn>; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [`${root}bin/hypermem.js`, 'serve', ...args], { cwd: root });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** The first state of a new event stream; the stream is closed after it. */
async function firstState(url: string): Promise<LiveState> {
  const res = await fetch(`${url}events`);
  assert.equal(res.status, 200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  while (!buffer.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return JSON.parse(buffer.split('\n')[1].slice(6)) as LiveState;
}

/** Sends `text` on a new connection and gives back all the server answers until it closes the connection. */
async function raw(url: string, text: string): Promise<string> {
  const { hostname: h, port } = new URL(url);
  const socket = connect(Number(port), h, () => socket.write(text));
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString()));
  await Promise.race([once(socket, 'close'), sleep(5000)]);
  socket.destroy();
  return answer;
}

/** A stand-in for the page's elements, enough for dashboard.js. */
interface FakeElement {
  textContent: string;
  className: string;
  disabled: boolean;
  innerHTML: string;
  max: number;
  value: number;
  childElementCount: number;
  dataset: Record<string, string>;
  clicks: (() => void)[];
  addEventListener(type: string, f: () => void): void;
  append(): void;
}

/** dashboard.js run on a stand-in page of run `runId` (in the page: data-run), with a stand-in EventSource the test drives. */
function fakeDashboard(runId: string) {
  const element = (): FakeElement => ({
    textContent: '',
    className: '',
    disabled: false,
    innerHTML: 'the page as served',
    max: 0,
    value: 0,
    childElementCount: 0,
    dataset: {},
    clicks: [],
    addEventListener(type, f) {
      if (type === 'click') this.clicks.push(f);
    },
    append() {
      this.childElementCount++;
    },
  });
  const els: Record<string, FakeElement> = Object.fromEntries(['status', 'progress', 'pause', 'resume', 'links', 'parts', 'live'].map((id) => [id, element()]));
  els.live.dataset.run = runId;
  const source = { url: '', closed: false, onerror: null as null | (() => void), listeners: new Map<string, (e: { data: string }) => void>() };
  class FakeEventSource {
    static readonly CONNECTING = 0;
    static readonly CLOSED = 2;
    get readyState(): number {
      return source.closed ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    }
    constructor(url: string) {
      source.url = url;
    }
    addEventListener(type: string, f: (e: { data: string }) => void): void {
      source.listeners.set(type, f);
    }
    set onerror(f: () => void) {
      source.onerror = f;
    }
    close(): void {
      source.closed = true;
    }
  }
  const body = { dataset: {} as Record<string, string> };
  const document = { getElementById: (id: string) => els[id], body, createElement: element };
  runInNewContext(readFileSync(`${root}src/report/dashboard.js`, 'utf8'), { document, EventSource: FakeEventSource, fetch: () => new Promise(() => {}) });
  const send = (st: Partial<LiveState>): void => source.listeners.get('state')?.({ data: JSON.stringify(st) });
  return { els, body, source, send };
}

function liveState(runId: string, status: DashboardState['status'], html: string): Partial<LiveState> {
  return {
    run_id: runId,
    status,
    scenario: 'other-scenario',
    seed: 9,
    status_text: `${status}: 1 s of 40 s simulated`,
    sim_time_ns: 1e9,
    duration_ns: 40e9,
    html: { cards: html, violations: '', charts: '', launches: '', guests: '' },
  };
}

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
      // Redraws are spaced at least 4× their cost: on a loaded machine a 4-s run may get only two.
      assert.ok(new Set(running.map((s) => s.sim_time_ns)).size >= 2, `states while running (got ${running.length})`);
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
      assert.equal(((await early.json()) as { error: string }).error, 'the run is still going: /report.html exists once it is done');

      const paused = await post(`${dash.url}api/pause`);
      assert.equal(paused.status, 200);
      const p1 = await getState(dash.url);
      assert.equal(p1.status, 'paused');
      // A page loaded while paused offers Resume, not Pause, before its script's first event.
      const page = await (await fetch(dash.url)).text();
      assert.match(page, /<button type="button" id="pause" disabled>Pause<\/button><button type="button" id="resume">Resume<\/button>/);
      await sleep(500);
      const p2 = await getState(dash.url);
      assert.equal(p2.sim_time_ns, p1.sim_time_ns, 'no simulated time passes while paused');
      const again = await post(`${dash.url}api/pause`);
      assert.equal(again.status, 409, 'pausing a paused run is refused');
      const refusal = JSON.parse(again.body) as { error: string; run_id: string };
      assert.equal(refusal.error, 'the run is paused');
      // With the run's identity: a page of another run does not take this status for its own.
      assert.equal(refusal.run_id, p1.run_id);

      const resumedAt = Date.now();
      assert.equal((await post(`${dash.url}api/resume`)).status, 200);
      await sleep(500);
      const r = await getState(dash.url);
      const wallMs = Date.now() - resumedAt;
      assert.equal(r.status, 'running');
      assert.ok(r.sim_time_ns > p2.sim_time_ns, 'time goes on after resume');
      // The pace starts again at the resume: no jump for the second spent paused. It counts from
      // where the run had been asked to go, up to one step (a tenth of the 1-s sample) past the
      // clock a state shows (the last event's time; the guests' 100-ms workload ticks leave no
      // longer gap between events): that much slack, no more.
      assert.ok(r.sim_time_ns - p2.sim_time_ns <= 4e6 * wallMs + 1e8, `resumed at the pace (${r.sim_time_ns - p2.sim_time_ns} ns in ${wallMs} ms)`);
      const twice = await post(`${dash.url}api/resume`);
      assert.equal(twice.status, 409, 'resuming a running run is refused');
      assert.equal((JSON.parse(twice.body) as { error: string }).error, 'the run is still going');
      // Running, the page offers Pause.
      assert.match(await (await fetch(dash.url)).text(), /<button type="button" id="pause">Pause<\/button><button type="button" id="resume" disabled>Resume<\/button>/);
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
      const summary = await fetch(`${dash.url}summary.json`);
      assert.equal(summary.status, 409);
      assert.equal(((await summary.json()) as { error: string }).error, 'the run stopped without finishing, so there is no /summary.json (only a run that finishes has one)');
      const resume = await post(`${dash.url}api/resume`);
      assert.equal(resume.status, 409);
      assert.equal((JSON.parse(resume.body) as { error: string }).error, 'the run stopped without finishing');
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
    // Spaces around it are let go, as for --seed (a shell variable quoted with a stray space).
    assert.equal(parsePort(' 8081 '), 8081);
    assert.throws(() => parsePort('  '), /--port: expected a port number/);
    for (const bad of ['0', '-3', 'fast', '', 'NaN', 'Infinity']) assert.throws(() => parseSpeed(bad), (e: unknown) => e instanceof UserError && /--speed: expected "max"/.test(e.message), bad);
    // What is accepted is said as it is: 0 is refused for being below 0.001, not "above 0" (found in review).
    assert.throws(
      () => parseSpeed('0'),
      (e: unknown) => e instanceof UserError && e.message === '--speed: expected "max" or simulated seconds per wall second (a decimal number from 0.001 to 3600000, e.g. 10 or 2.5), found "0"',
    );
    // Number() takes these; a speed is a decimal number.
    for (const bad of ['0x10', '0b11', '0o7', '+5', '1e999', '.5', '5.', ' ']) {
      assert.throws(() => parseSpeed(bad), (e: unknown) => e instanceof UserError && e.message.startsWith('--speed: expected "max" or simulated seconds per wall second (a decimal number from 0.001 to 3600000, e.g. 10 or 2.5), found '), bad);
    }
    assert.equal(parseSpeed('max'), null);
    assert.equal(parseSpeed('2.5'), 2.5);
    assert.equal(parseSpeed('16'), 16);
    assert.equal(parseSpeed('1e1'), 10);
    // Spaces around the number are let go, as for --seed, --seeds and --jobs.
    assert.equal(parseSpeed(' 5 '), 5);
    // …and around max, as around a number (' max' was refused while ' 5' was taken).
    assert.equal(parseSpeed(' max '), null);
    // A speed at which nothing visibly moves, or beyond the longest run in a wall second, is refused with the range.
    for (const bad of ['1e-300', '0.0009', '3600001', '1e300']) {
      assert.throws(() => parseSpeed(bad), (e: unknown) => e instanceof UserError && e.message.startsWith('--speed: expected "max" or from 0.001 to 3600000 simulated seconds per wall second (') && e.message.endsWith(`found "${bad}"`), bad);
    }
    assert.throws(() => parseSpeed('1e-300'), /\(slower, the run would not visibly move\)/);
    assert.throws(() => parseSpeed('1e300'), /\(the longest run, 1000 h, in one wall second; faster is "max"\)/);
    assert.equal(parseSpeed('0.001'), 0.001);
    assert.equal(parseSpeed('3600000'), 3_600_000);

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
    const { child, out, err, exited } = serveChild([small, '--port', '0', '--quiet']);
    try {
      for (let i = 0; i < 300 && !out().includes('\n'); i++) await sleep(50);
      const url = out().trim();
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/, `stdout: ${out()} stderr: ${err()}`);
      let st = await getState(url);
      for (let i = 0; i < 600 && st.status !== 'done'; i++) {
        await sleep(50);
        st = await getState(url);
      }
      assert.equal(st.status, 'done');
      child.kill('SIGINT');
      assert.equal(await exited, 0);
      assert.equal(err(), '', '--quiet: nothing but the URL');
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

  test('SIGTERM and Ctrl-C are heard from before the URL is printed (a script stopping it on the URL gets 0, not death by signal); the handlers go with the command', async () => {
    const before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
    const added = (sig: 'SIGTERM' | 'SIGINT'): NodeJS.SignalsListener[] => process.listeners(sig).filter((l) => !before[sig].includes(l));
    const write = process.stdout.write;
    let url = '';
    let atUrl: { term: number; int: number } | null = null;
    // Only the URL is taken; anything else (the test runner's own reports) goes through.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (atUrl !== null || typeof chunk !== 'string' || !chunk.startsWith('http')) return (write as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
      url = chunk;
      atUrl = { term: added('SIGTERM').length, int: added('SIGINT').length };
      // The signal as the process would hear it the moment the URL is out.
      for (const l of added('SIGTERM')) setImmediate(() => l('SIGTERM'));
      return true;
    }) as typeof process.stdout.write;
    let code: number;
    let timer: NodeJS.Timeout | undefined;
    try {
      // A hang bound, not a timing: without a handler nothing stops it.
      code = await Promise.race([serveCommand(small, { port: '0', quiet: true }), new Promise<number>((r) => (timer = setTimeout(() => r(-1), 120_000)))]);
    } finally {
      process.stdout.write = write;
      clearTimeout(timer);
    }
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\n$/);
    assert.deepEqual(atUrl, { term: 1, int: 1 }, 'a handler for each signal when the URL is written');
    assert.equal(code, 0);
    assert.deepEqual([added('SIGTERM').length, added('SIGINT').length], [0, 0], 'no handler left behind');
    // A failed start (a bad --host) leaves none behind either.
    await assert.rejects(serveCommand(small, { port: '0', quiet: true, host: '999.1.1.1' }), UserError);
    assert.deepEqual([added('SIGTERM').length, added('SIGINT').length], [0, 0]);
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
  test('each state is drawn once: page loads, new event streams and /api/state share it; report.html is drawn once', async () => {
    const renders = { parts: 0, report: 0 };
    const onRender = (what: 'parts' | 'report') => renders[what]++;
    // Paused: the state holds still, so every request below asks for the same one.
    const held = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: 1, verify: false, onRender });
    try {
      assert.equal((await post(`${held.url}api/pause`)).status, 200);
      const before = renders.parts;
      const pages = await Promise.all([fetch(held.url), fetch(held.url)].map(async (r) => (await r).text()));
      const states = await Promise.all([firstState(held.url), firstState(held.url), firstState(held.url)]);
      await getState(held.url);
      assert.equal(renders.parts - before, 1, 'two page loads, three new streams and /api/state: one drawing');
      assert.equal(pages[0], pages[1]);
      for (const st of states) assert.deepEqual(st, states[0]);
    } finally {
      await held.close();
    }

    // Running, the state moves at every slice; page loads within the redraw gap (a minute here) share one drawing.
    const going = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: 1, verify: false, pushEveryMs: 60_000, onRender });
    try {
      const before = renders.parts;
      const first = await getState(going.url);
      for (let i = 0; i < 3; i++) await (await fetch(going.url)).text();
      await sleep(300);
      await (await fetch(going.url)).text();
      assert.ok((await getState(going.url)).sim_time_ns > first.sim_time_ns, 'the run went on meanwhile');
      assert.equal(renders.parts - before, 1);
    } finally {
      await going.close();
    }

    const done = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: null, verify: false, onRender });
    try {
      await done.finished;
      const reports = await Promise.all(Array.from({ length: 5 }, async () => (await fetch(`${done.url}report.html`)).text()));
      const summaries = await Promise.all(Array.from({ length: 3 }, async () => (await fetch(`${done.url}summary.json`)).text()));
      assert.equal(renders.report, 1, 'five requests of report.html: one drawing');
      for (const r of reports) assert.equal(r, reports[0]);
      for (const r of summaries) assert.equal(r, summaries[0]);
    } finally {
      await done.close();
    }
  });

  test('event streams beyond the limit get 503 and say why; a stream closed makes room', async () => {
    const dash = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: 1, verify: false, maxClients: 2 });
    try {
      const a = await fetch(`${dash.url}events`);
      const b = await fetch(`${dash.url}events`);
      assert.deepEqual([a.status, b.status], [200, 200]);
      const refused = await fetch(`${dash.url}events`);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(await refused.text(), 'hypermem: too many open dashboards (2 pages follow this run already); close some of them, then reload this one\n');
      await (a.body as ReadableStream<Uint8Array>).cancel();
      let again = 503;
      for (let i = 0; i < 100 && again === 503; i++) {
        await sleep(50);
        const r = await fetch(`${dash.url}events`);
        again = r.status;
        await (r.body as ReadableStream<Uint8Array>).cancel();
      }
      assert.equal(again, 200, 'room again once a stream closed');
      await (b.body as ReadableStream<Uint8Array>).cancel();
    } finally {
      await dash.close();
    }
  });

  test('the run has an identity: /api/state, the events and the page carry the same run_id', async () => {
    const dash = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: 1, verify: false });
    try {
      const st = await getState(dash.url);
      assert.match(st.run_id, /^report-small:7:\d{13}$/);
      assert.equal((await firstState(dash.url)).run_id, st.run_id);
      assert.equal(dash.state().run_id, st.run_id);
      const page = await (await fetch(dash.url)).text();
      assert.ok(page.includes(`<section class="live" id="live" aria-live="polite" data-run="${st.run_id}">`), 'the page embeds it');
    } finally {
      await dash.close();
    }
  });

  test('dashboard.js: a state of another run (serve restarted on the port) stops the page; losing the server turns the buttons off', () => {
    const page = fakeDashboard('report-small:7:1700000000000');
    assert.equal(page.source.url, '/events');
    page.send(liveState('report-small:7:1700000000000', 'running', 'own cards'));
    assert.equal(page.els.parts.innerHTML, 'own cards');
    assert.deepEqual([page.els.pause.disabled, page.els.resume.disabled], [false, true]);
    page.send(liveState('other-scenario:9:1700000099999', 'running', 'their cards'));
    assert.equal(page.source.closed, true, 'it stops listening');
    assert.equal(page.els.parts.innerHTML, 'own cards', "the other run is not shown under this run's header");
    assert.deepEqual([page.els.pause.disabled, page.els.resume.disabled], [true, true], 'no button controls the other run');
    assert.match(page.els.status.textContent, /^the server now runs another run \(other-scenario, seed 9\).*reload the page/);
    assert.equal(page.body.dataset.status, 'other-run');

    const lost = fakeDashboard('report-small:7:1700000000000');
    lost.send(liveState('report-small:7:1700000000000', 'paused', 'own cards'));
    assert.equal(lost.els.resume.disabled, false);
    lost.source.onerror?.();
    assert.deepEqual([lost.els.pause.disabled, lost.els.resume.disabled], [true, true], 'nothing to pause or resume while the server is away');
    assert.match(lost.els.status.textContent, /^lost the server/);
    // Back (the same server): the buttons follow its state again.
    lost.send(liveState('report-small:7:1700000000000', 'paused', 'own cards'));
    assert.equal(lost.els.resume.disabled, false);
    // Refused (503 beyond the stream limit): the browser closes the stream for good, and the page says why, not that the server is gone.
    const refused = fakeDashboard('report-small:7:1700000000000');
    refused.source.closed = true;
    refused.source.onerror?.();
    assert.match(refused.els.status.textContent, /^the server refused live updates \(too many pages follow this run\?\)/);
  });

  test('before its launches, a live run says they are due, not that there are none', async () => {
    const dash = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: 1, verify: false });
    try {
      assert.equal((await post(`${dash.url}api/pause`)).status, 200);
      assert.ok(dash.state().sim_time_ns < 15e9, 'paused before the first launch (at 15 s)');
      const page = await (await fetch(dash.url)).text();
      assert.ok(page.includes('<p class="empty">No launches yet (3 due: at 15 s, 16 s and 17 s).</p>'), 'the launches section');
      assert.match(page, /Launches ok<\/div><div class="card-value">0<\/div><div class="card-sub">none yet, 3 due</);
      assert.doesNotMatch(page, /No launches in this scenario|no launches/);
    } finally {
      await dash.close();
    }
  });

  test('a link-local address with its zone: served, reached by its address (a client sends the Host without the zone), the URL with %25', async (t) => {
    const linkLocal = Object.entries(networkInterfaces()).flatMap(([name, list]) => (list ?? []).filter((a) => a.family === 'IPv6' && /^fe80:/i.test(a.address)).map((a) => ({ name, address: a.address })));
    if (linkLocal.length === 0) {
      t.skip('no link-local IPv6 address on this machine');
      return;
    }
    const { name, address } = linkLocal[0];
    const dash = await startDashboard(load(small, []), { host: `${address}%${name}`, port: 0, speed: 1, verify: false });
    try {
      assert.equal(dash.url.startsWith(`http://[${address}%25${name}]:`), true, dash.url);
      const port = Number(/:(\d+)\/$/.exec(dash.url)?.[1]);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: `${address}%${name}`, port, path: '/api/state', headers: { Host: `[${address}]:${port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);
    } finally {
      await dash.close();
    }
  });

  test('Host: loopback names and --allow-host names at any port; two Host headers are 400; CONNECT is 405', async () => {
    const dash = await startDashboard(load(small, []), { host: '127.0.0.1', port: 0, speed: 1, verify: false, allowHosts: [parseAllowHost('MyAlias.example:9')] });
    try {
      // Through an SSH tunnel (ssh -L 19000:127.0.0.1:PORT) the browser names the tunnel's port.
      for (const host of ['localhost:19000', 'localhost', '127.0.0.1:1', '[::1]:19000', 'LOCALHOST.', 'myalias.example', 'myalias.example:8443']) {
        assert.equal(await getWithHost(dash.url, host), 200, host);
      }
      for (const host of ['evil.example', 'localhost.evil.example:19000', 'evil@localhost', 'localhost:99999']) assert.equal(await getWithHost(dash.url, host), 403, host);
      const port = new URL(dash.url).port;
      const two = await raw(dash.url, `GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
      assert.match(two, /^HTTP\/1\.1 400 /);
      assert.match(two, /more than one Host header/);
      // HTTP/1.0 may leave Host out: refused, saying what is missing, not called an unknown Host.
      const none = await raw(dash.url, 'GET /api/state HTTP/1.0\r\n\r\n');
      assert.match(none, /^HTTP\/1\.1 400 /);
      assert.match(none, /no Host header: this server answers only requests that name it/);
      // HTTP/1.1 must send one: Node's server answers 400 itself.
      assert.match(await raw(dash.url, 'GET /api/state HTTP/1.1\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 400 /);
      const tunnel = await raw(dash.url, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
      assert.match(tunnel, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
      assert.match(tunnel, /\r\nAllow: GET, HEAD, POST\r\n/);
      assert.match(tunnel, /CONNECT is not served here/);
    } finally {
      await dash.close();
    }
    assert.equal(parseAllowHost('2001:DB8::7'), '[2001:db8::7]');
    assert.equal(parseAllowHost('[2001:db8::7]:8080'), '[2001:db8::7]');
    assert.equal(parseAllowHost('192.0.2.7:8080'), '192.0.2.7');
    for (const bad of ['', 'a b', 'http://myhost/', 'my/host', 'user@myhost', 'myhost:x']) {
      assert.throws(() => parseAllowHost(bad), (e: unknown) => e instanceof UserError && /^--allow-host: (an empty name|expected a host name)/.test(e.message), bad);
    }
    const child = spawn(process.execPath, [`${root}bin/hypermem.js`, 'serve', small, '--port', '0', '--allow-host', 'http://myhost/'], { cwd: root });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    assert.equal(await new Promise<number | null>((r) => child.on('close', r)), 2);
    assert.equal(err, 'hypermem: --allow-host: expected a host name or address, not a URL or a list, found "http://myhost/" (it holds a space or a slash)\n');
  });

  test("bound to every address, it says the URLs by this machine's name and addresses; stopped mid-run, it says where", async () => {
    const dash = await startDashboard(load(small, []), { host: '0.0.0.0', port: 0, speed: 1, verify: false });
    try {
      const port = new URL(dash.url).port;
      assert.equal(dash.otherUrls[0], `http://${hostname()}:${port}/`);
      for (const u of dash.otherUrls) assert.equal(await getWithHost(dash.url, new URL(u).host), 200, `${u}: accepted by the Host check`);
    } finally {
      await dash.close();
    }
    const { child, out, err, exited } = serveChild([small, '--port', '0', '--host', '0.0.0.0', '--speed', '1']);
    try {
      for (let i = 0; i < 300 && !err().includes('anyone who can reach'); i++) await sleep(50);
      assert.match(out(), /^http:\/\/127\.0\.0\.1:\d+\/\n$/, 'standard output: the one URL scripts read');
      const port = new URL(out().trim()).port;
      assert.ok(err().includes(`\nhypermem: also at http://${hostname()}:${port}/`), err());
      await sleep(300);
      child.kill('SIGINT');
      assert.equal(await exited, 0);
      assert.match(err(), /\nhypermem: stopped at \d+(\.\d+)? (ms|s) of 40 s simulated \(the run was not finished\)\n$/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

