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
import { hostname, networkInterfaces } from 'node:os';
import type { Scenario } from '../scenario/types.ts';
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
}

export type RunStatus = 'running' | 'paused' | 'done' | 'failed';

/** What /api/state answers and each server-sent event carries (with `html` on the events). */
export interface DashboardState {
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
}

const SCRIPT = readFileSync(new URL('../report/dashboard.js', import.meta.url), 'utf8');
/** A slice runs events for at most this long before the server answers requests again. */
const SLICE_MS = 40;

/** --port: 0 (any free port) to 65535. */
export function parsePort(text: string | undefined): number {
  if (text === undefined) return 8080;
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UserError(`--port: expected a port number from 0 to 65535 (0: any free port), found ${JSON.stringify(text)}`);
  return Number(text);
}

/** --speed: `max`, or simulated seconds per wall second (a positive number). */
export function parseSpeed(text: string | undefined): number | null {
  if (text === undefined || text === 'max') return null;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) {
    throw new UserError(`--speed: expected "max" or simulated seconds per wall second (a number above 0, e.g. 10), found ${JSON.stringify(text)}`);
  }
  return v;
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
  let lastPushMs = 0;
  let settle: (s: RunStatus) => void = () => {};
  const finished = new Promise<RunStatus>((resolve) => (settle = resolve));
  const clients = new Set<ServerResponse>();

  const state = (): DashboardState => {
    const r = finalResult ?? sim.result();
    const s = { status, sim_time_ns: sim.simulatedNs, duration_ns: scenario.durationNs, events: r.summary.events, message };
    return { ...s, scenario: scenario.name, seed: scenario.seed, speed: options.speed, status_text: statusWords(s), summary: r.summary };
  };
  const html = (): Record<string, string> => {
    const p = reportParts(finalResult ?? sim.result(), scenario, options.verify);
    return { cards: p.cards, violations: p.violations, charts: p.charts, launches: p.launches, guests: p.guests };
  };
  // Drawing the charts takes a while on a big run: redraws are spaced at least
  // four times the last one's cost apart, so they take at most a fifth of the time.
  let pushGapMs = pushEveryMs;
  const push = (): void => {
    const start = Date.now();
    lastPushMs = start;
    if (clients.size === 0) return;
    const data = `event: state\ndata: ${JSON.stringify({ ...state(), html: html() })}\n\n`;
    for (const c of clients) c.write(data);
    lastPushMs = Date.now();
    pushGapMs = Math.max(pushEveryMs, 4 * (lastPushMs - start));
  };

  const schedule = (delayMs: number): void => {
    if (closed || timer !== null || status === 'done' || status === 'failed' || status === 'paused') return;
    timer = setTimeout(step, delayMs);
  };
  function step(): void {
    timer = null;
    if (closed || status !== 'running') return;
    const sliceEnd = Date.now() + SLICE_MS;
    const sampleNs = Math.max(1, scenario.sampleIntervalNs);
    let caughtUp = false;
    try {
      while (Date.now() < sliceEnd) {
        let until = sim.simulatedNs + sampleNs;
        if (options.speed !== null) {
          const allowed = paceSimNs + Math.floor(options.speed * 1e6 * (Date.now() - paceWallMs));
          if (allowed <= sim.simulatedNs) {
            caughtUp = true;
            break;
          }
          until = Math.min(until, allowed);
        }
        const before = sim.simulatedNs;
        if (guard.guarded(() => sim.advance(until))) {
          status = 'done';
          break;
        }
        // Paced, and the next event lies beyond the pace: wait instead of spinning.
        if (options.speed !== null && sim.simulatedNs === before && until < before + sampleNs) {
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
      push();
      settle(status);
      return;
    }
    if (Date.now() - lastPushMs >= pushGapMs) push();
    // Ahead of the pace: wait a little; otherwise let requests in, then go on.
    schedule(caughtUp ? 20 : 0);
  }

  const pause = (): boolean => {
    if (status !== 'running') return false;
    status = 'paused';
    if (timer !== null) clearTimeout(timer);
    timer = null;
    push();
    return true;
  };
  const resume = (): boolean => {
    if (status !== 'paused') return false;
    status = 'running';
    paceWallMs = Date.now();
    paceSimNs = sim.simulatedNs;
    push();
    schedule(0);
    return true;
  };

  const server = createServer((req, res) => {
    try {
      route(req, res);
    } catch (e) {
      // A fault of ours on one request: answer it, keep serving.
      send(res, 500, 'text/plain; charset=utf-8', `hypermem: ${(e as Error).message}\n`);
    }
  });
  let origin = '';
  const allowedHosts = new Set<string>();

  function route(req: IncomingMessage, res: ServerResponse): void {
    // Only this machine's names for the server (a page elsewhere cannot reach it by DNS rebinding).
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      send(res, 403, 'text/plain; charset=utf-8', 'hypermem: unknown Host header\n');
      return;
    }
    const path = requestPath(req.url ?? '/', origin, allowedHosts);
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
        if (get()) send(res, 200, 'application/json', JSON.stringify(state()) + '\n');
        return;
      case '/events':
        if (!get()) return;
        if (req.method === 'HEAD') {
          send(res, 200, 'text/event-stream', '');
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
        res.write(`event: state\ndata: ${JSON.stringify({ ...state(), html: html() })}\n\n`);
        clients.add(res);
        req.on('close', () => clients.delete(res));
        return;
      case '/report.html':
      case '/summary.json': {
        if (!get()) return;
        if (finalResult === null) {
          send(res, 409, 'application/json', JSON.stringify({ error: `the run is ${status}: ${path} exists once it is done`, status }) + '\n');
          return;
        }
        if (path === '/report.html') send(res, 200, 'text/html; charset=utf-8', runReportHtml(finalResult, scenario));
        else send(res, 200, 'application/json', JSON.stringify(finalResult.summary, null, 2) + '\n');
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
        if (ok) send(res, 200, 'application/json', JSON.stringify(state()) + '\n');
        else send(res, 409, 'application/json', JSON.stringify({ error: `the run is ${status}`, status }) + '\n');
        return;
      }
      default:
        send(res, 404, 'text/plain; charset=utf-8', `hypermem: no page ${path} (try /)\n`);
    }
  }

  function page(): string {
    const p = html();
    const bar = `<section class="live" id="live" aria-live="polite">
<span class="status ${status}" id="status">${esc(state().status_text)}</span>
<progress id="progress" max="${scenario.durationNs}" value="${sim.simulatedNs}"></progress>
<button type="button" id="pause">Pause</button><button type="button" id="resume" disabled>Resume</button>
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
  const names = [bracket(options.host), 'localhost', '127.0.0.1', '[::1]'];
  if (wildcard) {
    names.push(hostname());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.push(bracket(a.address));
  }
  for (const h of names) {
    allowedHosts.add(`${h}:${port}`.toLowerCase());
    // A browser leaves the port out of Host when it is the default one.
    if (port === 80) allowedHosts.add(h.toLowerCase());
  }
  origin = `http://${wildcard ? '127.0.0.1' : bracket(options.host)}:${port}`;
  schedule(0);

  return {
    url: `${origin}/`,
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
 * the names its Host header may give (`hosts`). Null for anything else
 * (`*`, another server, not a URL).
 */
export function requestPath(target: string, origin: string, hosts: ReadonlySet<string>): string | null {
  try {
    if (target.startsWith('/')) return new URL(`${origin}${target}`).pathname;
    const url = new URL(target);
    return url.protocol === 'http:' && hosts.has(url.host.toLowerCase()) ? url.pathname : null;
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
  const scenario = load(file, options.set ?? [], parseSeed(options.seed));
  const say = (line: string): void => {
    if (options.quiet !== true) process.stderr.write(`hypermem: ${escapeControls(line)}\n`);
  };
  const dash = await startDashboard(scenario, { host, port, speed, verify: options.verify === true, memory });
  // The URL goes to standard output (a script can read it); the rest is commentary.
  process.stdout.write(`${dash.url}\n`);
  say(`serving ${scenario.name} at ${dash.url} (${speed === null ? 'as fast as it runs' : `${speed} simulated s per second`}); Ctrl-C to stop`);
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') say(`--host ${host}: anyone who can reach this address can pause and resume the run`);
  void dash.finished.then((s) => {
    const st = dash.state();
    if (s === 'done') say(`run done (${st.events} events); the report is at ${dash.url}report.html, the summary at ${dash.url}summary.json`);
    else say(`run stopped: ${st.message}`);
  });
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await dash.close();
  const st = dash.state();
  if (st.status === 'failed') return st.message.startsWith(INTERNAL_ERROR) ? 1 : 2;
  return st.summary.invariant_violations > 0 ? 3 : 0;
}
