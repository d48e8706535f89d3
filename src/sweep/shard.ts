// Sweeps across machines (shared/docs/DESIGN.md, "Beyond one machine"): `sweep --shard K/N`
// runs every Nth run of the sweep, from run K, and writes a folder of its own;
// any job engine can start the N shards (a Slurm job array, GNU parallel over
// ssh, a Kubernetes Indexed Job: docs/sweep.md); `hypermem merge` then checks
// that the folders are the N shards of one sweep and writes the folder the
// whole sweep would have written, byte for byte. Shards take runs in turn
// (run r is in shard (r - 1) mod N + 1), so the seeds of a point and the
// neighbouring points spread over the machines.

import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../cli/errors.ts';
import { depthOf } from '../lib/depth.ts';
import { recordedOverrides } from '../scenario/load.ts';
import { enumeratePoints, isSeedGrid, MAX_RUNS, pointSets, type Grid } from './grid.ts';
import { shardRunList, type SweepInfo } from './html.ts';
import type { ShardMeta, SweepMeta } from './output.ts';
import type { Row } from './rows.ts';
import type { Summary } from '../sim/metrics.ts';
import { codeDigest, HYPERMEM_VERSION } from '../version.ts';

export interface Shard {
  /** K, from 1. */
  index: number;
  /** N. */
  count: number;
}

/** Parses `--shard K/N` (1 <= K <= N). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null) throw new UserError(`--shard ${text}: expected K/N, such as 2/4 (the second of four parts of the sweep)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_RUNS) throw new UserError(`--shard ${text}: N must be from 1 to ${MAX_RUNS}`);
  if (!Number.isSafeInteger(index) || index < 1 || index > count) throw new UserError(`--shard ${text}: K must be from 1 to N (${count})`);
  return { index, count };
}

/** Whether run `run` (numbered from 1) belongs to `shard`. */
export function inShard(run: number, shard: Shard): boolean {
  return (run - 1) % shard.count === shard.index - 1;
}

/** How many of `runs` runs shard K of N holds. */
export function shardRuns(runs: number, shard: Shard): number {
  return runs >= shard.index ? Math.floor((runs - shard.index) / shard.count) + 1 : 0;
}

// ------------------------------------------------------------------ merge

const count = z.number().int().nonnegative();

const sweepShape: z.ZodType<SweepMeta> = z.object({
  scenario: z.string(),
  file: z.string(),
  grid: z.array(z.object({ path: z.string().min(1), values: z.array(z.string()).min(1) })).min(1),
  set: z.array(z.string()),
  seeds: count.min(1),
  points: count.min(1),
  runs: count.min(1).max(MAX_RUNS),
  verify: z.boolean().optional(),
  scenario_digest: z.string(),
});

const shardShape: z.ZodType<ShardMeta> = z.object({
  index: count.min(1),
  count: count.min(1).max(MAX_RUNS),
  runs: count,
  hypermem: z.string(),
  code: z.string(),
  v8: z.string().optional(),
  description: z.string(),
  grid_text: z.array(z.string()),
});

/** What the sweep's tables read of a run's summary (the rest is kept as written). */
const summaryShape = z.object({
  events: count,
  invariant_violations: count,
  invariant_checks: count,
  host: z.object({ min_free_pages: count }),
  launches: z.array(z.object({ outcome: z.string(), wasted_build_ns: count })),
  guests: z.array(
    z.object({
      oom_events: count,
      cleancache: z.object({ hits: count }),
      frontswap: z.object({ stores: count }),
      disk: z.object({ file_reads: count, file_writes: count, swap_reads: count, swap_writes: count }),
    }),
  ),
});

const rowShape = z.object({
  run: count.min(1),
  point: z.record(z.string(), z.string()),
  seed: z.number().int().refine((n) => Number.isSafeInteger(n), 'a safe integer'),
  summary: summaryShape,
});

/** "prefix.path: problem" of zod's first issue (`prefix` names the block checked). */
function firstIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  const where = `${prefix}${path}`.replace(/^\./, '');
  return `${where === '' ? '' : `${where}: `}${issue.message}`;
}

/** Files larger than this are not a sweep's (10,000 runs of summaries of a few hundred guests stay far below it). */
const MAX_FILE_BYTES = 1024 * 1024 * 1024;

/** The bytes of a shard's file, or a one-line refusal naming it. */
function readBytes(file: string): Buffer {
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UserError(`${file}: not a file`);
    if (st.size > MAX_FILE_BYTES) throw new UserError(`${file}: larger than 1 GiB, not a sweep's file`);
    return readFileSync(file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'missing (not a sweep shard\'s folder, or not written in full)' : `cannot read it: ${code ?? (e as Error).message}`}`);
  }
}

/** JSON.parse with a one-line refusal at file:line (the line of the text `lineOffset` lines into the file). */
function parseJson(text: string, file: string, line: number | null): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 gives a position for some errors ("… at position N"): turned into a line and column.
    const at = /position (\d+)/.exec((e as Error).message);
    if (at !== null) {
      const before = text.slice(0, Number(at[1])).split('\n');
      const l = (line ?? 1) + before.length - 1;
      throw new UserError(`${file}:${l}:${before[before.length - 1].length + 1}: not valid JSON`);
    }
    throw new UserError(`${file}${line === null ? '' : `:${line}`}: not valid JSON`);
  }
}

/** One shard's folder, read and checked on its own. */
interface ShardFolder {
  dir: string;
  sweep: SweepMeta;
  shard: ShardMeta;
}

function readShardFolder(dir: string): ShardFolder {
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`${dir}: not a folder (give the --out folder of each shard)`);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${dir}: ${code === 'ENOENT' ? 'no such folder' : `cannot read it: ${code ?? (e as Error).message}`}`);
  }
  const file = `${dir}/summary.json`;
  const data = parseJson(readBytes(file).toString('utf8'), file, 1);
  if (typeof data !== 'object' || data === null || !('sweep' in data)) {
    throw new UserError(`${file}: not a sweep's summary (this folder holds a run or a comparison, not a sweep shard)`);
  }
  if (!('shard' in data)) throw new UserError(`${file}: a whole sweep, not a shard (made without --shard; nothing to merge)`);
  const sweep = sweepShape.safeParse((data as { sweep: unknown }).sweep);
  if (!sweep.success) throw new UserError(`${file}: ${firstIssue(sweep.error, 'sweep')}`);
  const shard = shardShape.safeParse((data as { shard: unknown }).shard);
  if (!shard.success) throw new UserError(`${file}: ${firstIssue(shard.error, 'shard')}`);
  const s = shard.data;
  const w = sweep.data;
  if (s.index > s.count) throw new UserError(`${file}: shard.index ${s.index} is more than shard.count ${s.count}`);
  const sizes = w.grid.map((g) => g.values.length);
  if (sizes.reduce((n, k) => n * k, 1) !== w.points || w.points * w.seeds !== w.runs) {
    throw new UserError(`${file}: sweep.points ${w.points} and sweep.runs ${w.runs} do not agree with the grid (${sizes.join(' × ')} values) and ${w.seeds} seeds`);
  }
  if (s.grid_text.length !== w.grid.length) throw new UserError(`${file}: shard.grid_text has ${s.grid_text.length} entries for ${w.grid.length} grids`);
  if (s.runs !== shardRuns(w.runs, s)) throw new UserError(`${file}: shard.runs ${s.runs}: shard ${s.index} of ${s.count} of ${w.runs} runs has ${shardRuns(w.runs, s)}`);
  return { dir, sweep: w, shard: s };
}

/** The first field in which two shards' sweeps differ, said with both values; null when they are shards of one sweep. */
function difference(a: ShardFolder, b: ShardFolder): string | null {
  const fields: [string, unknown, unknown][] = [
    ['the hypermem version', a.shard.hypermem, b.shard.hypermem],
    ['the hypermem code (its sources differ: shards must run the same checkout)', a.shard.code, b.shard.code],
    ['the JavaScript engine (V8 release line: its maths may round differently; run every shard on one Node.js release)', a.shard.v8, b.shard.v8],
    ['the number of shards', a.shard.count, b.shard.count],
    ['the scenario', a.sweep.scenario, b.sweep.scenario],
    ['the grid', a.sweep.grid, b.sweep.grid],
    ['the --grid flags', a.shard.grid_text, b.shard.grid_text],
    ['the fixed --set flags', a.sweep.set, b.sweep.set],
    ['the seeds per point', a.sweep.seeds, b.sweep.seeds],
    ['--verify (every run re-checks the invariants, or none does)', a.sweep.verify ?? false, b.sweep.verify ?? false],
    ['the description', a.shard.description, b.shard.description],
    // Last: with everything above equal, a different digest means the file's values or a trace it reads changed.
    ['the scenario as loaded (its file or a trace it reads changed; scenario_digest)', a.sweep.scenario_digest, b.sweep.scenario_digest],
  ];
  for (const [name, x, y] of fields) {
    if (JSON.stringify(x) !== JSON.stringify(y)) return `${name}: ${JSON.stringify(x)} in ${a.dir}, ${JSON.stringify(y)} in ${b.dir}`;
  }
  return null;
}

/** The real path of `p`, or of its nearest existing parent with the rest appended (for an --out not made yet). */
function real(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(real(parent), basename(abs));
  }
}

function sameFolder(a: string, b: string): boolean {
  return real(a) === real(b);
}

/** Whether `inner` is below `outer` (not the same folder). */
function within(inner: string, outer: string): boolean {
  const r = relative(real(outer), real(inner));
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
}

/** A merged sweep: what `sweepFiles` needs to write the whole sweep's folder. */
export interface MergedSweep {
  meta: SweepMeta;
  info: SweepInfo;
  grids: Grid[];
  rows: Row[];
  shards: number;
}

/** The lines of a file's bytes (LF or CRLF), each decoded on its own (a file may be larger than the longest string). */
function lines(bytes: Buffer): string[] {
  const out: string[] = [];
  let from = 0;
  // Bounded: each step moves past one line feed, or ends at the end of the bytes.
  while (from <= bytes.length) {
    let to = bytes.indexOf(10, from);
    if (to < 0) to = bytes.length;
    const end = to > from && bytes[to - 1] === 13 ? to - 1 : to;
    out.push(bytes.subarray(from, end).toString('utf8'));
    from = to + 1;
  }
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** Nesting a run's row never reaches (its summary nests a few levels); deeper is refused before anything walks it recursively. */
const MAX_ROW_DEPTH = 32;

/** The keys of a row, in the order `hypermem sweep` writes them. */
const ROW_KEYS = JSON.stringify(['run', 'point', 'seed', 'summary']);

/**
 * Checks a shard's rows, one per line as `hypermem sweep` writes them:
 * exactly its runs, in order, each at the point the grid gives it, with the
 * seed its point's other runs imply (the seeds of a point are base, base+1,
 * …; every point has the same base unless the seed itself is swept), and a
 * summary of that scenario and seed. Returns the rows as written.
 */
function readRows(f: ShardFolder, grids: readonly Grid[], bases: Map<string, { seed: number; dir: string }>): Row[] {
  const file = `${f.dir}/results.json`;
  const text = lines(readBytes(file));
  const { sweep, shard } = f;
  // The count first, so a file of the wrong shape is refused before anything is parsed.
  if (text.length !== shard.runs + 2 || text[0].trim() !== '[' || text[text.length - 1].trim() !== ']') {
    throw new UserError(
      `${file}: expected "[", then one run per line (${shard.runs} for shard ${shard.index} of ${shard.count}), then "]"; found ${text.length} line${text.length === 1 ? '' : 's'}`,
    );
  }
  const points = enumeratePoints(grids);
  const seedGrid = grids.findIndex(isSeedGrid);
  return text.slice(1, -1).map((source, i) => {
    const line = i + 2;
    const where = `${file}:${line}`;
    const last = i === shard.runs - 1;
    const body = source.trimEnd();
    if (!last && !body.endsWith(',')) throw new UserError(`${where}: expected a comma after the run (one run per line)`);
    const raw = parseJson(last ? body : body.slice(0, -1), file, line);
    if (depthOf(raw, MAX_ROW_DEPTH) > MAX_ROW_DEPTH) throw new UserError(`${where}: nested more than ${MAX_ROW_DEPTH} levels deep: not a run hypermem wrote`);
    const parsed = rowShape.safeParse(raw);
    if (!parsed.success) throw new UserError(`${where}: ${firstIssue(parsed.error, '')}`);
    if (JSON.stringify(Object.keys(raw as object)) !== ROW_KEYS) {
      throw new UserError(`${where}: the keys of a run are run, point, seed, summary (in that order); found ${Object.keys(raw as object).join(', ')}`);
    }
    const row = parsed.data;
    const run = shard.index + i * shard.count;
    if (row.run !== run) {
      throw new UserError(`${where}: run ${row.run}, expected run ${run} (shard ${shard.index} of ${shard.count} holds ${shardRunList({ ...shard, sweepRuns: sweep.runs })})`);
    }
    const point = points[Math.floor((run - 1) / sweep.seeds)];
    const want = Object.fromEntries(grids.map((g, k) => [g.path, point.values[k]]));
    // The point as written: zod's copy drops a "__proto__" key that the row keeps.
    const written = JSON.stringify((raw as { point: unknown }).point);
    if (written !== JSON.stringify(want)) {
      throw new UserError(`${where}: run ${run} is at ${written}, the sweep puts it at ${JSON.stringify(want)}`);
    }
    const summary = (raw as { summary: Summary }).summary;
    if (summary.seed !== row.seed) throw new UserError(`${where}: run ${run} has seed ${row.seed}, but its summary is of seed ${JSON.stringify(summary.seed)}`);
    if (summary.scenario !== sweep.scenario) throw new UserError(`${where}: run ${run}'s summary is of scenario ${JSON.stringify(summary.scenario)}, the sweep's is ${JSON.stringify(sweep.scenario)}`);
    // The flags the summary was run with, as `hypermem run` records them: the sweep's fixed --set flags and the point's (a summary of another point, pasted in, is not this run).
    const flags = recordedOverrides([...sweep.set, ...pointSets(grids, point)]);
    if (JSON.stringify(summary.overrides) !== JSON.stringify(flags)) {
      throw new UserError(`${where}: run ${run}'s summary is of a run with the flags ${JSON.stringify(summary.overrides) ?? 'missing'}, the sweep runs it with ${JSON.stringify(flags)} (its fixed --set flags and the point)`);
    }
    const base = row.seed - ((run - 1) % sweep.seeds);
    const key = seedGrid < 0 ? '' : point.values[seedGrid];
    const seen = bases.get(key);
    if (seen === undefined) bases.set(key, { seed: base, dir: f.dir });
    else if (seen.seed !== base) {
      const whose = seedGrid < 0 ? 'the sweep\'s seeds' : `the seeds of ${grids[seedGrid].path}=${key}`;
      throw new UserError(`${where}: run ${run} has seed ${row.seed}, but ${seen.dir} ran ${whose} from ${seen.seed} (expected seed ${seen.seed + ((run - 1) % sweep.seeds)})`);
    }
    // The row as written (not zod's copy), so the merged results.json has the shard's bytes.
    return raw as Row;
  });
}

/**
 * Reads the shard folders, checks they are every shard of one sweep, once
 * each, and returns the whole sweep's rows in run order. Every problem is a
 * UserError naming the folder or file (and line) and what is wrong.
 */
export function mergeShards(dirs: readonly string[], out: string): MergedSweep {
  if (dirs.length === 0) throw new UserError('merge: give the folders of the shards (written by hypermem sweep --shard K/N --out DIR)');
  for (const d of dirs) {
    if (sameFolder(d, out)) throw new UserError(`merge: --out ${out} is one of the shards' folders; write the merged sweep to another folder`);
    if (within(out, d)) throw new UserError(`merge: --out ${out} is inside the shard folder ${d}; write the merged sweep outside the shards' folders`);
  }
  const folders = dirs.map(readShardFolder);
  const first = folders[0];
  const byIndex = new Map<number, ShardFolder>();
  for (const f of folders) {
    const diff = difference(first, f);
    if (diff !== null) throw new UserError(`merge: ${f.dir} is not a shard of the same sweep as ${first.dir}: ${diff}`);
    const twin = byIndex.get(f.shard.index);
    if (twin !== undefined) {
      throw new UserError(`merge: shard ${f.shard.index} of ${f.shard.count} is given twice: ${twin.dir} and ${f.dir}`);
    }
    byIndex.set(f.shard.index, f);
  }
  const n = first.shard.count;
  const missing: number[] = [];
  for (let k = 1; k <= n; k++) if (!byIndex.has(k)) missing.push(k);
  if (missing.length > 0) {
    const list = missing.length > 10 ? `${missing.slice(0, 10).join(', ')}, … (${missing.length} in all)` : missing.join(', ');
    throw new UserError(`merge: shard${missing.length === 1 ? '' : 's'} ${list} of ${n} ${missing.length === 1 ? 'is' : 'are'} missing; give every shard's folder`);
  }
  // Shard 1 speaks for the sweep (the scenario file as it spelled it), whatever the order of the folders.
  const one = byIndex.get(1) as ShardFolder;
  const grids: Grid[] = one.sweep.grid.map((g, k) => ({ text: one.shard.grid_text[k], path: g.path, values: g.values }));
  const baseSeeds = new Map<string, { seed: number; dir: string }>();
  const rows: Row[] = new Array<Row>(one.sweep.runs);
  for (let k = 1; k <= n; k++) {
    const f = byIndex.get(k) as ShardFolder;
    for (const row of readRows(f, grids, baseSeeds)) rows[row.run - 1] = row;
  }
  const w = one.sweep;
  // Written field by field, in the order `hypermem sweep` writes them.
  const meta: SweepMeta = {
    scenario: w.scenario,
    file: w.file,
    grid: w.grid.map((g) => ({ path: g.path, values: g.values })),
    set: w.set,
    seeds: w.seeds,
    points: w.points,
    runs: w.runs,
    verify: w.verify ?? false,
    scenario_digest: w.scenario_digest,
  };
  const info: SweepInfo = {
    scenario: meta.scenario,
    description: one.shard.description,
    file: meta.file,
    grids,
    sets: meta.set,
    seeds: meta.seeds,
  };
  return { meta, info, grids, rows, shards: n };
}

/** The `shard` block of a shard's summary.json. */
export function shardMeta(shard: Shard, runs: number, description: string, grids: readonly Grid[]): ShardMeta {
  return { index: shard.index, count: shard.count, runs, hypermem: HYPERMEM_VERSION, code: codeDigest(), v8: v8Line(), description, grid_text: grids.map((g) => g.text) };
}

/** The V8 release line this process runs on: "11.3" of "11.3.244.8-node.33". */
export function v8Line(): string {
  return process.versions.v8.split('.').slice(0, 2).join('.');
}
