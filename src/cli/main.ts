// The `hypermem` command line. The only layer that touches the process:
// arguments, standard streams, exit status.

import { Command, CommanderError } from 'commander';
import { replayCommand, UserError } from './replay.ts';

function program(): Command {
  const cli = new Command('hypermem')
    .description('A hypervisor memory manager (claims, tmem) and the simulator around it.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  cli
    .command('replay')
    .description('run hypercalls from a JSONL file (one request per line), print one JSON result per line')
    .argument('[file]', 'the requests, or - for standard input', '-')
    .option('--check', 'verify every invariant after every line; stop at the first violation (exit 3)')
    .action(async (file: string, options: { check?: boolean }) => {
      process.exitCode = await replayCommand(file, options);
    });
  return cli;
}

/** Runs the CLI; returns the exit status instead of exiting, so output is flushed. */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = 0;
  try {
    await program().parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UserError) {
      process.stderr.write(`hypermem: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
