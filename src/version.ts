// hypermem's version, as package.json gives it (a test keeps the two equal),
// and a digest of the code that runs: reports name the version; sweep shards
// carry both, and `hypermem merge` refuses shards made by different code
// (two checkouts of one version can differ, and so can their results).

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const HYPERMEM_VERSION = '0.1.0';

let digest: string | null = null;

/**
 * sha256 of the source files beside this one (src/ when run from the
 * sources, dist/ for the compiled library): each file's path, from this
 * folder, and bytes, in path order. Computed once, on first use.
 */
export function codeDigest(): string {
  if (digest !== null) return digest;
  const root = fileURLToPath(new URL('.', import.meta.url));
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mts|js|mjs)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => f.split('\\').join('/'))
    .sort();
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(`${f}\n`);
    hash.update(readFileSync(root + f));
    hash.update('\n');
  }
  digest = `sha256:${hash.digest('hex')}`;
  return digest;
}
