// A sweep's rows and the files made of them: results.json (every run's full
// summary, one row per line so each summary is exactly the bytes `hypermem
// run --json` prints) and results.csv (the grid values and key outcomes).

import { durationColumn, sizeColumn } from '../report/series.ts';
import { launchCount, unfinished, type Summary } from '../sim/metrics.ts';
import { isSeedGrid, type Grid, type Run } from './grid.ts';

export interface Row {
  run: number;
  /** The grid values of the run, by grid path (as given on the command line). */
  point: Record<string, string>;
  seed: number;
  summary: Summary;
}

/** A key outcome of a run: a column of the CSV and the HTML table. */
export interface Outcome {
  key: string;
  label: string;
  /** What it means, for the HTML header's tooltip. */
  title: string;
  value: (s: Summary) => number;
  /**
   * How the HTML table writes a column of it, made from the column's values so
   * that it has one unit and one number of decimals (the report's column rule,
   * src/report/series.ts); counts (countColumn) when not given.
   */
  column?: (values: number[]) => (n: number) => string;
  /** Over several seeds (the per-point table): the mean (default), or the lowest of any run, as `compare --seeds` gives it. */
  over?: 'mean' | 'min';
}

const sum = <T>(items: readonly T[], pick: (item: T) => number): number => items.reduce((n, item) => n + pick(item), 0);

export const OUTCOMES: readonly Outcome[] = [
  { key: 'launches_ok', label: 'launches ok', title: 'launches that completed', value: (s) => launchCount(s, 'ok') },
  { key: 'launches_failed_fast', label: 'failed fast', title: 'launches refused before building (no build time spent)', value: (s) => launchCount(s, 'failed_fast') },
  { key: 'launches_failed_midway', label: 'failed midway', title: 'launches that ran out of memory part-way through the build', value: (s) => launchCount(s, 'failed_midway') },
  { key: 'launches_abandoned', label: 'abandoned', title: 'launches stopped by a toolstack death, a destroy or a crash, queued or building', value: (s) => launchCount(s, 'abandoned') },
  {
    key: 'launches_unfinished',
    label: 'unfinished',
    title: 'launches the end of the run caught still building or still queued',
    value: (s) => launchCount(s, unfinished),
  },
  {
    key: 'wasted_build_s',
    label: 'wasted build',
    title: 'domain building thrown away by failed launches (the CSV has it in seconds)',
    value: (s) => Math.round(sum(s.launches, (l) => l.wasted_build_ns) / 1e6) / 1e3,
    // A duration in the column's unit (ms, s, min or h) with its decimals, as the run report writes it; '-' for none.
    column: (seconds) => {
      const f = durationColumn(seconds.filter((x) => x > 0).map((x) => x * 1e9));
      return (x) => (x > 0 ? f(x * 1e9) : '-');
    },
  },
  { key: 'cleancache_hits', label: 'cleancache hits', title: 'cleancache gets that hit, all guests', value: (s) => sum(s.guests, (g) => g.cleancache.hits) },
  { key: 'file_reads', label: 'file reads', title: 'file pages read from disk, all guests', value: (s) => sum(s.guests, (g) => g.disk.file_reads) },
  { key: 'file_writes', label: 'write-backs', title: 'dirty file pages written back to disk, all guests', value: (s) => sum(s.guests, (g) => g.disk.file_writes) },
  { key: 'swap_reads', label: 'swap reads', title: 'pages read from swap devices, all guests', value: (s) => sum(s.guests, (g) => g.disk.swap_reads) },
  { key: 'swap_writes', label: 'swap writes', title: 'pages written to swap devices, all guests', value: (s) => sum(s.guests, (g) => g.disk.swap_writes) },
  { key: 'frontswap_stores', label: 'frontswap stores', title: 'pages stored in frontswap (tmem), all guests', value: (s) => sum(s.guests, (g) => g.frontswap.stores) },
  { key: 'oom_events', label: 'OOM events', title: 'out-of-memory events, all guests', value: (s) => sum(s.guests, (g) => g.oom_events) },
  {
    key: 'min_free_pages',
    label: 'lowest free',
    title: 'lowest free host memory seen (the CSV has it in 4 KiB pages)',
    value: (s) => s.host.min_free_pages,
    over: 'min',
    // One unit for the column (GiB, MiB or KiB, from its largest value); a nearly exhausted host is "<0.01 GiB", not "0 GiB".
    column: sizeColumn,
  },
  { key: 'invariant_violations', label: 'violations', title: 'invariant violations found (0 unless run with --verify)', value: (s) => s.invariant_violations },
  { key: 'invariant_checks', label: 'checks', title: 'whole invariant checks run (0 without --verify: not checked)', value: (s) => s.invariant_checks },
  { key: 'events', label: 'events', title: 'simulator events processed', value: (s) => s.events },
];

export function makeRows(grids: readonly Grid[], runs: readonly Run[], summaries: readonly Summary[]): Row[] {
  return runs.map((r, i) => ({
    run: r.run,
    point: Object.fromEntries(grids.map((g, k) => [g.path, r.point.values[k]])),
    seed: r.seed,
    summary: summaries[i],
  }));
}

/** results.json: a JSON array, one row per line, each summary serialised as `hypermem run --json` does. */
export function resultsJson(rows: readonly Row[]): string {
  if (rows.length === 0) return '[]\n';
  return '[\n' + rows.map((r) => JSON.stringify(r)).join(',\n') + '\n]\n';
}

/** A CSV field (RFC 4180): quoted when it holds a comma, quote, line break or edge spaces. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The grids that have a column of their own beside `seed` (all but a grid of the seed itself, whose values the seed column holds). */
export function gridColumns(grids: readonly Grid[]): Grid[] {
  return grids.filter((g) => !isSeedGrid(g));
}

/**
 * results.csv: run, the grid paths, seed, then the key outcomes. A grid of
 * the seed itself has no column of its own: the `seed` column holds its
 * values (one column per name; the value as written is in results.json).
 */
export function resultsCsv(grids: readonly Grid[], rows: readonly Row[]): string {
  const columns = gridColumns(grids);
  const header = ['run', ...columns.map((g) => g.path), 'seed', ...OUTCOMES.map((o) => o.key)];
  const lines = [header.map(csvField).join(',')];
  for (const r of rows) {
    const cells = [r.run, ...columns.map((g) => r.point[g.path]), r.seed, ...OUTCOMES.map((o) => o.value(r.summary))];
    lines.push(cells.map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}
