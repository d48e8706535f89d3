// The machine-readable files of a run: timeseries.csv (one row per sample)
// and events.jsonl (one event per line).

import type { Scenario } from '../scenario/types.ts';
import type { LoggedEvent, Sample } from '../sim/metrics.ts';

/** Every guest that appears in any sample, in order of first appearance. */
export function guestNames(samples: Sample[]): string[] {
  const seen = new Set<string>();
  for (const s of samples) for (const name of Object.keys(s.guests)) seen.add(name);
  return [...seen];
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function timeseriesCsv(samples: Sample[], _scenario: Scenario): string {
  const names = guestNames(samples);
  const header = ['time_s', 'free', 'freeable', 'owned', 'outstanding_claims', 'tmem_ephemeral', 'tmem_persistent'];
  for (const n of names) header.push(`${n}.ram`, `${n}.balloon_target`, `${n}.committed_as`);
  const rows = [header.map(csvField).join(',')];
  for (const s of samples) {
    const row: (string | number)[] = [
      (s.timeNs / 1e9).toFixed(3),
      s.freePages,
      s.freeablePages,
      s.ownedPages,
      s.outstandingPages,
      s.tmemEphemeralPages,
      s.tmemPersistentPages,
    ];
    for (const n of names) {
      const g = s.guests[n];
      if (g === undefined) row.push('', '', '');
      else row.push(g.ramPages, g.targetPages, g.committedPages);
    }
    rows.push(row.join(','));
  }
  return rows.join('\n') + '\n';
}

export function eventsJsonl(events: LoggedEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length > 0 ? '\n' : '');
}
