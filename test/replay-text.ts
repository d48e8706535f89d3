// Test helper: runs a replay text through replayStream (what `hypermem replay`
// runs) and collects its output, error stream and exit status.
import { PassThrough } from 'node:stream';
import { replayStream } from '../src/cli/replay.ts';

export async function replayText(text: string, check = false): Promise<{ status: number; out: string; err: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  const errors = new PassThrough();
  let out = '';
  let err = '';
  output.on('data', (c: Buffer) => (out += c.toString()));
  errors.on('data', (c: Buffer) => (err += c.toString()));
  input.end(text);
  const status = await replayStream(input, output, errors, { check });
  return { status, out, err };
}
