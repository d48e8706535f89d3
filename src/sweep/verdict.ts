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

/**
 * One verdict per combination of the other grids' values, in the sweep's
 * order; none when the first grid has a single value. `rows` are the whole
 * sweep's runs in run order (the first grid varies slowest, seeds innermost).
 */
export function sweepVerdicts(grids: readonly Grid[], seeds: number, rows: readonly Row[]): SweepVerdict[] {
  if (grids.length === 0 || grids[0].values.length < 2) return [];
  const first = grids[0];
  const others = grids.slice(1);
  const combos = others.reduce((n, g) => n * g.values.length, 1);
  if (rows.length !== first.values.length * combos * seeds) return [];
  const out: SweepVerdict[] = [];
  for (let c = 0; c < combos; c++) {
    // The runs of first-grid value v at combination c: point v * combos + c, its seeds in order.
    const runs = first.values.map((_, v) => rows.slice((v * combos + c) * seeds, (v * combos + c + 1) * seeds));
    const labels = first.values.map((value) => `${first.path}=${value}`);
    const lead =
      seeds === 1
        ? verdictLead(runs.map((r, v) => ({ label: labels[v], summary: r[0].summary })))
        : seedsVerdictLead(
            labels,
            runs.map((r) => r.map((row) => row.summary)),
          );
    const point = runs[0][0].point;
    out.push({ where: others.map((g) => `${g.path}=${point[g.path]}`).join(', '), lead });
  }
  return out;
}
