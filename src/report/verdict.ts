// Which variant of a comparison does best, for the HTML report and the
// terminal alike: ranked by launches finished (more is better), then
// launches failed mid-way, build time wasted, OOM events and invariant
// violations (fewer is better). Disk I/O and hit rates are not ranked: they
// depend on how many guests run, which the launches decide.

import type { Summary } from '../sim/metrics.ts';
import { fmtDuration } from './series.ts';

export interface Ranked {
  label: string;
  summary: Summary;
}

/** The ranked quantities of a run, each oriented so that larger is better. */
function score(s: Summary): number[] {
  const launches = (o: string) => s.launches.filter((l) => l.outcome === o).length;
  return [
    launches('ok'),
    -launches('failed_midway'),
    -s.launches.reduce((a, l) => a + l.wasted_build_ns, 0),
    -s.guests.reduce((a, g) => a + g.oom_events, 0),
    -s.invariant_violations,
  ];
}

/** The ranked quantities in words, in the order of score(): what is better, and a run's value. */
const CRITERIA: { better: string; value: (s: Summary) => string }[] = [
  { better: 'most launches finished', value: (s) => `${s.launches.filter((l) => l.outcome === 'ok').length} of ${s.launches.length}` },
  { better: 'fewest launches failed mid-way', value: (s) => String(s.launches.filter((l) => l.outcome === 'failed_midway').length) },
  { better: 'least build time wasted', value: (s) => fmtDuration(s.launches.reduce((a, l) => a + l.wasted_build_ns, 0)) },
  { better: 'fewest OOM events', value: (s) => String(s.guests.reduce((a, g) => a + g.oom_events, 0)) },
  { better: 'fewest invariant violations', value: (s) => String(s.invariant_violations) },
];

/** Negative when `a` ranks before `b`, 0 when they tie on every ranked quantity. */
export function rankCompare(a: Summary, b: Summary): number {
  const x = score(a);
  const y = score(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return y[i] - x[i];
  return 0;
}

/** The variants best first (stable: ties keep the given order). */
export function ranked<T extends Ranked>(variants: readonly T[]): T[] {
  return [...variants].sort((a, b) => rankCompare(a.summary, b.summary));
}

/** One sentence: which variant does best, which tie for best, or that none does better ('' for a single variant). */
export function verdictLead(variants: readonly Ranked[]): string {
  if (variants.length < 2) return '';
  const order = ranked(variants);
  const tied = order.filter((v) => rankCompare(v.summary, order[0].summary) === 0);
  if (tied.length === variants.length) return 'No variant does better than the others on launches, OOM events or invariant violations; the differences are in the I/O columns and the charts.';
  if (tied.length > 1) return `${tied.map((v) => v.label).join(' and ')} do best, equally.`;
  // Why: the first ranked quantity on which it beats the next best, with both values.
  const [best, next] = order;
  const x = score(best.summary);
  const y = score(next.summary);
  const c = CRITERIA[x.findIndex((v, i) => v !== y[i])];
  return `${best.label} does best: ${c.better}, ${c.value(best.summary)} against ${c.value(next.summary)} for ${next.label}.`;
}

export const RANKING_NOTE =
  'Ranked by launches finished, then launches failed mid-way, build time wasted, OOM events and invariant violations. The I/O columns are not ranked: they depend on how many guests run, which the launches decide.';
