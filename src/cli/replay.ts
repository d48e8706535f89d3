// `hypermem replay [FILE|-]`: hypercalls one JSON request per line in, one JSON
// result per line out, in order. Exit status 2 when any line was malformed
// (or the results cannot be written), 3 when --check found a violated
// invariant, 0 otherwise. A reader that goes away (`| head -1`, EPIPE) ends
// the run quietly with status 0.

import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { CheckSchedule, narrow, type Broken, type ReplayPass } from '../replay/check.ts';
import { ReplaySession, type ReplayExtension, type ReplayResult } from '../replay/session.ts';
import { replayExtensions } from '../replay/extensions.ts';
import { describeLimit, MAX_LINE_BYTES, readLines, type InputLine } from '../replay/lines.ts';
import { fileProblem } from '../lib/errno.ts';
import { HEAD_BYTES, notRequests } from '../replay/not-requests.ts';
import { UserError } from './errors.ts';

export interface ReplayOptions {
  check?: boolean;
  /** The longest line accepted, in bytes (default MAX_LINE_BYTES, 16 MiB); for tests. */
  maxLineBytes?: number;
  /**
   * The same requests again from the start (a file is read again): lets
   * --check name the line that broke an invariant when the whole check ran
   * only every few lines. Without it such a violation names the lines
   * between the last clean check and the failed one.
   */
  reopen?: () => Readable;
}

/**
 * The results on their way out, in batches. A write error (EPIPE, ENOSPC, …)
 * is kept here instead of crashing the process as an unhandled 'error'.
 */
class ResultWriter {
  failure: NodeJS.ErrnoException | null = null;
  private pending: string[] = [];
  private readonly onError = (e: NodeJS.ErrnoException): void => {
    this.failure ??= e;
  };

  constructor(private readonly output: Writable) {
    output.on('error', this.onError);
  }

  push(line: string): void {
    this.pending.push(line);
  }

  get size(): number {
    return this.pending.length;
  }

  /** Writes what is pending; with `settle`, waits until the output took it (or failed). */
  async flush(settle = false): Promise<void> {
    if (this.failure !== null || this.output.destroyed) {
      this.failure ??= Object.assign(new Error('the output is closed'), { code: 'EPIPE' });
      return;
    }
    const chunk = this.pending.join('');
    this.pending = [];
    let written!: () => void;
    const done = new Promise<void>((resolve) => (written = resolve));
    const ok = this.output.write(chunk, (e) => {
      if (e) this.onError(e);
      written();
    });
    if (ok && !settle) return;
    // Wait for the write (or for room to write more), whichever way it ends.
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        this.output.off('drain', finish);
        this.output.off('error', finish);
        this.output.off('close', finish);
        resolve();
      };
      this.output.on('drain', finish);
      this.output.on('error', finish);
      this.output.on('close', finish);
      void done.then(finish);
    });
  }

  release(): void {
    this.output.off('error', this.onError);
  }
}

/** A line of input run by the session: its result, or null for a blank line (skipped). */
function runInput(session: ReplaySession, line: InputLine, lineNo: number, maxLineBytes: number): { result: ReplayResult; lineError: boolean } | null {
  if (line.tooLong) {
    // Answered like any malformed line (the rest of the line is still being read).
    return { result: { ok: false, error: `line ${lineNo}: longer than ${describeLimit(maxLineBytes)}, the most a line may hold; the line was skipped` }, lineError: true };
  }
  if (line.text.trim() === '') return null;
  // Binary bytes (a NUL, or bytes that are not UTF-8): a line error that does not echo them.
  if (line.text.includes('\0') || line.binary) {
    return { result: { ok: false, error: `line ${lineNo}: not text (a NUL byte or bytes that are not UTF-8); is this a JSONL file of requests?` }, lineError: true };
  }
  return session.runLine(line.text, lineNo);
}

/**
 * The requests again from the start, in a new session, for `narrow`: runs
 * lines 1..upTo, checking after each line of `checkAt`. 'lost' when the
 * input cannot be read again as it was: an error, or it ends before a check.
 */
function replayPass(reopen: () => Readable, extensions: () => ReplayExtension[], maxLineBytes: number): ReplayPass {
  return async (upTo, checkAt) => {
    const session = new ReplaySession(extensions());
    let next = 0;
    try {
      const lines = readLines(reopen(), maxLineBytes);
      let lineNo = 0;
      try {
        for await (const line of lines) {
          lineNo++;
          runInput(session, line, lineNo, maxLineBytes);
          if (next < checkAt.length && checkAt[next] === lineNo) {
            next++;
            const violations = session.hypervisor?.violations() ?? [];
            if (violations.length > 0) return { line: lineNo, violations };
          }
          if (lineNo >= upTo || next >= checkAt.length) break;
        }
      } finally {
        await lines.return(undefined);
      }
    } catch {
      return 'lost'; // gone or unreadable now
    }
    return next < checkAt.length ? 'lost' : null;
  };
}

/**
 * The message of a violation found by --check: its line, or (`window`
 * says why the line could not be found) the lines since the last clean check.
 */
function violationMessage(broken: Broken, seenAfter: number, window: string | null): string {
  const what = broken.violations.join('; ');
  if (window === null) {
    const found = seenAfter === broken.line ? '' : ` (seen by the check after line ${seenAfter}; the requests were run again from the start to find the line)`;
    return `invariant violated after line ${broken.line}${found}: ${what}`;
  }
  return (
    `invariant violated by one of lines ${broken.clean + 1}-${broken.line}: ${what} ` +
    `(every invariant held after line ${broken.clean}; on a state this large the whole check runs every few lines, and ${window})`
  );
}

/** Runs a whole replay stream; returns the exit status. */
export async function replayStream(
  input: Readable,
  output: Writable,
  errors: Writable,
  options: ReplayOptions,
  extensions: () => ReplayExtension[] = replayExtensions,
): Promise<number> {
  const session = new ReplaySession(extensions());
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const writer = new ResultWriter(output);
  const lines = readLines(input, maxLineBytes);
  const schedule = options.check === true ? new CheckSchedule() : null;
  let lineNo = 0;
  let status = 0;
  /** Says a violation on standard error (even when standard output is gone: the violation is the result); returns 3. */
  const report = async (found: Broken): Promise<number> => {
    await writer.flush(true);
    let broken: Broken | null = found;
    let window: string | null = null;
    if (found.line - found.clean > 1) {
      if (options.reopen === undefined) {
        window = 'this input (standard input, a pipe) cannot be read again to find the line: give the requests as a file';
      } else {
        broken = await narrow(found, session.hypervisor?.checkCost() ?? 1, replayPass(options.reopen, extensions, maxLineBytes));
        if (broken === null) window = 'the file could not be read again as it was (changed, shortened or gone) to find the line';
      }
    }
    errors.write(`hypermem replay: ${violationMessage(broken ?? found, found.line, window)}\n`);
    return 3;
  };
  /** The lines since the last check, checked where reading stopped (the end, a read error, a reader gone). */
  const checkAtEnd = async (): Promise<number | null> => {
    const found = schedule?.atEnd(session.hypervisor, lineNo) ?? null;
    return found === null ? null : await report(found);
  };
  try {
    for (;;) {
      let next: IteratorResult<InputLine>;
      try {
        next = await lines.next();
      } catch (e) {
        // The input broke off (EIO, a vanished network file): a violation in the lines read is the result; else print what was answered, then say so.
        const violated = await checkAtEnd();
        if (violated !== null) return violated;
        await writer.flush(true);
        throw new UserError(`cannot read the requests after line ${lineNo}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      if (next.done === true) {
        const violated = await checkAtEnd();
        if (violated !== null) return violated;
        break;
      }
      lineNo++;
      const ran = runInput(session, next.value, lineNo, maxLineBytes);
      if (ran !== null) {
        if (ran.lineError) status = 2;
        writer.push(JSON.stringify(ran.result) + '\n');
        // A line too long is said at once (the rest of it is still being read).
        if (writer.size >= 256 || next.value.tooLong) await writer.flush();
        const found = schedule?.after(session.hypervisor, lineNo) ?? null;
        if (found !== null) return await report(found);
      } else {
        schedule?.skipped(lineNo);
      }
      if (writer.failure !== null) {
        // The reader went away: leaving the loop stops reading the input; a violation in the lines run is still said.
        const violated = await checkAtEnd();
        if (violated !== null) return violated;
        break;
      }
    }
    if (writer.failure === null) await writer.flush(true);
    const failure = writer.failure;
    if (failure === null) return status;
    // The reader went away: stop quietly, with what is known (2 if a line was malformed so far).
    if (failure.code === 'EPIPE') return status;
    errors.write(`hypermem: cannot write to standard output: ${failure.code ?? failure.message}\n`);
    return 2;
  } finally {
    writer.release();
    await lines.return(undefined); // stops reading the input when the loop ended early
  }
}

/** Whether `file` is a regular file; false when it cannot be looked at (the stream opened next says why: ELOOP, EACCES, …). */
function isRegularFile(file: string): boolean {
  try {
    return statSync(file, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}

/** A scenario or a run's events given as the requests: one line, before anything runs. */
function refuseNonRequests(file: string): void {
  let head = '';
  let cut = false;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(HEAD_BYTES);
      const read = readSync(fd, buf, 0, HEAD_BYTES, 0);
      head = buf.toString('utf8', 0, read);
      cut = read === HEAD_BYTES;
    } finally {
      closeSync(fd);
    }
  } catch {
    return; // Unreadable: the stream opened next says why.
  }
  const what = notRequests(head, cut);
  if (what === 'scenario') throw new UserError(`${file}: a scenario (YAML), not a file of hypercalls (one JSON request a line): run it with hypermem run ${file}`);
  if (what === 'events') throw new UserError(`${file}: the events of a run (what hypermem run --out writes as events.jsonl), not a file of hypercalls (one JSON request a line)`);
}

export async function replayCommand(file: string | undefined, options: ReplayOptions): Promise<number> {
  let input: Readable;
  if (file === '') throw new UserError('replay: the file name is empty (give a JSONL file of requests, or none or - to read standard input)');
  // A file can be read again, to find the line that broke an invariant (--check).
  // Not a pipe or a device (`<(…)`, /dev/stdin): reading those again does not give the same requests.
  const regular = file !== undefined && file !== '-' && isRegularFile(file);
  if (regular) refuseNonRequests(file);
  if (file === undefined || file === '-') {
    input = process.stdin;
  } else {
    input = createReadStream(file);
    await new Promise<void>((resolve, reject) => {
      input.once('readable', () => resolve());
      input.once('error', (e: NodeJS.ErrnoException) =>
        reject(new UserError(`cannot read ${file}: ${fileProblem(e)}`)),
      );
    });
  }
  const reopen = regular ? (): Readable => createReadStream(file) : undefined;
  return replayStream(input, process.stdout, process.stderr, { ...options, reopen: options.reopen ?? reopen });
}
