// Anonymous-memory demand profiles: Committed_AS in pages as a function of
// time since boot. Constant, step, diurnal (a sine), spikes (short bursts on
// top of a base, typically shorter than the 5 s selfballoon interval, which is
// what makes a self-ballooned guest swap), and trace replay (GCD memory %, a
// share of maxmem, interpolated).

import { assert, assertCount } from '../../lib/assert.ts';
import { GCD_SAMPLE_INTERVAL_NS, loadGcdTrace, traceMemPercentAt } from './trace.ts';

export type AnonProfile =
  | { kind: 'constant'; pages: number }
  | { kind: 'step'; initialPages: number; steps: { atNs: number; pages: number }[] }
  | { kind: 'diurnal'; basePages: number; amplitudePages: number; periodNs: number; phaseNs?: number }
  | { kind: 'spikes'; basePages: number; spikePages: number; everyNs: number; durationNs: number; offsetNs?: number }
  | {
      kind: 'trace';
      /** Memory % samples (a Float64Array is kept, not copied: leave it unchanged), or a file in the GCD format to read them from. */
      memPercent?: number[] | Float64Array;
      file?: string;
      /** Time between samples. Default 5 minutes. */
      sampleIntervalNs?: number;
      /** Wrap around at the end (default) or hold the last value. */
      loop?: boolean;
      /** Start this far into the trace. */
      offsetNs?: number;
    };

/** A compiled profile: Committed_AS pages at a time. */
export type AnonDemand = (tNs: number) => number;

export function compileAnonProfile(p: AnonProfile, maxmemPages: number): AnonDemand {
  switch (p.kind) {
    case 'constant':
      assertCount(p.pages, 'constant pages');
      return () => p.pages;
    case 'step': {
      assertCount(p.initialPages, 'step initialPages');
      const steps = [...p.steps].sort((a, b) => a.atNs - b.atNs);
      for (const s of steps) {
        assertCount(s.atNs, 'step atNs');
        assertCount(s.pages, 'step pages');
      }
      return (t) => {
        let v = p.initialPages;
        for (const s of steps) {
          if (s.atNs > t) break;
          v = s.pages;
        }
        return v;
      };
    }
    case 'diurnal': {
      assert(p.periodNs > 0, 'diurnal periodNs must be positive');
      const phase = p.phaseNs ?? 0;
      return (t) => Math.max(0, Math.round(p.basePages + p.amplitudePages * Math.sin((2 * Math.PI * (t + phase)) / p.periodNs)));
    }
    case 'spikes': {
      assert(p.everyNs > 0 && p.durationNs >= 0 && p.durationNs <= p.everyNs, 'spikes need 0 <= durationNs <= everyNs');
      const off = p.offsetNs ?? 0;
      return (t) => {
        if (t < off) return p.basePages;
        return (t - off) % p.everyNs < p.durationNs ? p.basePages + p.spikePages : p.basePages;
      };
    }
    case 'trace': {
      let samples: Float64Array;
      // A Float64Array is used as it is, not copied (guests replaying one trace share it): it must not change afterwards.
      if (p.memPercent !== undefined) samples = p.memPercent instanceof Float64Array ? p.memPercent : Float64Array.from(p.memPercent);
      else if (p.file !== undefined) samples = loadGcdTrace(p.file).memPercent;
      else throw new Error('trace profile needs memPercent or file');
      assert(samples.length > 0, 'trace profile has no samples');
      const interval = p.sampleIntervalNs ?? GCD_SAMPLE_INTERVAL_NS;
      assert(interval > 0, 'trace sampleIntervalNs must be positive');
      const loop = p.loop ?? true;
      const off = p.offsetNs ?? 0;
      return (t) => Math.max(0, Math.round((traceMemPercentAt(samples, interval, t + off, loop) * maxmemPages) / 100));
    }
  }
}
