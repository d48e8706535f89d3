// File access patterns over the guest's file set. The file set is `files`
// files of `pagesPerFile` pages; a pattern yields a file-set page number
// p in [0, files * pagesPerFile), which the guest maps to (file, index) and
// looks up in its page cache. Patterns: uniform or Zipf-skewed random access
// over a working set (a prefix of the file set, hottest pages first), a
// sequential scan over a range (cyclic), and weighted mixes of these.

import { assert } from '../../lib/assert.ts';
import type { Prng } from '../../lib/prng.ts';
import { ZipfSampler } from './zipf.ts';

export type FilePattern =
  | { kind: 'zipf'; workingSetPages: number; skew: number; fromPage?: number }
  | { kind: 'uniform'; workingSetPages: number; fromPage?: number }
  | { kind: 'scan'; fromPage: number; pages: number }
  | { kind: 'mix'; parts: { weight: number; pattern: FilePattern }[] };

export interface FileAccessConfig {
  files: number;
  pagesPerFile: number;
  /** Filesystems the files are spread over (file f on fs f % filesystems). Default 1. */
  filesystems: number;
  accessesPerSec: number;
  pattern: FilePattern;
  /** Share of accesses that write (dirty) the page, in [0, 1]. */
  writeShare: number;
  /** Unlink + recreate of a random file, per second (cleancache invalidate inode). */
  unlinksPerSec: number;
  /** Truncate + rewrite of a random file, per second. */
  truncatesPerSec: number;
}

export interface PageSampler {
  next(rng: Prng): number;
}

export function compileFilePattern(p: FilePattern, fileSetPages: number): PageSampler {
  switch (p.kind) {
    case 'zipf':
    case 'uniform': {
      const from = p.fromPage ?? 0;
      assert(p.workingSetPages >= 1 && from + p.workingSetPages <= fileSetPages, `${p.kind} working set outside the file set`);
      const z = new ZipfSampler(p.workingSetPages, p.kind === 'zipf' ? p.skew : 0);
      return { next: (rng) => from + z.sample(rng) };
    }
    case 'scan': {
      assert(p.pages >= 1 && p.fromPage + p.pages <= fileSetPages, 'scan range outside the file set');
      let cursor = 0;
      return {
        next: () => {
          const v = p.fromPage + cursor;
          cursor = cursor + 1 === p.pages ? 0 : cursor + 1;
          return v;
        },
      };
    }
    case 'mix': {
      assert(p.parts.length > 0, 'mix needs parts');
      const samplers = p.parts.map((q) => compileFilePattern(q.pattern, fileSetPages));
      const total = p.parts.reduce((a, q) => a + q.weight, 0);
      assert(total > 0, 'mix weights must sum to a positive number');
      const cum = new Float64Array(p.parts.length);
      let acc = 0;
      p.parts.forEach((q, i) => {
        assert(q.weight >= 0, 'mix weight must be >= 0');
        acc += q.weight;
        cum[i] = acc / total;
      });
      return {
        next: (rng) => {
          const u = rng.nextFloat();
          let k = 0;
          while (k < cum.length - 1 && u >= cum[k]) k++;
          return samplers[k].next(rng);
        },
      };
    }
  }
}

/** A file-access configuration with defaults: 100 files of 256 pages on one filesystem, Zipf 0.9 over all of it. */
export function fileAccess(input: Partial<FileAccessConfig> = {}): FileAccessConfig {
  const files = input.files ?? 100;
  const pagesPerFile = input.pagesPerFile ?? 256;
  return {
    files,
    pagesPerFile,
    filesystems: 1,
    accessesPerSec: 0,
    pattern: { kind: 'zipf', workingSetPages: files * pagesPerFile, skew: 0.9 },
    writeShare: 0,
    unlinksPerSec: 0,
    truncatesPerSec: 0,
    ...input,
  };
}
