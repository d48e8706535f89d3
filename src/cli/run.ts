// `hypermem run` and `hypermem compare`: load a scenario, run the simulator,
// print a summary (a table, or --json), and optionally write the run's files
// to --out DIR (written to a temporary folder first and renamed into place, so
// a failed run leaves no half-written DIR).

import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import { loadScenario, ScenarioError } from '../scenario/load.ts';
import { escapeControls, shownFlag } from '../scenario/errors.ts';
import type { Scenario } from '../scenario/types.ts';
import { EventBoundError, Simulation, type RunResult } from '../sim/simulation.ts';
import type { Summary } from '../sim/metrics.ts';
import { eventsJsonl, timeseriesCsv } from '../report/files.ts';
import { compareSeedsTable, compareTable, runTable } from '../report/text.ts';
import type { SeedsVariant } from '../report/seeds.ts';
import type { CompareVariant } from '../report/html.ts';
import { UserError } from './errors.ts';
import { parsePath, pathProblem } from '../scenario/overrides.ts';
import { MemoryGuard, parseMaxMemory, scenarioSize, type MemoryLimit } from './memory.ts';
import { checkOutDir, writeOut } from './outdir.ts';
import { canonicalPath, flagPath, earlierOverlaps, MAX_RUNS, parseCount, pathRelation, openAtEnd, refuseRepeats, splitTopLevel } from '../sweep/grid.ts';
import { RunFailed, runPoolFull } from '../sweep/pool.ts';

export { writeOut, splitTopLevel };

export interface RunOptions {
  seed?: string;
  /** compare only: runs per variant, seed, seed+1, …. */
  seeds?: string;
  /** compare only: worker threads (1: every run in this process, one after another). */
  jobs?: string;
  set?: string[];
  json?: boolean;
  out?: string;
  quiet?: boolean;
  verify?: boolean;
  /** The memory limit (--max-memory: a size or a percent of the machine's memory). */
  maxMemory?: string;
}

/**
 * Refuses two flags that set the same field: --set seed=… with --seed, or one
 * field in two --set (the last would silently win).
 */
export function refuseClashes(sets: readonly string[], seed: string | undefined): void {
  const clashes = earlierOverlaps(sets.map(flagPath));
  for (const [i, s] of sets.entries()) {
    const key = canonicalPath(flagPath(s));
    if (key === '') continue;
    if (key === 'seed' && seed !== undefined) throw new UserError(`--set ${s} and --seed ${seed} both set the seed; give one of them`);
    const clash = clashes[i];
    if (clash === null) continue;
    const other = sets[clash.other];
    if (clash.relation === 'same') throw new UserError(`--set ${s}: ${flagPath(s)} is already set by --set ${other}; give each field once`);
    throw new UserError(`--set ${s}: ${flagPath(s)} overlaps ${flagPath(other)}, set by --set ${other} (one is part of the other); give each field once`);
  }
}

/** Parses --seed: an integer, or a clear error. */
export function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  // Spaces around it are let go, as for --seeds, --jobs and --shard.
  const digits = text.trim();
  if (!/^-?\d+$/.test(digits)) throw new UserError(`--seed: expected an integer, found ${JSON.stringify(text)}`);
  if (!Number.isSafeInteger(Number(digits))) throw new UserError(`--seed: expected an integer, found ${JSON.stringify(text)} (too large: at most 2^53-1 either side of 0)`);
  return Number(digits);
}

export function load(file: string, sets: string[], seed?: number): Scenario {
  try {
    const scenario = loadScenario(file, sets);
    if (seed !== undefined) scenario.seed = seed;
    return scenario;
  } catch (e) {
    if (e instanceof ScenarioError) throw new UserError(e.message);
    throw e;
  }
}

export interface SimulateOptions {
  quiet: boolean;
  verify: boolean;
  label?: string;
  /** The run stops with a UserError when the process holds more (default: parseMaxMemory's). */
  memory?: MemoryLimit;
  /** The guard itself, in place of one made from `memory` (tests give one with their own clock and resident set). */
  guard?: MemoryGuard;
}

/** Runs one scenario with a progress bar on a TTY (unless quiet or json), under a memory limit. */
export function simulate(scenario: Scenario, options: SimulateOptions): RunResult {
  const guard = options.guard ?? new MemoryGuard(options.memory ?? parseMaxMemory(undefined), scenarioSize(scenario));
  const showBar = !options.quiet && process.stderr.isTTY === true;
  const startedMs = Date.now();
  let bar: cliProgress.SingleBar | null = null;
  let bootBar: cliProgress.SingleBar | null = null;
  let paceFrom: { ms: number; permille: number } | null = null;
  try {
    // Construction boots the initial guests, under the memory guard too; each large table growth asks it first.
    return guard.guarded(() => new Simulation(scenario, {
      verify: options.verify,
      onCheckpoint: (at) => {
        guard.check(at);
        // A bar for the boot of many initial guests (it can take minutes); gone when they are up.
        if (!showBar) return;
        if (at.booted < at.guests) {
          if (bootBar === null && Date.now() - startedMs > 300) {
            bootBar = new cliProgress.SingleBar(
              { format: `${escapeControls(options.label ?? scenario.name)} booting [{bar}] {value}/{total} guests | {eta}s left`, stream: process.stderr, hideCursor: false },
              cliProgress.Presets.shades_classic,
            );
            bootBar.start(at.guests, at.booted);
          }
          bootBar?.update(at.booted);
        } else if (bootBar !== null) {
          bootBar.update(at.booted);
          bootBar.stop();
          bootBar = null;
        }
      },
      onProgress: (simNs, durationNs) => {
        if (!showBar) return;
        if (bar === null && Date.now() - startedMs > 300) {
          bar = new cliProgress.SingleBar(
            // The cursor stays visible: the simulation runs synchronously, so after a
            // Ctrl-C no handler could show a hidden cursor again.
            { format: `${escapeControls(options.label ?? scenario.name)} [{bar}] {percentage}% | simulated {sim} of {total_sim} | {left} left`, stream: process.stderr, hideCursor: false },
            cliProgress.Presets.shades_classic,
          );
          // Started where the run is (it appears after 300 ms), so its first frame's percent agrees with its "simulated".
          bar.start(1000, progressPermille(simNs, durationNs), { sim: fmtDuration(simNs), total_sim: fmtDuration(durationNs), left: '?' });
        }
        const permille = progressPermille(simNs, durationNs);
        // The pace is measured from the first report on, so the guests' boot does not count as simulated time.
        if (paceFrom === null) paceFrom = { ms: Date.now(), permille };
        bar?.update(permille, { sim: fmtDuration(simNs), total_sim: fmtDuration(durationNs), left: timeLeft(Date.now() - paceFrom.ms, permille - paceFrom.permille, 1000 - permille) });
      },
    }).run());
  } catch (e) {
    // Stops of the run itself (its event bound, the memory guard) name the scenario.
    if (e instanceof EventBoundError || e instanceof UserError) throw new UserError(`${scenario.file || scenario.name}: ${e.message}`);
    throw e;
  } finally {
    (bootBar as cliProgress.SingleBar | null)?.stop();
    (bar as cliProgress.SingleBar | null)?.stop();
  }
}

/**
 * Wall time left for `leftPermille` at the pace of the last `elapsedMs`, in
 * which `donePermille` were done ("?" before any is done): the run's own
 * clock, not the bar's, whose estimate starts at 0.
 */
export function timeLeft(elapsedMs: number, donePermille: number, leftPermille: number): string {
  if (donePermille <= 0) return '?';
  return `${Math.round((elapsedMs * leftPermille) / donePermille / 1000)}s`;
}

/** The progress bar's position, in thousandths of the run. */
export function progressPermille(simNs: number, durationNs: number): number {
  return durationNs > 0 ? Math.floor((simNs / durationNs) * 1000) : 1000;
}

export function fmtDuration(ns: number): string {
  const s = ns / 1e9;
  if (s < 120) return `${s.toFixed(1)}s`;
  if (s < 7200) return `${(s / 60).toFixed(1)}min`;
  return `${(s / 3600).toFixed(1)}h`;
}

export function runFiles(result: RunResult, scenario: Scenario): Record<string, string> {
  return {
    'summary.json': JSON.stringify(result.summary, null, 2) + '\n',
    'timeseries.csv': timeseriesCsv(result.samples, scenario, result.events),
    'events.jsonl': eventsJsonl(result.events),
  };
}

export function runCommand(file: string, options: RunOptions, extraFiles?: (r: RunResult, s: Scenario) => Record<string, string>): number {
  refuseClashes(options.set ?? [], options.seed);
  const memory = parseMaxMemory(options.maxMemory);
  const scenario = load(file, options.set ?? [], parseSeed(options.seed));
  if (options.out !== undefined) checkOutDir(options.out, ['summary.json', 'timeseries.csv', 'events.jsonl', 'report.html']);
  const result = simulate(scenario, { quiet: options.quiet === true || options.json === true, verify: options.verify === true, memory });
  if (options.out !== undefined) {
    writeOut(options.out, { ...runFiles(result, scenario), ...(extraFiles?.(result, scenario) ?? {}) });
  }
  if (options.json === true) {
    process.stdout.write(JSON.stringify(result.summary) + '\n');
  } else if (options.quiet !== true) {
    process.stdout.write(runTable(result.summary, scenario, result.events));
    if (options.out !== undefined) process.stdout.write(`\nwrote ${options.out}/ (summary.json, timeseries.csv, events.jsonl${extraFiles ? ', report.html' : ''})\n`);
  }
  return result.summary.invariant_violations > 0 ? 3 : 0;
}

/** The value part of `path=value` ('' when there is no '='). */
function setValue(text: string): string {
  const eq = text.indexOf('=');
  return eq < 0 ? '' : text.slice(eq + 1);
}

/**
 * Splits `path=a,b,c` into the path and its values, white space around each
 * trimmed (as `sweep --grid` does): `none, claim` compares `claim`, so its
 * label and `overrides` read as `run --set path=claim` does.
 */
export function parseCompareSet(text: string): { path: string; values: string[] } {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new UserError(`--set ${text}: expected path=a,b,c`);
  const values = splitTopLevel(text.slice(eq + 1)).map((v) => v.trim());
  if (values.some((v) => v === '')) throw new UserError(`--set ${text}: an empty value in the list`);
  refuseRepeats(`--set ${text}`, values);
  // A malformed path is named with the flag as given, not with the first value's run.
  const path = text.slice(0, eq).trim();
  if (parsePath(path) === null) throw new UserError(`--set ${text}: ${pathProblem(path)}`);
  return { path, values };
}

export type { CompareVariant };

/** One variant of a comparison: a failure names the variant, as a sweep names its run. */
function simulateVariant(scenario: Scenario, options: SimulateOptions & { label: string }): RunResult {
  try {
    return simulate(scenario, options);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`variant ${options.label}: ${e.message}`, e.exitCode);
    throw e;
  }
}

/** Most runs of one variant (`compare --seeds`): a comparison keeps every run's samples and events for its report; larger studies are sweeps. */
export const MAX_COMPARE_SEEDS = 1000;

/** Most runs of one comparison (values × seeds), for the same reason: checked before any scenario is loaded. */
export const MAX_COMPARE_RUNS = 2000;

/** Most worker threads of one comparison (as for a sweep). */
export const MAX_COMPARE_JOBS = 256;

/**
 * Runs a comparison's scenarios: in this process one after another (one
 * job, or one run), each with its progress bar; else on a pool of worker
 * threads (the same runs, the same bytes), with a bar counting finished runs.
 */
async function runAll(
  file: string,
  runs: { label: string; sets: string[]; scenario: Scenario }[],
  options: { quiet: boolean; verify: boolean; jobs: number; maxMemory: string | undefined },
): Promise<RunResult[]> {
  if (options.jobs === 1 || runs.length === 1) {
    const memory = parseMaxMemory(options.maxMemory);
    return runs.map((r) => simulateVariant(r.scenario, { quiet: options.quiet, verify: options.verify, label: r.label, memory }));
  }
  const showBar = !options.quiet && process.stderr.isTTY === true;
  const bar = showBar
    ? new cliProgress.SingleBar(
        { format: `compare ${runs[0].scenario.name} [{bar}] {value}/{total} runs | {eta_formatted} left`, stream: process.stderr, hideCursor: false, etaBuffer: 20 },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(runs.length, 0);
  try {
    return await runPoolFull(
      runs.map((r) => ({ file, sets: r.sets, seed: r.scenario.seed, verify: options.verify, maxMemory: options.maxMemory })),
      options.jobs,
      () => bar?.increment(),
    );
  } catch (e) {
    if (!(e instanceof RunFailed)) throw e;
    throw e.toError(`variant ${runs[e.index].label}: ${e.message}`);
  } finally {
    bar?.stop();
  }
}

export async function compareCommand(
  file: string,
  options: RunOptions,
  extraFiles?: (variants: CompareVariant[], overSeeds: SeedsVariant[] | null) => Record<string, string>,
): Promise<number> {
  const sets = options.set ?? [];
  const listed = sets.filter((s) => splitTopLevel(setValue(s)).length > 1);
  if (listed.length !== 1) {
    // A list whose commas an unclosed [ { or quote swallowed reads as one value: say so.
    const open = listed.length === 0 ? sets.map((s) => ({ flag: s, open: openAtEnd(setValue(s)) })).find((s) => s.open !== null) : undefined;
    const rule = 'give exactly one --set path=a,b,c with the values to compare (other --set path=value are applied to every run)';
    if (open !== undefined) throw new UserError(`compare: --set ${shownFlag(open.flag)} lists no values: its ${open.open} is not closed, so its commas do not separate them (${rule})`);
    throw new UserError(`compare: ${rule}`);
  }
  const { path, values } = parseCompareSet(listed[0]);
  const fixed = sets.filter((s) => s !== listed[0]);
  const seed = parseSeed(options.seed);
  const comparesSeed = canonicalPath(path) === 'seed';
  if (seed !== undefined && comparesSeed) {
    throw new UserError(`--seed ${options.seed}: the seed is what --set ${listed[0]} compares; drop one of them`);
  }
  const seeds = parseCount('--seeds', options.seeds, 1, MAX_COMPARE_SEEDS);
  if (seeds > 1 && comparesSeed) throw new UserError(`--seeds ${seeds}: the seed is what --set ${listed[0]} compares; drop one of them`);
  if (values.length * seeds > MAX_COMPARE_RUNS) {
    throw new UserError(
      `compare: ${values.length * seeds} runs (${values.length} values${seeds > 1 ? ` × ${seeds} seeds` : ''}) is more than the bound of ${MAX_COMPARE_RUNS}: a comparison keeps every run's samples and events for its report; compare fewer values or seeds, or use hypermem sweep (up to ${MAX_RUNS} runs, a table of each run's summary)`,
    );
  }
  const jobs = parseCount('--jobs', options.jobs, Math.max(1, availableParallelism()), MAX_COMPARE_JOBS);
  parseMaxMemory(options.maxMemory);
  refuseClashes(fixed, options.seed);
  for (const s of fixed) {
    const relation = pathRelation(flagPath(s), path);
    if (relation === 'same') throw new UserError(`--set ${s}: ${path} is what --set ${listed[0]} compares; drop one of them`);
    if (relation === 'part') {
      throw new UserError(`--set ${s}: ${flagPath(s)} overlaps ${path}, what --set ${listed[0]} compares (one is part of the other); drop one of them`);
    }
  }
  // Load every variant first, so a bad value fails before any run; with --seeds, each at seed, seed+1, ….
  const planned = values.flatMap((v) => {
    const label = `${path}=${v}`;
    const sets = [...fixed, `${path}=${v}`];
    const first = load(file, sets, seed);
    if (!Number.isSafeInteger(first.seed + (seeds - 1))) {
      throw new UserError(`--seeds ${seeds}: variant ${label} has seed ${first.seed}; seed+${seeds - 1} is not a safe integer`);
    }
    const list = [first];
    for (let k = 1; k < seeds; k++) list.push(load(file, sets, first.seed + k));
    return list.map((scenario) => ({ label, sets, scenario, runLabel: seeds > 1 ? `${label} seed ${scenario.seed}` : label }));
  });
  // The longest name written: the last run's time series.
  if (options.out !== undefined) checkOutDir(options.out, [`${planned.length}-timeseries.csv`]);
  const quiet = options.quiet === true || options.json === true;
  const results = await runAll(
    file,
    planned.map((p) => ({ label: p.runLabel, sets: p.sets, scenario: p.scenario })),
    { quiet, verify: options.verify === true, jobs, maxMemory: options.maxMemory },
  );
  // Every run, variant by variant, seeds in order; then grouped by variant.
  const all: CompareVariant[] = planned.map((p, i) => ({ label: p.label, scenario: p.scenario, result: results[i] }));
  const runs: CompareVariant[][] = values.map((_, v) => all.slice(v * seeds, (v + 1) * seeds));
  // The first seed's runs: the charts and the tables of a single comparison.
  const variants = runs.map((list) => list[0]);
  const overSeeds: SeedsVariant[] | null = seeds > 1 ? runs.map((list) => ({ label: list[0].label, runs: list.map((v) => v.result.summary) })) : null;
  const summaries: (Summary & { variant: string })[] = all.map((v) => ({ variant: v.label, ...v.result.summary }));
  if (options.out !== undefined) {
    const files: Record<string, string> = { 'summary.json': JSON.stringify(summaries, null, 2) + '\n' };
    all.forEach((v, i) => {
      for (const [name, content] of Object.entries(runFiles(v.result, v.scenario))) {
        if (name !== 'summary.json') files[`${i + 1}-${name}`] = content;
      }
    });
    writeOut(options.out, { ...files, ...(extraFiles?.(variants, overSeeds) ?? {}) });
  }
  if (options.json === true) process.stdout.write(JSON.stringify(summaries) + '\n');
  else if (options.quiet !== true) {
    process.stdout.write(overSeeds === null ? compareTable(variants.map((v) => ({ label: v.label, summary: v.result.summary, events: v.result.events }))) : compareSeedsTable(overSeeds, runs.map((list) => list.map((v) => v.result.events))));
  }
  return summaries.some((s) => s.invariant_violations > 0) ? 3 : 0;
}
