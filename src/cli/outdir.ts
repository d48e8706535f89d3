// The --out folder: checked before any simulation (so a bad path fails in a
// second, not after the run), then written atomically (a temporary folder
// beside it, renamed into place). An existing folder is replaced only when
// everything in it is a file hypermem writes: a folder that also holds
// anything else is someone's, and is never deleted.

import { accessSync, chmodSync, constants, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { UserError } from './errors.ts';

/** The names of the files `run`, `compare` and `sweep` write. */
const OUTPUT_FILE = /^(summary\.json|timeseries\.csv|events\.jsonl|report\.html|results\.csv|results\.json|index\.html|\d+-timeseries\.csv|\d+-events\.jsonl)$/;

function problem(dir: string, what: string): UserError {
  // Quoted only when it would not read as a path (empty, or with blanks).
  return new UserError(`--out ${dir.trim() === '' || /\s/.test(dir) ? JSON.stringify(dir) : dir}: ${what}`);
}

/** What is at `path`: a folder, another kind of file, or nothing (lstat: a symlink is not followed). */
function kindOf(path: string): 'dir' | 'other' | 'none' {
  try {
    const st = lstatSync(path);
    if (st.isDirectory()) return 'dir';
    if (st.isSymbolicLink()) {
      try {
        return statSync(path).isDirectory() ? 'dir' : 'other';
      } catch {
        return 'other';
      }
    }
    return 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a file stands where a folder on the path should be; the walk up finds it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'none';
    return 'other';
  }
}

/** True when `target` holds summary.json and nothing but files hypermem writes. */
export function isHypermemOutput(target: string): boolean {
  let names: string[];
  try {
    names = readdirSync(target);
  } catch {
    return false;
  }
  if (!names.includes('summary.json')) return false;
  return names.every((n) => OUTPUT_FILE.test(n) && lstatSync(`${target}/${n}`).isFile());
}

/**
 * Refuses an --out that cannot be written: an empty path, a path under a file,
 * a folder without write permission, or an existing folder that is not
 * hypermem's. Returns the absolute target. Creates nothing.
 */
export function checkOutDir(dir: string): string {
  if (dir.trim() === '') throw problem(dir, 'an empty path; give the folder to write');
  const target = resolve(dir);
  if (target === dirname(target)) throw problem(dir, 'the root folder cannot be an output folder');
  const kind = kindOf(target);
  if (kind === 'other') throw problem(dir, 'exists and is not a folder; choose another path');
  if (kind === 'dir' && !isHypermemOutput(target)) {
    throw problem(dir, 'the folder exists and is not a hypermem output folder (it holds files hypermem did not write, and hypermem replaces only its own output folders); choose another');
  }
  // The nearest existing ancestor must be a folder we may write in (the temporary folder goes beside the target).
  let at = dirname(target);
  // Bounded: each step goes one level up, and the root exists.
  for (;;) {
    const k = kindOf(at);
    if (k === 'dir') break;
    if (k === 'other') throw problem(dir, `${at} is a file, not a folder`);
    const up = dirname(at);
    if (up === at) throw problem(dir, 'no existing folder above it');
    at = up;
  }
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch {
    throw problem(dir, `cannot write in ${at} (permission denied)`);
  }
  return target;
}

/** Creates the missing folders above `target`, one level at a time (a recursive mkdir can loop on paths such as /proc/self/…). */
function makeParents(dir: string, target: string): void {
  const missing: string[] = [];
  // Bounded: each step goes one level up, and the root exists.
  for (let at = dirname(target); kindOf(at) === 'none'; at = dirname(at)) {
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (e) {
      throw problem(dir, `cannot create ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}

/** Writes the files into DIR atomically: everything or nothing. */
export function writeOut(dir: string, files: Record<string, string>): void {
  const target = checkOutDir(dir);
  for (const name of Object.keys(files)) {
    if (!OUTPUT_FILE.test(name)) throw new Error(`writeOut: ${name} is not an output file name`);
  }
  makeParents(dir, target);
  let tmp: string;
  try {
    tmp = mkdtempSync(`${dirname(target)}/.${basename(target)}.tmp-`);
  } catch (e) {
    throw problem(dir, `cannot create a folder beside it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    // mkdtemp makes a private (0700) folder; the output is an ordinary shareable folder.
    chmodSync(tmp, 0o755);
    for (const [name, content] of Object.entries(files)) writeFileSync(`${tmp}/${name}`, content);
    if (kindOf(target) === 'dir') rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof UserError) throw e;
    throw problem(dir, `writing failed: ${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message}`.trim());
  }
}
