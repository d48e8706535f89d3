// The machine-readable files of a run (src/report/files.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timeseriesCsv } from '../../src/report/files.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { Sample } from '../../src/sim/metrics.ts';

const sample = (timeNs: number): Sample => ({
  timeNs,
  freePages: 1,
  freeablePages: 0,
  ownedPages: 0,
  outstandingPages: 0,
  tmemEphemeralPages: 0,
  tmemPersistentPages: 0,
  guests: {},
});

test('timeseries.csv: time_s in ms (three decimals), and exact when a row falls between two ms, so that no two rows read alike', () => {
  // A crash at 5.0004s (timeline times may fall between two ms) keeps a row of its own just after the sample at 5 s.
  const times = [0, 5e9, 5_000_400_000, 6_500_000_000, 86_400_000_000_001, 2 ** 53 - 1];
  const csv = timeseriesCsv(times.map(sample), {} as Scenario, []);
  const column = csv.trimEnd().split('\n').slice(1).map((line) => line.split(',')[0]);
  assert.deepEqual(column, ['0.000', '5.000', '5.0004', '6.500', '86400.000000001', '9007199.254740991']);
});
