// `hypermem replay [FILE|-]`: hypercalls one JSON request per line in, one JSON
// result per line out, in order. Exit status 2 when any line was malformed
// (or the results cannot be written), 3 when --check found a violated
// invariant, 0 otherwise. A reader that goes away (`| head -1`, EPIPE) ends
// the run quietly with status 0.

import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { ReplaySession, type ReplayExtension } from '../replay/session.ts';
import { replayExtensions } from '../replay/extensions.ts';
import { describeLimit, MAX_LINE_BYTES, readLines, type InputLine } from '../replay/lines.ts';
import { UserError } from './errors.ts';

export interface ReplayOptions {
  check?: boolean;
  /** The longest line accepted, in bytes (default MAX_LINE_BYTES, 16 MiB); for tests. */
  maxLineBytes?: number;
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

/** Runs a whole replay stream; returns the exit status. */
export async function replayStream(
  input: Readable,
  output: Writable,
  errors: Writable,
  options: ReplayOptions,
  extensions: ReplayExtension[] = replayExtensions(),
): Promise<number> {
  const session = new ReplaySession(extensions);
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const writer = new ResultWriter(output);
  const lines = readLines(input, maxLineBytes);
  let lineNo = 0;
  let status = 0;
  try {
    for (;;) {
      let next: IteratorResult<InputLine>;
      try {
        next = await lines.next();
      } catch (e) {
        // The input broke off (EIO, a vanished network file): print what was answered, then say so.
        await writer.flush(true);
        throw new UserError(`cannot read the requests after line ${lineNo}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      if (next.done === true) break;
      const line = next.value;
      lineNo++;
      if (line.tooLong) {
        // Answered like any malformed line; said at once (the rest of the line is still being read).
        status = 2;
        writer.push(JSON.stringify({ ok: false, error: `line ${lineNo}: longer than ${describeLimit(maxLineBytes)}, the most a line may hold; the line was skipped` }) + '\n');
        await writer.flush();
      } else {
        if (line.text.trim() === '') continue;
        // Binary bytes (a NUL, or bytes that are not UTF-8): a line error that does not echo them.
        if (line.text.includes('\0') || line.binary) {
          status = 2;
          writer.push(JSON.stringify({ ok: false, error: `line ${lineNo}: not text (a NUL byte or bytes that are not UTF-8); is this a JSONL file of requests?` }) + '\n');
          continue;
        }
        const { result, lineError } = session.runLine(line.text, lineNo);
        if (lineError) status = 2;
        writer.push(JSON.stringify(result) + '\n');
        if (writer.size >= 256) await writer.flush();
        if (options.check === true && session.hypervisor !== null) {
          const broken = session.hypervisor.violations();
          if (broken.length > 0) {
            // Said on standard error even when standard output is gone: the violation is the result.
            await writer.flush(true);
            errors.write(`hypermem replay: invariant violated after line ${lineNo}: ${broken.join('; ')}\n`);
            return 3;
          }
        }
      }
      if (writer.failure !== null) break; // leaving the loop stops reading the input
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

export async function replayCommand(file: string | undefined, options: ReplayOptions): Promise<number> {
  let input: Readable;
  if (file === '') throw new UserError('replay: the file name is empty (give a JSONL file of requests, or none or - to read standard input)');
  if (file === undefined || file === '-') {
    input = process.stdin;
  } else {
    input = createReadStream(file);
    await new Promise<void>((resolve, reject) => {
      input.once('readable', () => resolve());
      input.once('error', (e: NodeJS.ErrnoException) =>
        reject(new UserError(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message}`)),
      );
    });
  }
  return replayStream(input, process.stdout, process.stderr, options);
}
