// What each guest runs, in a few words, for the report's guests table: the
// anonymous demand's profile (docs/scenario.md, workload.anon) and its
// parameters, or the trace it replays, its offset and scale, and whether the
// run outlasts the trace (it wraps to its first sample, or with at_end: hold
// keeps its last: docs/scenario.md, Trace files; traceMemPercentAt).

import { basename } from 'node:path';
import type { AnonProfile } from '../scenario/types.ts';
import { GCD_SAMPLE_INTERVAL_NS, replayOffsetNs } from '../guest/workload/trace.ts';
import type { LoggedEvent } from '../sim/metrics.ts';
import { fmtDuration } from './series.ts';

/** A share of maxmem as the scenario writes it: "40%", "12.5%". */
function pct(x: number): string {
  return `${Number(x.toFixed(2))}%`;
}

/**
 * The profile in words: "constant 50%", "step 40%→70% at 5 min", "diurnal
 * 40%–80% over 24 h", "spikes 30%→95% for 3 s every 40 s", "trace
 * vm_1218322450_1 +10 h ×50%". `ranNs`: how long the guest replayed it
 * (from its boot), which says whether a trace wrapped.
 */
export function workloadWords(anon: AnonProfile, ranNs: number): string {
  switch (anon.profile) {
    case 'constant':
      return `constant ${pct(anon.levelPercent)}`;
    case 'step':
      return `step ${pct(anon.levelPercent)}→${pct(anon.stepLevelPercent)} at ${fmtDuration(anon.atNs)}`;
    case 'diurnal':
      return `diurnal ${pct(anon.levelPercent)}–${pct(anon.peakPercent)} over ${fmtDuration(anon.periodNs)}${anon.phaseNs > 0 ? `, phase ${fmtDuration(anon.phaseNs)}` : ''}`;
    case 'spikes':
      return `spikes ${pct(anon.levelPercent)}→${pct(anon.peakPercent)} for ${fmtDuration(anon.lengthNs)} every ${fmtDuration(anon.everyNs)}${anon.jitterNs > 0 ? `, first within ${fmtDuration(anon.jitterNs)}` : ''}`;
    case 'trace': {
      // The offset as written (on the trace's own 5-minute clock); the replay's interval when it is not the data's own.
      const every = anon.intervalNs === GCD_SAMPLE_INTERVAL_NS ? '' : `, a sample every ${fmtDuration(anon.intervalNs)}`;
      const words = `trace ${basename(anon.file)}${anon.offsetNs > 0 ? ` +${fmtDuration(anon.offsetNs)}` : ''} ×${pct(anon.scalePercent)}${every}`;
      const n = anon.memPercent.length;
      // One sample is a constant demand: nothing to wrap or hold.
      if (n < 2) return words;
      // On the replay's clock (traceMemPercentAt): the offset scaled as the simulator scales it (src/sim/guest-config.ts).
      const offsetNs = replayOffsetNs(anon.offsetNs, anon.intervalNs);
      if (!anon.loop) {
        // at_end: hold: the last sample from the end of the trace on.
        const heldAfterNs = Math.max(0, (n - 1) * anon.intervalNs - offsetNs);
        if (heldAfterNs === 0) return `${words}, its last sample held from the start (the offset is at or past its last sample)`;
        return ranNs > heldAfterNs ? `${words}, holds its last sample after ${fmtDuration(heldAfterNs)}` : words;
      }
      // Looping: back to the first sample one interval after the last.
      const periodNs = n * anon.intervalNs;
      const leftNs = periodNs - (offsetNs % periodNs);
      return ranNs > leftNs ? `${words}, wraps after ${fmtDuration(leftNs)} (a ${fmtDuration(periodNs)} trace)` : words;
    }
  }
}

/**
 * How long each guest ran, from the event log: from its guest_start to its
 * destroy or crash, else to `endNs` (the end of the run).
 */
export function guestRunTimes(events: readonly LoggedEvent[], endNs: number): Map<string, number> {
  const start = new Map<string, number>();
  const ran = new Map<string, number>();
  for (const e of events) {
    const name = String(e.guest);
    if (e.kind === 'guest_start' && !start.has(name)) start.set(name, e.timeNs);
    else if ((e.kind === 'destroy' || e.kind === 'crash') && start.has(name) && !ran.has(name)) ran.set(name, e.timeNs - (start.get(name) ?? 0));
  }
  for (const [name, t] of start) if (!ran.has(name)) ran.set(name, endNs - t);
  return ran;
}
