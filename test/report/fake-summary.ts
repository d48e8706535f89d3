// A run's summary for the report and sweep tests: the fields every summary
// has, with the given seed, launches and guests (nothing is simulated).
import type { Summary } from '../../src/sim/metrics.ts';

export function fakeSummary(seed: number, launches: Summary['launches'], guests: Summary['guests'] = [], minFreePages = 0): Summary {
  return {
    scenario: 's',
    seed,
    overrides: [],
    sim_time_ns: 1e9,
    events: 1,
    invariant_violations: 0,
    invariant_checks: 0,
    host: { total_pages: 4096, min_free_pages: minFreePages, min_free_at_ns: 0, max_outstanding_pages: 0 },
    launches,
    guests,
    tmem: { ephemeral_pages_max: 0, persistent_pages_max: 0, evictions: 0, dedup_ratio: 1, compression_ratio: 1 },
    faults: { crashes: 0, toolstack_deaths: 0, tmem_flushes: 0, launch_bursts: 0 },
  };
}
