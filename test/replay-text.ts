// Test helper: runs replay input through replayStream (what `hypermem replay`
// runs) and collects its output, error stream and exit status.
import { PassThrough, Readable } from 'node:stream';
import { replayStream, type ReplayOptions } from '../src/cli/replay.ts';
import { replayExtensions } from '../src/replay/extensions.ts';
import type { ReplayExtension } from '../src/replay/session.ts';

/** replayStream on `input`, with what it writes to its output and error streams. */
export async function replayInput(
  input: Readable,
  options: ReplayOptions = {},
  extensions: () => ReplayExtension[] = replayExtensions,
): Promise<{ status: number; out: string; err: string }> {
  const output = new PassThrough();
  const errors = new PassThrough();
  let out = '';
  let err = '';
  output.on('data', (c: Buffer) => (out += c.toString()));
  errors.on('data', (c: Buffer) => (err += c.toString()));
  const status = await replayStream(input, output, errors, options, extensions);
  return { status, out, err };
}

export async function replayText(text: string, check = false): Promise<{ status: number; out: string; err: string }> {
  const input = new PassThrough();
  input.end(text);
  return replayInput(input, { check });
}
