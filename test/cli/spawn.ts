// The `hypermem` command as the tests run it: a child process from the
// repository's root, its exit status and both streams as text.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Simulation } from '../../src/sim/simulation.ts';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const bin = `${root}bin/hypermem.js`;

export function hypermem(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `body` with `Simulation.prototype[method]` throwing a planted Error
 * (a fault of hypermem itself, not of the input) and standard error
 * captured; gives back what `body` returned and what was written there.
 */
export async function withPlantedFault<T>(method: 'run' | 'advance', body: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const proto = Simulation.prototype as unknown as Record<string, unknown>;
  const original = proto[method];
  const write = process.stderr.write;
  let stderr = '';
  proto[method] = () => {
    throw new Error('planted fault');
  };
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await body(), stderr };
  } finally {
    proto[method] = original;
    process.stderr.write = write;
  }
}
