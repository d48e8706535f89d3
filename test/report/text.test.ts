// The terminal tables (src/report/text.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareTable, runTable } from '../../src/report/text.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { Summary } from '../../src/sim/metrics.ts';

function summary(wastedNs: number, outcome: string): Summary {
  return {
    scenario: 's',
    seed: 1,
    sim_time_ns: 1e9,
    events: 1,
    invariant_violations: 0,
    host: { total_pages: 1000, min_free_pages: 0, max_outstanding_pages: 0 },
    launches: [{ name: 'l', policy: 'none', outcome, requested_pages: 10, request_ns: 0, start_ns: 0, end_ns: 1, wasted_build_ns: wastedNs }],
    guests: [],
    tmem: { ephemeral_pages_max: 0, persistent_pages_max: 0, evictions: 0, dedup_ratio: 1, compression_ratio: 1 },
    faults: { crashes: 0, toolstack_deaths: 0, tmem_flushes: 0, launch_bursts: 0 },
  };
}

test('compare table: wasted build is "-" when none, as in the run table and the report; then the verdict', () => {
  const out = compareTable([
    { label: 'p=none', summary: summary(1_500_000_000, 'failed_midway') },
    { label: 'p=claim', summary: summary(0, 'ok') },
  ]);
  const rows = out.split('\n');
  assert.match(rows[2], /^p=none\s+0\s+0\s+1\s+1\.5s\s/);
  assert.match(rows[3], /^p=claim\s+1\s+0\s+0\s+-\s/);
  assert.match(out, /\nVerdict: p=claim does best: most launches finished, 1 of 1 against 0 of 1 for p=none\.\n/);
});

test('run table: tmem evictions with thousands separators, like every other count', () => {
  const s = summary(0, 'ok');
  s.tmem.evictions = 297639;
  const out = runTable(s, { toolstack: { policy: 'claim' } } as Scenario);
  assert.match(out, /\ntmem: .*, 297,639 evictions, /);
});
