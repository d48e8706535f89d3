// `hypermem serve`: a live dashboard. Runs a scenario in slices on this
// process's event loop and serves, on a local HTTP port, a page that shows the
// run as it goes: the report's cards, charts and tables, redrawn as samples
// come in (server-sent events), with pause and resume. When the run is over
// the page links the full report and the summary, which are those `hypermem
// run` writes for the same scenario and seed.
//
// The simulation stays deterministic: slices only decide when the next events
// run, not which (Simulation.advance). The wall clock paces slices (--speed)
// and redraws; it lives here, in the CLI layer.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { hostname, networkInterfaces } from 'node:os';
import type { Scenario } from '../scenario/types.ts';
import { MAX_CLOCK_NS } from '../scenario/schema.ts';
import { EventBoundError, Simulation, type RunResult } from '../sim/simulation.ts';
import { dashboardPage, esc, reportParts, runReportHtml } from '../report/html.ts';
import { fmtDuration } from '../report/series.ts';
import { INTERNAL_ERROR, internalErrorText, UserError } from './errors.ts';
import { MemoryGuard, parseMaxMemory, scenarioSize, type MemoryLimit } from './memory.ts';
import { escapeControls, shorten } from '../scenario/errors.ts';
import { load, parseSeed, refuseClashes } from './run.ts';

export interface ServeOptions {
  seed?: string;
  set?: string[];
  port?: string;
  host?: string;
  speed?: string;
  verify?: boolean;
  quiet?: boolean;
  maxMemory?: string;
  allowHost?: string[];
}

export type RunStatus = 'running' | 'paused' | 'done' | 'failed';

/** What /api/state answers and each server-sent event carries (with `html` on the events). */
export interface DashboardState {
  /**
   * Which run this is: the scenario's name, the seed and when the server
   * started (ms since the epoch). A page left open while `serve` was
   * restarted on its port with another run sees that it is not its run.
   */
  run_id: string;
  status: RunStatus;
  scenario: string;
  seed: number;
  sim_time_ns: number;
  duration_ns: number;
  events: number;
  /** Simulated seconds per wall second, or null: as fast as it goes. */
  speed: number | null;
  /** Why the run stopped, when it failed. */
  message: string;
  /** The status line the page shows ("running: 12.0s of 70.0s simulated"). */
  status_text: string;
  summary: RunResult['summary'];
}

export interface Dashboard {
  url: string;
  /** Bound to every address: the page's URLs by this machine's host name and its addresses (none otherwise). */
  otherUrls: string[];
  /** Settles when the run is over (done or failed). */
  finished: Promise<RunStatus>;
  state(): DashboardState;
  close(): Promise<void>;
}

export interface DashboardOptions {
  host: string;
  port: number;
  speed: number | null;
  verify: boolean;
  /** The memory guard's limit (default: parseMaxMemory's); a run above it stops as a failed run. */
  memory?: MemoryLimit;
  /** The guard itself, in place of one made from `memory` (tests). */
  guard?: MemoryGuard;
  /** Redraws pushed to the page at most this often (ms). */
  pushEveryMs?: number;
  /** More names the Host header may give, with any port (--allow-host, as parseAllowHost gives them). */
  allowHosts?: string[];
  /** Event streams open at once at most (default MAX_CLIENTS); more are refused with 503. */
  maxClients?: number;
  /** Called at each drawing of the report's parts or of report.html (tests count them). */
  onRender?: (what: 'parts' | 'report') => void;
}

const SCRIPT = readFileSync(new URL('../report/dashboard.js', import.meta.url), 'utf8');
/** A slice runs events for at most this long before the server answers requests again. */
const SLICE_MS = 40;
/** Event streams open at once at most: each open page holds one, and a page that reconnects in a loop must not starve the run. */
export const MAX_CLIENTS = 64;
/** The names that reach only this machine: no page elsewhere can make them point at the server (DNS rebinding), so any port is theirs. */
const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];
/** Why a request that needs the run in another state is refused (409), by the run's status. */
const REFUSED: Record<RunStatus, string> = {
  running: 'the run is still going',
  paused: 'the run is paused',
  failed: 'the run stopped without finishing',
  done: 'the run is done',
};

/** --port: 0 (any free port) to 65535. */
export function parsePort(text: string | undefined): number {
  if (text === undefined) return 8080;
  // Spaces around it are let go, as for --seed, --seeds, --jobs and --shard.
  const digits = text.trim();
  if (!/^\d+$/.test(digits) || Number(digits) > 65535) throw new UserError(`--port: expected a port number from 0 to 65535 (0: any free port), found ${JSON.stringify(text)}`);
  return Number(digits);
}

/**
 * The slowest --speed: a simulated millisecond per wall second. Pacing lets
 * the run go speed × 10^6 simulated ns per wall ms; slower than this, a
 * 100 ms workload tick is more than 100 wall seconds away, and a 1 s sample
 * over a quarter of an hour: the page would not visibly move.
 */
export const MIN_SPEED = 0.001;
/**
 * The fastest --speed: the longest run a scenario may ask for (1000 h of
 * simulated time) in one wall second. Faster is `max` (the run's own pace
 * bounds it first), and this keeps the pacing arithmetic far from overflow.
 */
export const MAX_SPEED = MAX_CLOCK_NS / 1e9;

/** --speed: `max`, or simulated seconds per wall second (a positive number, from MIN_SPEED to MAX_SPEED). */
export function parseSpeed(text: string | undefined): number | null {
  // Spaces around it are let go, around max as around a number.
  if (text === undefined || text.trim() === 'max') return null;
  // Decimal only: Number() would also take 0x10, 0b11, '+5' and 'Infinity', which nobody means as a speed. Spaces around it are let go, as for --seed.
  const v = /^\d+(\.\d+)?(e[-+]?\d+)?$/i.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isFinite(v) || v <= 0) {
    throw new UserError(`--speed: expected "max" or simulated seconds per wall second (a decimal number from ${MIN_SPEED} to ${MAX_SPEED}, e.g. 10 or 2.5), found ${JSON.stringify(shorten(text))}`);
  }
  if (v < MIN_SPEED || v > MAX_SPEED) {
    const why = v < MIN_SPEED ? 'slower, the run would not visibly move' : 'the longest run, 1000 h, in one wall second; faster is "max"';
    throw new UserError(`--speed: expected "max" or from ${MIN_SPEED} to ${MAX_SPEED} simulated seconds per wall second (${why}), found ${JSON.stringify(shorten(text))}`);
  }
  return v;
}

/**
 * The name in a Host header or a URL's authority, as a browser writes it
 * ("LOCALHOST:8080" → "localhost", "[0::1]" → "[::1]"); null when the text is
 * not a host name or address with or without a port.
 */
export function hostOf(authority: string): string | null {
  if (!/^(\[[0-9a-f:.]+\]|[\w.-]+)(:\d*)?$/i.test(authority)) return null;
  try {
    // A trailing dot names the same host ("localhost.").
    return new URL(`http://${authority}/`).hostname.replace(/(.)\.$/, '$1');
  } catch {
    return null;
  }
}

/** --allow-host: a host name or address, with or without a port (any port is accepted); its name as hostOf gives it. */
export function parseAllowHost(text: string): string {
  if (text === '') throw new UserError('--allow-host: an empty name; give a host name or address by which the page is reached, e.g. myhost.example');
  if (/[\s/\\]/.test(text)) {
    throw new UserError(`--allow-host: expected a host name or address, not a URL or a list, found ${JSON.stringify(shorten(text))} (it holds a space or a slash)`);
  }
  // An IPv6 address as written without its brackets (2001:db8::7).
  const name = hostOf(/^[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*$/i.test(text) ? `[${text}]` : text);
  if (name === null) {
    throw new UserError(`--allow-host: expected a host name or address, with or without a port (e.g. myhost.example, 192.0.2.7:8080 or [2001:db8::7]), found ${JSON.stringify(shorten(text))}`);
  }
  return name;
}

/** Starts the run and the server; resolves once the server listens. */
export async function startDashboard(scenario: Scenario, options: DashboardOptions): Promise<Dashboard> {
  const guard = options.guard ?? new MemoryGuard(options.memory ?? parseMaxMemory(undefined), scenarioSize(scenario));
  let sim: Simulation;
  try {
    sim = guard.guarded(() => new Simulation(scenario, { verify: options.verify, onCheckpoint: (at) => guard.check(at) }));
  } catch (e) {
    // Booting the initial guests went over the memory limit: nothing to serve.
    if (e instanceof UserError) throw new UserError(`${scenario.file || scenario.name}: ${e.message}`);
    throw e;
  }
  const pushEveryMs = options.pushEveryMs ?? 500;
  let status: RunStatus = 'running';
  let message = '';
  let finalResult: RunResult | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  // Pacing (--speed): simulated time may reach paceSimNs + speed × (wall now − paceWallMs).
  let paceWallMs = Date.now();
  let paceSimNs = 0;
  let askedNs = 0;
  // A request came in since the last slice (the next one is short).
  let requested = false;
  let settle: (s: RunStatus) => void = () => {};
  const finished = new Promise<RunStatus>((resolve) => (settle = resolve));
  const clients = new Set<ServerResponse>();
  const maxClients = options.maxClients ?? MAX_CLIENTS;
  const runId = `${scenario.name}:${scenario.seed}:${Date.now()}`;

  // Drawing the report's parts takes 0.2–0.5 s on a big run, on the event
  // loop, and every page load, new event stream, push and /api/state wants
  // the state: each state is made once and shared. Its version moves
  // whenever it can change (a slice that ran the simulation on, pause,
  // resume, the end); what was made for an older version is dropped.
  let version = 0;
  let versionNs = -1;
  let pushedVersion = -1;
  let made: { version: number; state: DashboardState; json?: string; event?: { parts: Record<string, string>; text: string } } | null = null;
  const changed = (): void => {
    version++;
  };
  const current = (): NonNullable<typeof made> => {
    if (made === null || made.version !== version) {
      const r = finalResult ?? sim.result();
      const s = { status, sim_time_ns: sim.simulatedNs, duration_ns: scenario.durationNs, events: r.summary.events, message };
      made = { version, state: { run_id: runId, ...s, scenario: scenario.name, seed: scenario.seed, speed: options.speed, status_text: statusWords(s), summary: r.summary } };
    }
    return made;
  };
  const state = (): DashboardState => current().state;
  const stateJson = (): string => (current().json ??= JSON.stringify(state()) + '\n');
  // Drawing the charts takes a while on a big run: drawings are spaced at
  // least four times the last one's cost apart, so they take at most a fifth
  // of the time. Running, the state moves at every slice: the parts drawn
  // within that gap stand for it (open pages are redrawn no more often), or
  // page loads and new event streams, arriving between slices, would each
  // draw anew. Paused or over, the state holds, and its parts are drawn once.
  let drawGapMs = pushEveryMs;
  let drawn: { version: number; atMs: number; parts: Record<string, string> } | null = null;
  /** Whether the parts drawn last are due for a redraw while the run goes. */
  const redrawDue = (): boolean => drawn === null || Date.now() - drawn.atMs >= drawGapMs;
  const html = (): Record<string, string> => {
    if (drawn !== null && (drawn.version === version || (status === 'running' && !redrawDue()))) return drawn.parts;
    const start = Date.now();
    options.onRender?.('parts');
    // Launches the timeline has not made yet are due while the run goes on, not missing.
    const p = reportParts(finalResult ?? sim.result(), scenario, options.verify, status === 'running' || status === 'paused');
    const atMs = Date.now();
    // The first drawing also compiles the code that draws: its cost says little of the next ones'.
    drawGapMs = drawn === null ? pushEveryMs : Math.max(pushEveryMs, 4 * (atMs - start));
    drawn = { version, atMs, parts: { cards: p.cards, violations: p.violations, charts: p.charts, launches: p.launches, guests: p.guests } };
    return drawn.parts;
  };
  const event = (): string => {
    const m = current();
    const parts = html();
    // Made again when the parts were redrawn since (a paced run whose clock stood still for longer than the gap).
    if (m.event === undefined || m.event.parts !== parts) m.event = { parts, text: `event: state\ndata: ${JSON.stringify({ ...m.state, html: parts })}\n\n` };
    return m.event.text;
  };
  // The files of a finished run, made at the first request for them and kept (they no longer change).
  let reportText: string | null = null;
  let summaryText: string | null = null;

  const push = (): void => {
    // Each stream got the current state when it opened, or at the last push.
    if (clients.size === 0 || pushedVersion === version) return;
    pushedVersion = version;
    const data = event();
    for (const c of clients) c.write(data);
  };

  const schedule = (delayMs: number): void => {
    if (closed || timer !== null || status === 'done' || status === 'failed' || status === 'paused') return;
    timer = setTimeout(step, delayMs);
  };
  function step(): void {
    timer = null;
    if (closed || status !== 'running') return;
    // Node takes in about one new connection between two slices: while requests come in (a page's, a burst of them), slices are short.
    const sliceEnd = Date.now() + (requested ? SLICE_MS / 8 : SLICE_MS);
    requested = false;
    // A tenth of a sample at a time: an advance runs to its end however long it takes (a sample of a big run takes 0.1 s and more), so that the slice ends near its time.
    const stepNs = Math.max(1, Math.floor(scenario.sampleIntervalNs / 10));
    let caughtUp = false;
    try {
      while (Date.now() < sliceEnd) {
        // From where the last advance went to: the simulated clock stands at the last event run, which may be before.
        const from = Math.max(askedNs, sim.simulatedNs);
        let until = from + stepNs;
        let atPace = false;
        if (options.speed !== null) {
          const allowed = paceSimNs + Math.floor(options.speed * 1e6 * (Date.now() - paceWallMs));
          if (allowed <= from) {
            caughtUp = true;
            break;
          }
          if (allowed < until) {
            until = allowed;
            atPace = true;
          }
        }
        askedNs = until;
        if (guard.guarded(() => sim.advance(until))) {
          status = 'done';
          break;
        }
        // Paced, and up to the pace: wait instead of spinning.
        if (atPace) {
          caughtUp = true;
          break;
        }
      }
    } catch (e) {
      // The run's event bound, or the memory guard: the run stops, the server stays.
      status = 'failed';
      if (e instanceof EventBoundError || e instanceof UserError) message = `${scenario.file || scenario.name}: ${e.message}`;
      else {
        // A fault of hypermem itself: said on standard error with its stack, and on the page; the server stays too (exit 1 at the end).
        process.stderr.write(internalErrorText(e));
        message = `${INTERNAL_ERROR} (${e instanceof Error ? e.message : String(e)})`;
      }
    }
    if (status === 'done' || status === 'failed') {
      if (status === 'done') finalResult = sim.result();
      changed();
      push();
      settle(status);
      return;
    }
    // Time moves whenever an event runs (those of one instant run in one advance), except at the start.
    if (sim.simulatedNs !== versionNs) {
      versionNs = sim.simulatedNs;
      changed();
    }
    if (redrawDue()) push();
    // Ahead of the pace: wait a little; otherwise let requests in, then go on.
    schedule(caughtUp ? 20 : 0);
  }

  const pause = (): boolean => {
    if (status !== 'running') return false;
    status = 'paused';
    if (timer !== null) clearTimeout(timer);
    timer = null;
    changed();
    push();
    return true;
  };
  const resume = (): boolean => {
    if (status !== 'paused') return false;
    status = 'running';
    paceWallMs = Date.now();
    // From where the run has got to: the last advance may have gone past the last event's time.
    paceSimNs = Math.max(askedNs, sim.simulatedNs);
    changed();
    push();
    schedule(0);
    return true;
  };

  const server = createServer((req, res) => {
    requested = true;
    try {
      route(req, res);
    } catch (e) {
      // A fault of ours on one request: answer it, keep serving.
      send(res, 500, 'text/plain; charset=utf-8', `hypermem: ${(e as Error).message}\n`);
    }
  });
  // Node's server closes a CONNECT (a proxy's method) without a word when nothing listens for it: say it is not served.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    const body = 'hypermem: CONNECT is not served here (this is not a proxy)\n';
    socket.on('error', () => {});
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, POST\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  let origin = '';
  // The host names (no port) a request may give for this server; set once it listens.
  const allowedNames = new Set<string>();
  const allowed = (authority: string): boolean => {
    const name = hostOf(authority);
    return name !== null && allowedNames.has(name);
  };

  function route(req: IncomingMessage, res: ServerResponse): void {
    // Two Host headers: which one names the server is anyone's guess (Node keeps the first; a proxy may have read the other). RFC 9112 says 400.
    let hostHeaders = 0;
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'host') hostHeaders++;
    if (hostHeaders > 1) {
      send(res, 400, 'text/plain; charset=utf-8', 'hypermem: more than one Host header\n');
      return;
    }
    // No Host at all (an HTTP/1.0 client, a hand-written request): the name cannot be checked, so it is refused, saying so. RFC 9112 says 400 for HTTP/1.1.
    if (hostHeaders === 0) {
      send(res, 400, 'text/plain; charset=utf-8', 'hypermem: no Host header: this server answers only requests that name it (send Host: 127.0.0.1 or the name in its URL)\n');
      return;
    }
    // Only this machine's names for the server (a page elsewhere cannot reach it by DNS rebinding); the port is not checked (an SSH tunnel or a NAT changes it).
    if (!allowed(req.headers.host ?? '')) {
      send(res, 403, 'text/plain; charset=utf-8', 'hypermem: unknown Host header\n');
      return;
    }
    // Any origin that parses will do to read the path (a link-local address's zone does not parse).
    const path = requestPath(req.url ?? '/', 'http://127.0.0.1', allowed);
    if (path === null) {
      send(res, 400, 'text/plain; charset=utf-8', 'hypermem: the request target is not a path on this server\n');
      return;
    }
    const get = (): boolean => {
      if (req.method === 'GET' || req.method === 'HEAD') return true;
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', `hypermem: ${path} answers GET\n`);
      return false;
    };
    switch (path) {
      case '/':
        if (get()) send(res, 200, 'text/html; charset=utf-8', page());
        return;
      case '/dashboard.js':
        if (get()) send(res, 200, 'text/javascript; charset=utf-8', SCRIPT);
        return;
      case '/api/state':
        if (get()) send(res, 200, 'application/json', stateJson());
        return;
      case '/events':
        if (!get()) return;
        if (req.method === 'HEAD') {
          send(res, 200, 'text/event-stream', '');
          return;
        }
        // A client that hung up while its request waited gets nothing drawn for it.
        if (req.socket.destroyed) return;
        if (clients.size >= maxClients) {
          send(res, 503, 'text/plain; charset=utf-8', `hypermem: too many open dashboards (${maxClients} pages follow this run already); close some of them, then reload this one\n`);
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
        res.write(event());
        clients.add(res);
        res.on('close', () => clients.delete(res));
        return;
      case '/report.html':
      case '/summary.json': {
        if (!get()) return;
        if (finalResult === null) {
          // A run that stopped (max_events, memory) will never finish: say so rather than "once it is done".
          const error = status === 'failed' ? `${REFUSED[status]}, so there is no ${path} (only a run that finishes has one)` : `${REFUSED[status]}: ${path} exists once it is done`;
          send(res, 409, 'application/json', JSON.stringify({ error, status, run_id: runId }) + '\n');
          return;
        }
        if (path === '/report.html') {
          if (reportText === null) {
            options.onRender?.('report');
            reportText = runReportHtml(finalResult, scenario);
          }
          send(res, 200, 'text/html; charset=utf-8', reportText);
        } else send(res, 200, 'application/json', (summaryText ??= JSON.stringify(finalResult.summary, null, 2) + '\n'));
        return;
      }
      case '/api/pause':
      case '/api/resume': {
        if (req.method !== 'POST') {
          res.setHeader('Allow', 'POST');
          send(res, 405, 'text/plain; charset=utf-8', `hypermem: ${path} answers POST\n`);
          return;
        }
        // A form on another site cannot set this header; a script there would need a CORS preflight, which is refused.
        if (req.headers['x-hypermem'] !== '1') {
          send(res, 403, 'text/plain; charset=utf-8', 'hypermem: control requests need the header X-Hypermem: 1\n');
          return;
        }
        const ok = path === '/api/pause' ? pause() : resume();
        if (ok) send(res, 200, 'application/json', stateJson());
        else send(res, 409, 'application/json', JSON.stringify({ error: REFUSED[status], status, run_id: runId }) + '\n');
        return;
      }
      default:
        send(res, 404, 'text/plain; charset=utf-8', `hypermem: no page ${path} (try /)\n`);
    }
  }

  function page(): string {
    const p = html();
    const st = state();
    // The buttons as the status has them before the script's first event (a page loaded while paused offers Resume); the script compares run_id with its events'.
    const off = (on: boolean): string => (on ? '' : ' disabled');
    const bar = `<section class="live" id="live" aria-live="polite" data-run="${esc(runId)}">
<span class="status ${st.status}" id="status">${esc(st.status_text)}</span>
<progress id="progress" max="${st.duration_ns}" value="${st.sim_time_ns}"></progress>
<button type="button" id="pause"${off(st.status === 'running')}>Pause</button><button type="button" id="resume"${off(st.status === 'paused')}>Resume</button>
<span id="links"></span>
</section>`;
    return dashboardPage(scenario, `${bar}\n<div id="parts">${p.cards}${p.violations}${p.charts}${p.launches}${p.guests}</div>`, '/dashboard.js');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UserError(`--port ${options.port}: ${options.host}:${options.port} is in use; pick another port, or --port 0 for any free one`));
      else if (e.code === 'EACCES') reject(new UserError(`--port ${options.port}: not allowed to listen on ${options.host}:${options.port}; pick a port above 1023`));
      else if (e.code === 'EADDRNOTAVAIL') reject(new UserError(`--host ${shorten(options.host)}: no such address on this machine`));
      // Not an IP address (999.1.1.1 is not one), so taken as a name, and no name resolves to anything.
      else if (e.code === 'ENOTFOUND') reject(new UserError(`--host ${shorten(options.host)}: not an IP address, nor a name this machine resolves`));
      // Anything else the system says of the address (EINVAL for a link-local or multicast one, a name too long to look up, …).
      else if (typeof e.code === 'string') reject(new UserError(`--host ${shorten(options.host)}: cannot listen there (${e.code})`));
      else reject(e);
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const bracket = (h: string): string => (h.includes(':') ? `[${h}]` : h);
  // Bound to every address (0.0.0.0, ::): the page is reached by this machine's names and addresses.
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  // A link-local address's zone (fe80::1%eth0) is not part of the Host a client sends; in a URL its % is written %25.
  const names = [bracket(options.host.replace(/%.*$/, '')), ...LOOPBACK, ...(options.allowHosts ?? [])];
  const otherUrls: string[] = [];
  if (wildcard) {
    names.push(hostname());
    otherUrls.push(`http://${hostname()}:${port}/`);
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) {
        names.push(bracket(a.address));
        // Printed: the addresses another machine can use; 0.0.0.0 listens on IPv4 only, and a link-local IPv6 address needs a zone no browser takes.
        if (a.internal || (options.host === '0.0.0.0' && a.family !== 'IPv4') || /^fe80:/i.test(a.address)) continue;
        otherUrls.push(`http://${bracket(a.address)}:${port}/`);
      }
    }
  }
  for (const h of names) {
    const name = hostOf(h);
    if (name !== null) allowedNames.add(name);
  }
  origin = `http://${wildcard ? '127.0.0.1' : bracket(options.host.replace('%', '%25'))}:${port}`;
  schedule(0);

  return {
    url: `${origin}/`,
    otherUrls,
    finished,
    state,
    close: async () => {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      for (const c of clients) c.end();
      clients.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections with no request under way (a browser's spare one, a client that sent half a request) would hold the server open until they close.
      server.closeAllConnections();
      await stopped;
    },
  };
}

/**
 * The path a request names: its target in origin form (`/api/state`,
 * appended to the origin, not resolved: '//api/state' is a path here, not a
 * URL naming the host 'api'), or in absolute form (`http://host:port/api/state`,
 * which HTTP/1.1 servers must accept) when it names this server by one of
 * the names its Host header may give (`allowed`). Null for anything else
 * (`*`, another server, not a URL).
 */
export function requestPath(target: string, origin: string, allowed: (authority: string) => boolean): string | null {
  try {
    if (target.startsWith('/')) return new URL(`${origin}${target}`).pathname;
    const url = new URL(target);
    return url.protocol === 'http:' && allowed(url.host) ? url.pathname : null;
  } catch {
    return null;
  }
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

/** "running: 12.0s of 70.0s simulated" and the like (the page shows it as the server words it). */
export function statusWords(s: Pick<DashboardState, 'status' | 'sim_time_ns' | 'duration_ns' | 'events' | 'message'>): string {
  const at = `${fmtDuration(s.sim_time_ns)} of ${fmtDuration(s.duration_ns)} simulated`;
  switch (s.status) {
    case 'running':
      return `running: ${at}`;
    case 'paused':
      return `paused: ${at}`;
    case 'done':
      return `done: ${fmtDuration(s.duration_ns)} simulated, ${s.events} events`;
    case 'failed':
      return `stopped: ${s.message}`;
  }
}

/** The command: serves until Ctrl-C (SIGINT) or SIGTERM. */
export async function serveCommand(file: string, options: ServeOptions): Promise<number> {
  refuseClashes(options.set ?? [], options.seed);
  const port = parsePort(options.port);
  const speed = parseSpeed(options.speed);
  const memory = parseMaxMemory(options.maxMemory);
  const host = options.host ?? '127.0.0.1';
  if (host.trim() === '') throw new UserError('--host: an empty address; give one, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every address)');
  const allowHosts = (options.allowHost ?? []).map(parseAllowHost);
  const scenario = load(file, options.set ?? [], parseSeed(options.seed));
  const say = (line: string): void => {
    if (options.quiet !== true) process.stderr.write(`hypermem: ${escapeControls(line)}\n`);
  };
  const dash = await startDashboard(scenario, { host, port, speed, verify: options.verify === true, memory, allowHosts });
  // Ctrl-C and SIGTERM are heard from before the URL is printed: a script
  // that stops the server as soon as it reads the URL must not find the
  // signal's default action (death by signal, exit 143) still in place.
  // (Not before the start: a boot that takes long stays killable at once.)
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // The URL goes to standard output (a script can read it); the rest is commentary.
  process.stdout.write(`${dash.url}\n`);
  say(`serving ${scenario.name} at ${dash.url} (${speed === null ? 'as fast as it runs' : `${speed} simulated s per second`}); Ctrl-C to stop`);
  if (dash.otherUrls.length > 0) say(`also at ${dash.otherUrls.join(', ')} (this machine's name and addresses)`);
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') say(`--host ${host}: anyone who can reach this address can pause and resume the run`);
  void dash.finished.then((s) => {
    const st = dash.state();
    if (s === 'done') say(`run done (${st.events} events); the report is at ${dash.url}report.html, the summary at ${dash.url}summary.json`);
    else say(`run stopped: ${st.message}`);
  });
  await stopped;
  await dash.close();
  const st = dash.state();
  if (st.status === 'running' || st.status === 'paused') say(`stopped at ${fmtDuration(st.sim_time_ns)} of ${fmtDuration(st.duration_ns)} simulated (the run was not finished)`);
  if (st.status === 'failed') return st.message.startsWith(INTERNAL_ERROR) ? 1 : 2;
  return st.summary.invariant_violations > 0 ? 3 : 0;
}
