// Which value of a sweep's first --grid does best, at each combination of the
// other grids' values: the first grid is what is compared (a launch policy,
// tmem on or off), the others where (how many guests, how much memory). Each
// comparison is the one `hypermem compare` makes: over one seed, the runs
// ranked as a comparison ranks them; over several, the seeds on which each
// value does best (src/report/verdict.ts).

import { seedsVerdictLead, verdictLead } from '../report/verdict.ts';
import type { Grid } from './grid.ts';
import type { Row } from './rows.ts';

export interface SweepVerdict {
  /** The other grids' values, "path=value, …" ('' when the sweep has one grid). */
  where: string;
  lead: string;
}

/** A sweep seen as comparisons of its first grid's values: one per combination of the other grids' values. */
export interface Comparisons {
  /** Per combination: the other grids' values, "path=value, …" ('' with one grid). */
  where: string[];
  /** runs[c][v]: the runs of the first grid's v-th value at combination c, seeds in order. */
  runs: Row[][][];
}

/**
 * The sweep's runs grouped for comparing the first grid's values, or null
 * when there is nothing to compare (no grid, one value) or `rows` are not
 * the whole sweep's runs in run order (first grid slowest, seeds innermost).
 */
export function comparisons(grids: readonly Grid[], seeds: number, rows: readonly Row[]): Comparisons | null {
  if (grids.length === 0 || grids[0].values.length < 2) return null;
  const first = grids[0];
  const others = grids.slice(1);
  const combos = others.reduce((n, g) => n * g.values.length, 1);
  if (rows.length !== first.values.length * combos * seeds) return null;
  const where: string[] = [];
  const runs: Row[][][] = [];
  for (let c = 0; c < combos; c++) {
    // Point v * combos + c holds value v of the first grid at combination c.
    runs.push(first.values.map((_, v) => rows.slice((v * combos + c) * seeds, (v * combos + c + 1) * seeds)));
    const point = rows[c * seeds].point;
    where.push(others.map((g) => `${g.path}=${point[g.path]}`).join(', '));
  }
  return { where, runs };
}

/**
 * One verdict per combination of the other grids' values, in the sweep's
 * order; none when there is nothing to compare (see comparisons).
 */
export function sweepVerdicts(grids: readonly Grid[], seeds: number, rows: readonly Row[]): SweepVerdict[] {
  const groups = comparisons(grids, seeds, rows);
  if (groups === null) return [];
  const first = grids[0];
  const labels = first.values.map((value) => `${first.path}=${value}`);
  return groups.runs.map((runs, c) => ({
    where: groups.where[c],
    lead:
      seeds === 1
        ? verdictLead(runs.map((r, v) => ({ label: labels[v], summary: r[0].summary })))
        : seedsVerdictLead(
            labels,
            runs.map((r) => r.map((row) => row.summary)),
          ),
  }));
}
