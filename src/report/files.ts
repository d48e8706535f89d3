// The machine-readable files of a run: timeseries.csv (one row per sample)
// and events.jsonl (one event per line).

import type { Scenario } from '../scenario/types.ts';
import type { GuestSample, LoggedEvent, Sample } from '../sim/metrics.ts';
import { guestOrder, scenarioGuestNames, startOrder } from './series.ts';

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A guest's columns: its memory now (pages), then its counters since it
 * started (cumulative: the difference of two rows is what happened between
 * them).
 */
const GUEST_COLUMNS: [string, Exclude<keyof GuestSample, 'ended'>][] = [
  ['ram', 'ramPages'],
  ['balloon_target', 'targetPages'],
  ['committed_as', 'committedPages'],
  ['max_pages', 'maxPages'],
  ['page_cache', 'pageCachePages'],
  ['cleancache_gets', 'cleancacheGets'],
  ['cleancache_hits', 'cleancacheHits'],
  ['file_reads', 'fileReads'],
  ['file_writes', 'fileWrites'],
  ['swap_reads', 'swapReads'],
  ['swap_writes', 'swapWrites'],
];

/**
 * A row's time in seconds: three decimals (ms), or as many as it takes (up
 * to ns) for a row between two ms, such as a guest's end at a timeline time
 * of 5.0004s, which would otherwise read as the sample at 5.000 before it.
 * Integer arithmetic: exact for any time the simulator keeps.
 */
function seconds(ns: number): string {
  const whole = Math.floor(ns / 1e9);
  const frac = String(ns - whole * 1e9).padStart(9, '0').replace(/0{1,6}$/, '');
  return `${whole}.${frac}`;
}

/**
 * timeseries.csv. The guests' columns are in the order they started (the
 * run's `events`, as summary.json lists them), whatever their names; without
 * the events, in the scenario's order.
 */
export function timeseriesCsv(samples: Sample[], scenario: Scenario, events?: readonly LoggedEvent[]): string {
  const names = guestOrder(samples, events === undefined ? scenarioGuestNames(scenario) : startOrder(events));
  const header = ['time_s', 'free', 'freeable', 'owned', 'outstanding_claims', 'tmem_ephemeral', 'tmem_persistent'];
  for (const n of names) header.push(...GUEST_COLUMNS.map(([c]) => `${n}.${c}`));
  const rows = [header.map(csvField).join(',')];
  for (const s of samples) {
    const row: (string | number)[] = [
      seconds(s.timeNs),
      s.freePages,
      s.freeablePages,
      s.ownedPages,
      s.outstandingPages,
      s.tmemEphemeralPages,
      s.tmemPersistentPages,
    ];
    for (const n of names) {
      const g = s.guests[n];
      for (const [, field] of GUEST_COLUMNS) row.push(g === undefined ? '' : g[field]);
    }
    rows.push(row.join(','));
  }
  return rows.join('\n') + '\n';
}

export function eventsJsonl(events: LoggedEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length > 0 ? '\n' : '');
}
