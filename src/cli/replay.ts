// `hypermem replay [FILE|-]`: hypercalls one JSON request per line in, one JSON
// result per line out, in order. Exit status 2 when any line was malformed,
// 3 when --check found a violated invariant, 0 otherwise.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ReplaySession, type ReplayExtension } from '../replay/session.ts';
import { replayExtensions } from '../replay/extensions.ts';
import { UserError } from './errors.ts';

export interface ReplayOptions {
  check?: boolean;
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
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let status = 0;
  let pending: string[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    if (!output.write(chunk)) await new Promise<void>((resolve) => output.once('drain', () => resolve()));
  };
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const { result, lineError } = session.runLine(line, lineNo);
    if (lineError) status = 2;
    pending.push(JSON.stringify(result) + '\n');
    if (pending.length >= 256) await flush();
    if (options.check === true && session.hypervisor !== null) {
      const broken = session.hypervisor.violations();
      if (broken.length > 0) {
        await flush();
        errors.write(`hypermem replay: invariant violated after line ${lineNo}: ${broken.join('; ')}\n`);
        return 3;
      }
    }
  }
  await flush();
  return status;
}

export async function replayCommand(file: string | undefined, options: ReplayOptions): Promise<number> {
  let input: Readable;
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
