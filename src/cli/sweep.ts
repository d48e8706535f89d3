// `hypermem sweep`: run a scenario at every point of a grid of --set values
// (× seeds) on a pool of worker threads, and write one row per run to
// DIR/results.csv and DIR/results.json, plus DIR/index.html. Every point is
// loaded before any run, so a bad value fails at once; nothing is written
// unless every run finished (writeOut: all files or none).

import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import { UserError } from './errors.ts';
import { shorten } from '../scenario/errors.ts';
import { parseMaxMemory } from './memory.ts';
import { load, parseSeed, refuseClashes } from './run.ts';
import { checkOutDir, writeOut } from './outdir.ts';
import type { Scenario } from '../scenario/types.ts';
import {
  checkRunCount,
  describePoint,
  enumeratePoints,
  enumerateRuns,
  gridLabel,
  MAX_RUNS,
  isSeedGrid,
  parseCount,
  parseGrids,
  pointSets,
  type Grid,
  type Point,
} from '../sweep/grid.ts';
import type { SweepInfo } from '../sweep/html.ts';
import { scenarioDigest, SWEEP_FILE_NAMES, sweepFiles, type SweepMeta } from '../sweep/output.ts';
import { RunFailed, runPool } from '../sweep/pool.ts';
import { makeRows } from '../sweep/rows.ts';
import { inShard, parseShard, shardMeta } from '../sweep/shard.ts';
import { sweepVerdicts } from '../sweep/verdict.ts';
import type { SweepTask } from '../sweep/worker-task.ts';

export interface SweepOptions {
  grid?: string[];
  set?: string[];
  seeds?: string;
  jobs?: string;
  seed?: string;
  shard?: string;
  out?: string;
  quiet?: boolean;
  /** Every run re-checks the invariants as it goes (run --verify). */
  verify?: boolean;
  /** The memory limit of the whole sweep's process (--max-memory). */
  maxMemory?: string;
}

/** Most worker threads one sweep starts. */
export const MAX_JOBS = 256;

/** Loads the scenario at a point; a failure names the point and, where it can, the --grid. */
function loadPoint(file: string, sets: readonly string[], grids: readonly Grid[], point: Point): Scenario {
  const own = pointSets(grids, point);
  try {
    return load(file, [...sets, ...own]);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    let message = e.message;
    let named = false;
    grids.forEach((g, i) => {
      // The first `--set PATH=VALUE` the message names that ends it or a parenthesis (a plain search: the value is the user's text, of any length).
      const flag = `--set ${own[i]}`;
      for (let at = message.indexOf(flag); at >= 0; at = message.indexOf(flag, at + 1)) {
        const end = at + flag.length;
        if (end === message.length || message[end] === ')') {
          message = message.slice(0, at) + gridLabel(g) + message.slice(end);
          named = true;
          break;
        }
      }
    });
    // The point and the --grid flags as written may be long: shortened, as the message's own quotes of values are.
    const where = named ? '' : ` (from ${shorten(grids.map(gridLabel).join(' '))})`;
    throw new UserError(`sweep: the point ${shorten(describePoint(grids, point))} does not load${where}: ${message}`);
  }
}

/** Verdict lines a terminal can take: which value of the first grid does best, at each value of the others (the rest in index.html). */
const MAX_VERDICT_LINES = 12;

export function verdictLines(grids: readonly Grid[], seeds: number, rows: Parameters<typeof sweepVerdicts>[2]): string {
  const verdicts = sweepVerdicts(grids, seeds, rows);
  if (verdicts.length === 0) return '';
  const shown = verdicts.slice(0, MAX_VERDICT_LINES).map((v) => (v.where === '' ? `Verdict: ${v.lead}` : `  ${v.where}: ${v.lead}`));
  const more = verdicts.length > MAX_VERDICT_LINES ? [`  … ${verdicts.length - MAX_VERDICT_LINES} more in index.html`] : [];
  const head = verdicts[0].where === '' ? [] : [`Which ${grids[0].path} does best, at each ${grids.slice(1).map((g) => g.path).join(' × ')}:`];
  return `\n${[...head, ...shown, ...more].join('\n')}\n`;
}

export async function sweepCommand(file: string, options: SweepOptions): Promise<number> {
  const started = Date.now();
  if (options.out === undefined) throw new UserError('sweep: --out DIR is required (where results.csv, results.json and index.html go)');
  refuseClashes(options.set ?? [], options.seed);
  // --seed S is --set seed=S (the first seed of every point; --seeds counts up from it), as for run and compare.
  const seed = parseSeed(options.seed);
  const grids = parseGrids(options.grid ?? [], options.set ?? []);
  const seedGrid = grids.find(isSeedGrid);
  if (seed !== undefined && seedGrid !== undefined) throw new UserError(`--seed ${seed}: the seed is swept by ${gridLabel(seedGrid)}; drop one of them`);
  // Sorted: refuseClashes made sure no two set one field, so the order changes nothing, and the sweep's
  // summary, page and shards read the same whatever order the flags came in.
  const sets = [...(options.set ?? []), ...(seed === undefined ? [] : [`seed=${seed}`])].sort();
  const seeds = parseCount('--seeds', options.seeds, 1, MAX_RUNS);
  if (seedGrid !== undefined && seeds > 1) {
    throw new UserError(`${gridLabel(seedGrid)} with --seeds ${seeds}: both choose the seeds (--seeds runs seed, seed+1, …); give one of them`);
  }
  const jobs = parseCount('--jobs', options.jobs, Math.max(1, availableParallelism()), MAX_JOBS);
  parseMaxMemory(options.maxMemory);
  const total = checkRunCount(grids, seeds);
  const shard = options.shard === undefined ? null : parseShard(options.shard);
  if (shard !== null && shard.count > total) {
    throw new UserError(`--shard ${options.shard}: the sweep has ${total} run${total === 1 ? '' : 's'}, fewer than ${shard.count} shards; use at most ${total}`);
  }
  checkOutDir(options.out, SWEEP_FILE_NAMES);

  // The file and the fixed --set first (their errors are not the grid's), then every point.
  const base = load(file, sets);
  const points = enumeratePoints(grids);
  const scenarios = points.map((p) => loadPoint(file, sets, grids, p));
  for (const [i, s] of scenarios.entries()) {
    if (!Number.isSafeInteger(s.seed + (seeds - 1))) {
      throw new UserError(`--seeds ${seeds}: the point ${describePoint(grids, points[i])} has seed ${s.seed}; seed+${seeds - 1} is not a safe integer`);
    }
  }
  const all = enumerateRuns(points, seeds, (p) => scenarios[p.index].seed);
  const runs = shard === null ? all : all.filter((r) => inShard(r.run, shard));
  const verify = options.verify === true;
  const tasks: SweepTask[] = runs.map((r) => ({ file, sets: [...sets, ...pointSets(grids, r.point)], seed: r.seed, verify, maxMemory: options.maxMemory }));

  const showBar = options.quiet !== true && process.stderr.isTTY === true;
  const bar = showBar
    ? new cliProgress.SingleBar(
        { format: `sweep ${base.name} [{bar}] {value}/{total} runs | {eta_formatted} left`, stream: process.stderr, hideCursor: false, etaBuffer: 20 },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(tasks.length, 0);
  let summaries;
  try {
    summaries = await runPool(tasks, jobs, () => bar?.increment());
  } catch (e) {
    if (e instanceof RunFailed) {
      const r = runs[e.index];
      throw e.toError(`sweep: run ${r.run} (${describePoint(grids, r.point)}, seed ${r.seed}) failed: ${e.message}; nothing written`);
    }
    throw e;
  } finally {
    bar?.stop();
  }

  const rows = makeRows(grids, runs, summaries);
  const meta: SweepMeta = {
    scenario: base.name,
    file,
    grid: grids.map((g) => ({ path: g.path, values: g.values })),
    set: sets,
    seeds,
    points: points.length,
    runs: all.length,
    verify,
    scenario_digest: scenarioDigest(base),
  };
  const info: SweepInfo = {
    scenario: base.name,
    description: base.description,
    file,
    grids,
    sets,
    seeds,
    ...(shard === null ? {} : { shard: { ...shard, sweepRuns: all.length } }),
  };
  const shardBlock = shard === null ? null : shardMeta(shard, runs.length, base.description, grids);
  writeOut(options.out, sweepFiles(meta, shardBlock, info, grids, rows));
  if (options.quiet !== true) {
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const threads = Math.min(jobs, tasks.length);
    const what =
      shard === null
        ? `${rows.length} runs (${points.length} points × ${seeds} seed${seeds === 1 ? '' : 's'})`
        : `shard ${shard.index} of ${shard.count}: ${rows.length} of ${all.length} runs`;
    process.stdout.write(
      `${what} in ${secs}s on ${threads} worker${threads === 1 ? '' : 's'}\n` +
        `wrote ${options.out}/ (results.csv, results.json, index.html, summary.json)\n` +
        (shard === null ? verdictLines(grids, seeds, rows) : `when every shard is done: hypermem merge SHARD_FOLDERS… --out DIR\n`),
    );
  }
  return rows.some((r) => r.summary.invariant_violations > 0) ? 3 : 0;
}
