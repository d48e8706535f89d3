// `hypermem merge SHARD_DIR… --out DIR`: the shards of a sweep (`sweep --shard
// K/N`, run on any machines by any job engine) put back together into the
// folder the whole sweep writes, byte for byte. Everything is checked before
// anything is written (src/sweep/shard.ts); the write is all or nothing.

import { UserError } from './errors.ts';
import { checkOutDir, writeOut } from './outdir.ts';
import { SWEEP_FILE_NAMES, sweepFiles } from '../sweep/output.ts';
import { mergeShards } from '../sweep/shard.ts';
import { verdictLines } from './sweep.ts';

export interface MergeOptions {
  out?: string;
  quiet?: boolean;
}

export function mergeCommand(dirs: readonly string[], options: MergeOptions): number {
  if (options.out === undefined) throw new UserError('merge: --out DIR is required (where the merged results.csv, results.json and index.html go)');
  checkOutDir(options.out, SWEEP_FILE_NAMES);
  const merged = mergeShards(dirs, options.out);
  writeOut(options.out, sweepFiles(merged.meta, null, merged.info, merged.grids, merged.rows));
  if (options.quiet !== true) {
    const { meta } = merged;
    process.stdout.write(
      `merged ${merged.shards} shard${merged.shards === 1 ? '' : 's'}: ${meta.runs} runs (${meta.points} points × ${meta.seeds} seed${meta.seeds === 1 ? '' : 's'})\n` +
        `wrote ${options.out}/ (results.csv, results.json, index.html, summary.json)\n` +
        verdictLines(merged.grids, meta.seeds, merged.rows),
    );
  }
  return merged.rows.some((r) => r.summary.invariant_violations > 0) ? 3 : 0;
}
