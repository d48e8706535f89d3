// A comparison over several seeds (`compare --seeds N`): per variant the mean
// of each outcome over its runs, the lowest free memory of any run, and on how
// many seeds it ranks best (src/report/verdict.ts) — the same table for the
// terminal and the HTML report.

import { launchCount, unfinished, type Summary } from '../sim/metrics.ts';
import { countColumn, durationColumn, sizeColumn } from './series.ts';
import { seedRecords } from './verdict.ts';

/** One variant of a comparison over seeds: its runs, in seed order (the same seeds for every variant). */
export interface SeedsVariant {
  label: string;
  runs: Summary[];
}

interface Column {
  head: string;
  /** What the column holds, for the HTML header's tooltip. */
  title: string;
  value: (s: Summary) => number;
  /** How the column's values are put together over the seeds. */
  over: 'mean' | 'min';
  /** A column's formatter, made from its values (one unit, one number of decimals). */
  format: (values: number[]) => (n: number) => string;
  /** Found only by --verify's checks: a variant none of whose runs was checked reads "not checked". */
  needsChecks?: true;
  /** Shown only when some variant's value is not 0 (launch outcomes most runs never have). */
  whenAny?: true;
}

const sum = (s: Summary, pick: (g: Summary['guests'][number]) => number): number => s.guests.reduce((a, g) => a + pick(g), 0);
const wastedColumn = (values: number[]) => {
  const f = durationColumn(values.filter((v) => v > 0));
  return (ns: number) => (ns > 0 ? f(ns) : '-');
};

const COLUMNS: Column[] = [
  { head: 'ok', title: 'launches finished (mean per run)', value: (s) => launchCount(s, 'ok'), over: 'mean', format: countColumn },
  { head: 'failed fast', title: 'launches refused before building (mean per run)', value: (s) => launchCount(s, 'failed_fast'), over: 'mean', format: countColumn },
  { head: 'failed mid-way', title: 'launches that failed part-way through the build (mean per run)', value: (s) => launchCount(s, 'failed_midway'), over: 'mean', format: countColumn },
  { head: 'abandoned', title: 'launches abandoned: the toolstack died, or the domain was destroyed or crashed, while queued or building (mean per run)', value: (s) => launchCount(s, 'abandoned'), over: 'mean', format: countColumn, whenAny: true },
  { head: 'unfinished', title: 'launches still building, or still queued, when the run ended (mean per run)', value: (s) => launchCount(s, unfinished), over: 'mean', format: countColumn, whenAny: true },
  { head: 'wasted build', title: 'build time thrown away by failed launches (mean per run)', value: (s) => s.launches.reduce((a, l) => a + l.wasted_build_ns, 0), over: 'mean', format: wastedColumn },
  { head: 'OOM', title: 'OOM events, all guests (mean per run)', value: (s) => sum(s, (g) => g.oom_events), over: 'mean', format: countColumn },
  { head: 'violations', title: 'invariant violations (mean per run)', value: (s) => s.invariant_violations, over: 'mean', format: countColumn, needsChecks: true },
  { head: 'cleancache hits', title: 'cleancache gets that hit, all guests (mean per run)', value: (s) => sum(s, (g) => g.cleancache.hits), over: 'mean', format: countColumn },
  { head: 'file reads (pages)', title: 'file pages read from disk, all guests (mean per run)', value: (s) => sum(s, (g) => g.disk.file_reads), over: 'mean', format: countColumn },
  { head: 'write-backs (pages)', title: 'dirty file pages written back to disk, all guests (mean per run)', value: (s) => sum(s, (g) => g.disk.file_writes), over: 'mean', format: countColumn },
  { head: 'swap I/O (pages)', title: 'pages read from and written to swap devices, all guests (mean per run)', value: (s) => sum(s, (g) => g.disk.swap_reads + g.disk.swap_writes), over: 'mean', format: countColumn },
  { head: 'frontswap stores', title: 'pages stored in frontswap, all guests (mean per run)', value: (s) => sum(s, (g) => g.frontswap.stores), over: 'mean', format: countColumn },
  { head: 'lowest free', title: 'the lowest free host memory of any run', value: (s) => s.host.min_free_pages, over: 'min', format: sizeColumn },
];

/** Means are kept to three decimals, so that the same runs give the same bytes on every machine. */
const mean = (values: number[]): number => Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / 1000;

/** The table over seeds: a header, its columns' tooltips, and per variant its cells (label, "best on", then COLUMNS). */
export function seedsTable(variants: readonly SeedsVariant[]): { head: string[]; titles: string[]; rows: string[][] } {
  const seeds = variants[0]?.runs.length ?? 0;
  const { records } = seedRecords(
    variants.map((v) => v.label),
    variants.map((v) => v.runs),
  );
  const all = variants.map((v) => COLUMNS.map((c) => (c.over === 'mean' ? mean(v.runs.map(c.value)) : Math.min(...v.runs.map(c.value)))));
  // Every launch is in one column: abandoned and unfinished ones get theirs when any variant has one.
  const shown = COLUMNS.map((c, k) => c.whenAny !== true || all.some((row) => row[k] !== 0));
  const columns = COLUMNS.filter((_, k) => shown[k]);
  const values = all.map((row) => row.filter((_, k) => shown[k]));
  const formats = columns.map((c, k) => c.format(values.map((row) => row[k])));
  const rows = variants.map((v, i) => {
    const r = records[i];
    const best = `${r.alone + r.tied} of ${seeds}${r.tied > 0 ? ` (${r.tied} tied)` : ''}`;
    // Runs without --verify were not checked: their 0 violations say nothing.
    const unchecked = v.runs.every((s) => s.invariant_checks === 0);
    return [v.label, best, ...values[i].map((n, k) => (columns[k].needsChecks === true && unchecked ? 'not checked' : formats[k](n)))];
  });
  return {
    head: ['variant', 'best on', ...columns.map((c) => c.head)],
    titles: ['', 'the seeds on which this variant ranks best (tied: together with some of the others)', ...columns.map((c) => c.title)],
    rows,
  };
}

/** "42 to 46" (or "7 and 8"): the seeds of a comparison over seeds. */
export function seedRange(runs: readonly Summary[]): string {
  const first = runs[0].seed;
  const last = runs[runs.length - 1].seed;
  return runs.length === 2 ? `${first} and ${last}` : `${first} to ${last}`;
}
