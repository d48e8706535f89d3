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

const count = (s: Summary, outcome: string): number => s.launches.filter((l) => l.outcome === outcome).length;
const wastedNs = (s: Summary): number => s.launches.reduce((a, l) => a + l.wasted_build_ns, 0);
const oomEvents = (s: Summary): number => s.guests.reduce((a, g) => a + g.oom_events, 0);

/**
 * The ranked quantities, in rank order: each one's value oriented so that
 * larger is better, what "better" is in words, and a run's value as shown.
 */
const CRITERIA: { score: (s: Summary) => number; better: string; shown: (s: Summary) => string }[] = [
  { score: (s) => count(s, 'ok'), better: 'most launches finished', shown: (s) => `${count(s, 'ok')} of ${s.launches.length}` },
  { score: (s) => -count(s, 'failed_midway'), better: 'fewest launches failed mid-way', shown: (s) => String(count(s, 'failed_midway')) },
  { score: (s) => -wastedNs(s), better: 'least build time wasted', shown: (s) => fmtDuration(wastedNs(s)) },
  { score: (s) => -oomEvents(s), better: 'fewest OOM events', shown: (s) => String(oomEvents(s)) },
  { score: (s) => -s.invariant_violations, better: 'fewest invariant violations', shown: (s) => String(s.invariant_violations) },
];

function score(s: Summary): number[] {
  return CRITERIA.map((c) => c.score(s));
}

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
  return `${best.label} does best: ${c.better}, ${c.shown(best.summary)} against ${c.shown(next.summary)} for ${next.label}.`;
}

export const RANKING_NOTE =
  'Ranked by launches finished, then launches failed mid-way, build time wasted, OOM events and invariant violations. The I/O columns are not ranked: they depend on how many guests run, which the launches decide.';
