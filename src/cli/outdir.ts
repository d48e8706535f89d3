// The --out folder: checked before any simulation (so a bad path fails in a
// second, not after the run), then written atomically (a temporary folder
// beside it, renamed into place). An existing folder is replaced only when it
// is empty, or holds a summary.json that hypermem wrote (a run, a comparison
// or a sweep) and nothing but files hypermem writes: any other folder is
// someone's, and is never deleted.

import { accessSync, chmodSync, constants, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileProblem } from '../lib/errno.ts';
import { UserError } from './errors.ts';
import { escapeControls } from '../scenario/errors.ts';

/** The names of the files `run`, `compare` and `sweep` write. */
const OUTPUT_FILE = /^(summary\.json|timeseries\.csv|events\.jsonl|report\.html|results\.csv|results\.json|index\.html|\d+-timeseries\.csv|\d+-events\.jsonl)$/;

function problem(dir: string, what: string): UserError {
  // A very long path is cut to its last 60 characters (the end names the folder).
  const shown = dir.length > 60 ? `…${dir.slice(-59)}` : dir;
  // Quoted only when it would not read as a path (empty, or with blanks).
  return new UserError(`--out ${shown.trim() === '' || /\s/.test(shown) ? JSON.stringify(shown) : shown}: ${what}`);
}

/** Bytes a file name may have (NAME_MAX on Linux and the BSDs). */
const NAME_MAX = 255;
/**
 * Names the write uses beside the target: `.NAME.tmp-XXXXXX` (12 bytes more
 * than NAME) for the new folder, `.NAME.old-PID-I` (at most 17 more: a pid
 * below 2^22 has 7 digits, I at most 3) for an old output moved aside.
 */
const BESIDE_EXTRA = 17;
/** Bytes a path may have: PATH_MAX on Linux (4096) counts the terminating NUL. */
const PATH_BYTES = 4095;

type Kind = 'dir' | 'link' | 'other' | 'none' | { error: string };

/** What is at `path` (lstat: a symbolic link is reported as one, not followed). */
function kindOf(path: string): Kind {
  try {
    const st = lstatSync(path);
    if (st.isDirectory()) return 'dir';
    if (st.isSymbolicLink()) return 'link';
    return 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a file stands where a folder on the path should be; the walk up finds it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'none';
    return { error: code ?? (e as Error).message };
  }
}

/** The names in an existing output folder (an old output is moved aside, then its files removed there); none when there is no such folder. */
function ownNames(target: string): string[] {
  try {
    return readdirSync(target).filter((n) => OUTPUT_FILE.test(n));
  } catch {
    return [];
  }
}

/** True when summary.json is one hypermem wrote: a run's summary, a comparison's array of them, or a sweep's description. */
function isOurSummary(file: string): boolean {
  try {
    if (statSync(file).size > 256 * 1024 * 1024) return false;
    const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const isRun = (x: unknown): boolean => typeof x === 'object' && x !== null && 'scenario' in x && 'sim_time_ns' in x && 'launches' in x;
    if (Array.isArray(data)) return data.length > 0 && data.every((x) => isRun(x) && 'variant' in (x as object));
    if (typeof data === 'object' && data !== null && 'sweep' in data) {
      const sweep = (data as { sweep: unknown }).sweep;
      return typeof sweep === 'object' && sweep !== null && 'runs' in sweep && 'grid' in sweep;
    }
    return isRun(data);
  } catch {
    return false;
  }
}

/** True when `target` is empty, or holds a summary.json hypermem wrote and nothing but files hypermem writes. */
export function isHypermemOutput(target: string): boolean {
  let names: string[];
  try {
    names = readdirSync(target);
  } catch {
    return false;
  }
  if (names.length === 0) return true;
  if (!names.includes('summary.json')) return false;
  for (const n of names) {
    if (!OUTPUT_FILE.test(n)) return false;
    try {
      if (!lstatSync(`${target}/${n}`).isFile()) return false;
    } catch {
      return false;
    }
  }
  return isOurSummary(`${target}/summary.json`);
}

/**
 * Whether `dir` is a mount point: on another device than its parent, or (a
 * bind mount of the same filesystem) listed as one in /proc/self/mountinfo,
 * whose fifth field is the mount point with space, tab, newline and
 * backslash written in octal.
 */
export function isMountPoint(dir: string): boolean {
  try {
    if (statSync(dir).dev !== statSync(dirname(dir)).dev) return true;
  } catch {
    return false;
  }
  let table: string;
  try {
    table = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return false;
  }
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return false;
  }
  for (const line of table.split('\n')) {
    const field = line.split(' ')[4];
    if (field !== undefined && field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))) === real) return true;
  }
  return false;
}

/**
 * Refuses an --out that cannot be written: an empty path, a path too long for
 * the files `names` (what the command will write) in the folders used on the
 * way, a symbolic link, a path under a file, a read-only folder, a place
 * where no folder can be made, or an existing folder that is not hypermem's.
 * Returns the absolute target. Leaves nothing behind (a probe folder is made
 * and removed).
 */
export function checkOutDir(dir: string, names: readonly string[] = ['timeseries.csv']): string {
  if (dir.trim() === '') throw problem(dir, 'an empty path; give the folder to write');
  const target = resolve(dir);
  if (target === dirname(target)) throw problem(dir, 'the root folder cannot be an output folder');
  // Checked before the run: the write would fail only at its end.
  for (const part of target.split('/')) {
    if (Buffer.byteLength(part) > NAME_MAX) throw problem(dir, `a name in the path is ${Buffer.byteLength(part)} bytes long; at most ${NAME_MAX}`);
  }
  const nameBytes = Buffer.byteLength(basename(target));
  if (nameBytes + BESIDE_EXTRA > NAME_MAX) {
    throw problem(dir, `the folder's name is ${nameBytes} bytes long; at most ${NAME_MAX - BESIDE_EXTRA} (the output is written beside it under a name up to ${BESIDE_EXTRA} bytes longer, then moved in place)`);
  }
  // The longest path used: a file in the folder beside the target (the new output, or an old one moved aside to be removed).
  const longest = [...names, ...ownNames(target)].reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a), '');
  const most = PATH_BYTES - BESIDE_EXTRA - 1 - Buffer.byteLength(longest);
  if (Buffer.byteLength(target) > most) {
    throw problem(
      dir,
      `the folder's absolute path is ${Buffer.byteLength(target)} bytes long; at most ${most} (a path has at most ${PATH_BYTES} bytes, PATH_MAX; the output is written beside the folder under a name up to ${BESIDE_EXTRA} bytes longer, then moved in place, and its longest file name, ${longest}, adds ${Buffer.byteLength(longest) + 1})`,
    );
  }
  const kind = kindOf(target);
  if (typeof kind === 'object') throw problem(dir, `cannot be examined (${kind.error})`);
  if (kind === 'link') throw problem(dir, 'is a symbolic link; give the folder itself');
  if (kind === 'other') throw problem(dir, 'exists and is not a folder; choose another path');
  if (kind === 'dir' && !isHypermemOutput(target)) {
    throw problem(dir, 'the folder exists and is not a hypermem output folder (it holds files hypermem did not write, and hypermem replaces only its own output folders); choose another');
  }
  if (kind === 'dir') {
    // Replacing a folder its owner made read-only would go around the owner's
    // wish: refused when we may not write in it, and also when no write bit is
    // set at all (root may write anywhere, but the mode says "keep").
    let writable = true;
    try {
      accessSync(target, constants.W_OK | constants.X_OK);
      writable = (statSync(target).mode & 0o222) !== 0;
    } catch {
      writable = false;
    }
    if (!writable) throw problem(dir, 'the folder is read-only (no write permission); choose another or make it writable');
    // A mount point cannot be moved aside and replaced (rename says EBUSY, after the whole run): said now.
    if (isMountPoint(target)) throw problem(dir, 'the folder is a mount point, which hypermem cannot replace (it writes the output beside it, then moves it in place); give a folder inside it');
  }
  // The nearest existing ancestor must be a folder we may write in (the temporary folder goes beside the target).
  let at = dirname(target);
  // Bounded: each step goes one level up, and the root exists.
  for (;;) {
    const k = kindOf(at);
    if (typeof k === 'object') throw problem(dir, `${at} cannot be examined (${k.error})`);
    if (k === 'dir') break;
    if (k === 'link') {
      // A link to a folder above the target is fine (it is followed when writing); to anything else it is not.
      let isDir = false;
      try {
        isDir = statSync(at).isDirectory();
      } catch {
        isDir = false;
      }
      if (isDir) break;
      throw problem(dir, `${at} is a symbolic link that does not lead to a folder`);
    }
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
  // A folder with no write bit at all is kept as its owner wants, for root too (as for DIR itself).
  if (at !== '/' && (statSync(at).mode & 0o222) === 0) throw problem(dir, `${at} is read-only (no write bit); choose another place or make it writable`);
  // Permission bits do not tell everything (/proc, a read-only mount, a full
  // inode table): make a folder there and remove it.
  try {
    rmdirSync(mkdtempSync(`${at === '/' ? '' : at}/.hypermem-probe-`));
  } catch (e) {
    throw problem(dir, `cannot create a folder in ${at} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return target;
}

/**
 * Creates the missing folders above `target`, one level at a time (a
 * recursive mkdir can loop on paths such as /proc/self/…); returns them,
 * outermost first, so a failed write can take them away again.
 */
function makeParents(dir: string, target: string): string[] {
  const missing: string[] = [];
  // Bounded: each step goes one level up, and the root exists.
  for (let at = dirname(target); kindOf(at) === 'none'; at = dirname(at)) {
    missing.push(at);
    if (dirname(at) === at) break;
  }
  const made: string[] = [];
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
      made.push(p);
    } catch (e) {
      // Another process made it meanwhile (shards of a sweep writing into one shared folder): it is there, not ours.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && kindOf(p) === 'dir') continue;
      removeMade(made);
      throw problem(dir, `cannot create ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return made;
}

/** Removes folders makeParents made, innermost first, while they are empty. */
function removeMade(made: string[]): void {
  for (const p of [...made].reverse()) {
    try {
      rmdirSync(p);
    } catch {
      return;
    }
  }
}

let signalsDeferred = false;
let lastWrite: { dir: string; ok: boolean } | null = null;

/**
 * From the first write on, SIGINT, SIGTERM and SIGHUP no longer kill the
 * process at once: the write is synchronous, so a handler runs only after it
 * has finished (or failed and cleaned up), and then ends the process. Without
 * this, a signal between the temporary folder and the final rename would leave
 * a hidden half-written folder, or the old output moved aside.
 */
function deferSignals(): void {
  if (signalsDeferred) return;
  signalsDeferred = true;
  const codes: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
  for (const [signal, n] of Object.entries(codes)) {
    process.on(signal, () => {
      const w = lastWrite;
      const what = w === null ? '' : w.ok ? `; --out ${w.dir} had been written in full` : `; nothing was written to --out ${w.dir}`;
      process.stderr.write(`hypermem: stopped by ${signal}${escapeControls(what)}\n`);
      process.exit(128 + n);
    });
  }
}

/** A name beside `target` that does not exist yet. */
function besideName(target: string, what: string): string {
  // Bounded: one of the first 1000 names is free unless 1000 runs race for the same folder.
  for (let i = 0; i < 1000; i++) {
    const name = `${dirname(target)}/.${basename(target)}.${what}-${process.pid}-${i}`;
    const kind = kindOf(name);
    if (kind === 'none') return name;
    // A name the system refuses (too long, …): the next ones would be refused too.
    if (typeof kind === 'object') throw new Error(`writeOut: no name beside ${target}: ${kind.error}`);
  }
  throw new Error(`writeOut: no free name beside ${target}`);
}

/**
 * Writes the files into DIR atomically: everything or nothing. An earlier
 * output folder is first moved aside and checked again there (so nothing put
 * into it since the check is lost: then it is moved back and the write
 * refused), the new folder moved into place, and only then the old one removed.
 */
export function writeOut(dir: string, files: Record<string, string>): void {
  deferSignals();
  lastWrite = { dir, ok: false };
  const target = checkOutDir(dir, Object.keys(files));
  for (const name of Object.keys(files)) {
    if (!OUTPUT_FILE.test(name)) throw new Error(`writeOut: ${name} is not an output file name`);
  }
  const made = makeParents(dir, target);
  let tmp: string;
  try {
    tmp = mkdtempSync(`${dirname(target)}/.${basename(target)}.tmp-`);
  } catch (e) {
    removeMade(made);
    throw problem(dir, `cannot create a folder beside it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let aside: string | null = null;
  try {
    // mkdtemp makes a private (0700) folder; the output is an ordinary shareable folder.
    chmodSync(tmp, 0o755);
    for (const [name, content] of Object.entries(files)) writeFileSync(`${tmp}/${name}`, content);
    const now = kindOf(target);
    if (now === 'dir') {
      aside = besideName(target, 'old');
      renameSync(target, aside);
      if (!isHypermemOutput(aside)) {
        renameSync(aside, target);
        aside = null;
        throw problem(dir, 'the folder changed during the run and is no longer a hypermem output folder; nothing was written');
      }
    } else if (now !== 'none') {
      throw problem(dir, 'something else appeared at this path during the run; nothing was written');
    }
    try {
      renameSync(tmp, target);
    } catch (e) {
      if (aside !== null) renameSync(aside, target);
      aside = null;
      throw e;
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    removeMade(made);
    if (e instanceof UserError) throw e;
    throw problem(dir, `writing failed: ${fileProblem(e)}`);
  }
  lastWrite.ok = true;
  // The old output, checked to be hypermem's only files: removed file by file, then the (now empty) folder.
  if (aside !== null) {
    for (const n of readdirSync(aside)) rmSync(`${aside}/${n}`, { force: true });
    rmdirSync(aside);
  }
}
