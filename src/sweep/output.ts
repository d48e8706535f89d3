// The folder a sweep writes, made in one place for `hypermem sweep` (whole or
// one shard) and `hypermem merge` (the shards put back together), so that a
// merged sweep is byte for byte the folder the whole sweep writes.

import { createHash } from 'node:crypto';
import type { Scenario } from '../scenario/types.ts';
import type { Grid } from './grid.ts';
import { sweepHtml, type SweepInfo } from './html.ts';
import { resultsCsv, resultsJson, type Row } from './rows.ts';

/** summary.json's `sweep`: what was swept. */
export interface SweepMeta {
  scenario: string;
  /** The scenario file as given on the command line. */
  file: string;
  grid: { path: string; values: string[] }[];
  /** The fixed --set flags (and --seed as seed=S). */
  set: string[];
  seeds: number;
  points: number;
  runs: number;
  /** Whether every run re-checked the invariants (--verify); absent from sweeps written before it was recorded. */
  verify?: boolean;
  /** sha256 of the scenario as loaded with the fixed --set (traces' samples included, file names left out): shards of one sweep agree on it. */
  scenario_digest: string;
}

/** summary.json's `shard` in a shard's folder (absent from a whole or merged sweep's). */
export interface ShardMeta {
  /** K of K/N, from 1. */
  index: number;
  count: number;
  /** Runs in this shard. */
  runs: number;
  /** The hypermem version that ran it, and the digest of its code (src/version.ts codeDigest). */
  hypermem: string;
  code: string;
  /**
   * The V8 release line that ran it (major.minor, from process.versions.v8):
   * another line may round Math.exp, log or pow differently, and with them a
   * run's numbers. Absent from shards written before it was recorded.
   */
  v8?: string;
  /** What the merge needs to write the whole sweep's index.html: the scenario's description and each --grid as given. */
  description: string;
  grid_text: string[];
}

/**
 * A digest of what a sweep simulates: the scenario as loaded (so the values of
 * the YAML, the --set flags and the samples of any trace it reads), without
 * the names of files, which differ from one machine to another.
 */
export function scenarioDigest(scenario: Scenario): string {
  const json = JSON.stringify(scenario, (key, value: unknown) => (key === 'file' && typeof value === 'string' ? undefined : value));
  return `sha256:${createHash('sha256').update(json).digest('hex')}`;
}

/** The names of the files sweepFiles gives (checked against the length of --out before the runs). */
export const SWEEP_FILE_NAMES = ['summary.json', 'results.json', 'results.csv', 'index.html'] as const;

/** The files of a sweep's folder: summary.json (what was swept, and the shard if it is one), results.json, results.csv, index.html. */
export function sweepFiles(meta: SweepMeta, shard: ShardMeta | null, info: SweepInfo, grids: readonly Grid[], rows: readonly Row[]): Record<string, string> {
  const summary = shard === null ? { sweep: meta } : { sweep: meta, shard };
  return {
    // summary.json marks the folder as hypermem's (writeOut replaces only such folders).
    'summary.json': JSON.stringify(summary, null, 2) + '\n',
    'results.json': resultsJson(rows),
    'results.csv': resultsCsv(grids, rows),
    'index.html': sweepHtml(info, rows),
  };
}
