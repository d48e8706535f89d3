// The `hypermem` command line. The only layer that touches the process:
// arguments, standard streams, exit status.

import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { replayCommand } from './replay.ts';
import { internalErrorText, UserError } from './errors.ts';
import { escapeControls } from '../scenario/errors.ts';
import { DEFAULT_MEMORY_PERCENT } from './memory.ts';
import { compareCommand, load, MAX_COMPARE_JOBS, MAX_COMPARE_RUNS, MAX_COMPARE_SEEDS, runCommand } from './run.ts';
import { validateCommand } from './validate.ts';
import { MAX_JOBS, sweepCommand } from './sweep.ts';
import { mergeCommand } from './merge.ts';
import { serveCommand } from './serve.ts';
import { table } from '../report/text.ts';
import { HYPERMEM_VERSION } from '../version.ts';
import { compareReportHtml, runReportHtml } from '../report/html.ts';

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * A single-valued option given twice is an error, not "the last one wins".
 * Refused as our own message (a UserError passes through commander, which
 * would put "option '--out <dir>' argument 'b' is invalid." before it).
 */
function once(flag: string): (value: string, previous: string | undefined) => string {
  return (value, previous) => {
    if (previous !== undefined) throw new UserError(`${flag} is given twice (${previous} and ${value}); give it once`);
    // `--out --quiet`: the next flag taken as the value (a folder named --quiet) is surely not what was meant.
    if (/^--[a-z]/.test(value)) {
      throw new UserError(`${flag} needs a value, found the flag ${value}${flag === '--out' ? ` (a folder whose name starts with -- is written ./${value})` : ''}`);
    }
    return value;
  };
}

function examplesCommand(): number {
  const files = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml')).sort();
  const rows = files.map((f) => {
    try {
      return [`examples/${f}`, load(`${examplesDir}${f}`, []).description];
    } catch (e) {
      return [`examples/${f}`, `(does not load: ${(e as Error).message})`];
    }
  });
  process.stdout.write(table(['scenario', 'what it shows'], rows));
  return 0;
}

const USAGE_HINT = '(hypermem --help lists the commands; hypermem COMMAND --help, its options)';

/**
 * Commander's error text as one line: "unknown option '--seed'; did you mean
 * --set?". Only commander's own layout is taken apart (the "error: " prefix,
 * the final line break, a last line of suggestion); a line break in the
 * user's own text is escaped like any control character.
 */
function usageLine(text: string, longFlags: readonly string[] = []): string {
  let body = text.replace(/^error: /, '').replace(/\n$/, '');
  const suggestion = /\n\(Did you mean (.*)\?\)$/.exec(body);
  if (suggestion !== null) body = body.slice(0, suggestion.index);
  const line = escapeControls(body) || 'usage error';
  if (suggestion !== null) return `${line}; did you mean ${escapeControls(suggestion[1])}?`;
  const short = shortFlagSuggestion(body, longFlags);
  return short === undefined ? line : `${line}; did you mean ${short}?`;
}

/**
 * Commander suggests only for a misspelt long option. Our options have no
 * one-letter forms, so for `-q` name the command's long options that start
 * with that letter ("--quiet"; "--seed or --set"), also when a value is
 * stuck to it (`-s3`, `-s=3`); not for `-qs`, which names several letters.
 */
function shortFlagSuggestion(body: string, longFlags: readonly string[]): string | undefined {
  const m = /^unknown option '-([A-Za-z])(?:[^A-Za-z][^']*)?'$/.exec(body);
  if (m === null) return undefined;
  const matches = longFlags.filter((f) => f.startsWith(`--${m[1].toLowerCase()}`));
  if (matches.length === 0) return undefined;
  return matches.length === 1 ? matches[0] : `${matches.slice(0, -1).join(', ')} or ${matches[matches.length - 1]}`;
}

/** A usage error is one line, as every other error: commander's "error: …" and its "(Did you mean …?)" on one line, then the hint. */
function usageOutput(longFlags: readonly string[] = []): { outputError: (text: string, write: (s: string) => void) => void } {
  return { outputError: (text, write) => write(`hypermem: ${usageLine(text, longFlags)} ${USAGE_HINT}\n`) };
}

function program(): Command {
  const cli = new Command('hypermem')
    .description('A hypervisor memory manager (claims, tmem) and the simulator around it.')
    .version(HYPERMEM_VERSION)
    // -V and -h of hypermem itself only before the command: `run X -V` is an unknown option of run, not the version.
    .enablePositionalOptions()
    .configureOutput(usageOutput())
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit status: 0 done; 2 bad input (scenario, flags, files), or a run stopped at its max_events bound or above --max-memory,\nwith one message on standard error and no --out folder written; 3 an invariant violation found (--verify, replay --check);\n1 a fault of hypermem itself (please report it).',
    );
  cli
    .command('run')
    .description('simulate a scenario and report what happened')
    .argument('<scenario>', 'a scenario YAML file (see `hypermem examples`)')
    .option('--seed <n>', 'override the scenario seed', once('--seed'))
    .option('--set <path=value>', 'override a scenario field, e.g. toolstack.policy=none (repeatable)', collect, [])
    .option('--json', 'print the summary as one JSON object')
    .option('--out <dir>', 'write summary.json, timeseries.csv, events.jsonl and report.html to DIR', once('--out'))
    .option('--quiet', 'print nothing but errors (and --json)')
    .option('--verify', 're-check every invariant as the run goes (after every event on a small host, spaced out on a large one; about +25-50% time, more for many small events such as 4KiB build batches); exit 3 on a violation')
    .option('--max-memory <size>', `stop with an error when hypermem holds more memory than this: a size such as 8GiB (at least 16MiB), or a percent of this machine's memory (default ${DEFAULT_MEMORY_PERCENT}%)`, once('--max-memory'))
    .action((file: string, options) => {
      process.exitCode = runCommand(file, options, (result, scenario) => ({ 'report.html': runReportHtml(result, scenario) }));
    });
  cli
    .command('compare')
    .description('run a scenario once per value of one field (or per value and seed, --seeds) and show the results side by side')
    .argument('<scenario>', 'a scenario YAML file')
    .option('--set <path=a,b,c>', 'the field and the values to compare (one), plus any path=value overrides', collect, [])
    .option('--seed <n>', 'override the scenario seed', once('--seed'))
    .option('--seeds <n>', `runs per value, with the scenario seed, seed+1, … (default 1, at most ${MAX_COMPARE_SEEDS}, ${MAX_COMPARE_RUNS} runs in all): the verdict counts the seeds each value does best on`, once('--seeds'))
    .option('--jobs <k>', `worker threads for the runs (default: the number of cores, at most ${MAX_COMPARE_JOBS}; 1: one run after another in this process)`, once('--jobs'))
    .option('--json', 'print an array of summaries, one per value (per value and seed with --seeds)')
    .option('--out <dir>', 'write the summaries, time series and a side-by-side report to DIR', once('--out'))
    .option('--quiet', 'print nothing but errors (and --json)')
    .option('--verify', 're-check every invariant as the run goes (after every event on a small host, spaced out on a large one; about +25-50% time, more for many small events such as 4KiB build batches); exit 3 on a violation')
    .option('--max-memory <size>', `stop with an error when hypermem holds more memory than this: a size such as 8GiB (at least 16MiB), or a percent of this machine's memory (default ${DEFAULT_MEMORY_PERCENT}%)`, once('--max-memory'))
    .action(async (file: string, options) => {
      process.exitCode = await compareCommand(file, options, (variants, overSeeds) => ({ 'report.html': compareReportHtml(variants, overSeeds) }));
    });
  cli
    .command('sweep')
    .description('run a scenario at every point of a grid of values (× seeds) on worker threads; write a table of the runs')
    .argument('<scenario>', 'a scenario YAML file')
    .option('--grid <path=a,b,c>', 'a field and its values; the runs are every combination of the --grid values (repeatable)', collect, [])
    .option('--seeds <n>', 'runs per point, with the scenario seed, seed+1, … (default 1, at most 10000 runs in all)', once('--seeds'))
    .option('--seed <n>', 'override the scenario seed (the first of --seeds)', once('--seed'))
    .option('--jobs <k>', `worker threads (default: the number of cores, at most ${MAX_JOBS})`, once('--jobs'))
    .option('--shard <K/N>', 'run only shard K of N (runs K, K+N, K+2N, …), e.g. on one machine of N; put the shards together with `hypermem merge`', once('--shard'))
    .requiredOption('--out <dir>', 'required: write results.csv, results.json, index.html and summary.json to DIR', once('--out'))
    .option('--set <path=value>', 'override a scenario field in every run (repeatable)', collect, [])
    .option('--verify', 're-check every invariant in every run as it goes (after every event on a small host, spaced out on a large one; about +25-50% time, more for many small events such as 4KiB build batches); exit 3 on a violation')
    .option('--quiet', 'print nothing but errors')
    .option('--max-memory <size>', `stop with an error when hypermem holds more memory than this, all runs together: a size such as 8GiB (at least 16MiB), or a percent of this machine's memory (default ${DEFAULT_MEMORY_PERCENT}%)`, once('--max-memory'))
    .action(async (file: string, options) => {
      process.exitCode = await sweepCommand(file, options);
    });
  cli
    .command('merge')
    .description('put the shards of a sweep (sweep --shard K/N, run on several machines) back together into the whole sweep\'s folder')
    .argument('<shard-dirs...>', 'the --out folders of every shard, in any order')
    .requiredOption('--out <dir>', 'required: write the merged results.csv, results.json, index.html and summary.json to DIR', once('--out'))
    .option('--quiet', 'print nothing but errors')
    .addHelpText('after', '\nThe shards must be every shard of one sweep, each once (same scenario, grid, --set, seeds, --verify, hypermem version and code, V8 release line);\nthe merged folder is byte for byte what `hypermem sweep` without --shard writes. Exit 3 if a run found an invariant violation.')
    .action((dirs: string[], options) => {
      process.exitCode = mergeCommand(dirs, options);
    });
  cli
    .command('serve')
    .description('run a scenario live: a local web page shows it as it goes (charts, launches), with pause and resume')
    .argument('<scenario>', 'a scenario YAML file')
    .option('--port <n>', 'the port to listen on (default 8080; 0: any free port)', once('--port'))
    .option('--host <addr>', 'the address to listen on (default 127.0.0.1, this machine only)', once('--host'))
    .option('--allow-host <name>', 'also answer requests for the host name NAME, at any port: a DNS alias or NAT name of this machine (repeatable)', collect, [])
    .option('--speed <x>', '"max" (default), or simulated seconds per wall second from 0.001 to 3600000, e.g. 10', once('--speed'))
    .option('--seed <n>', 'override the scenario seed', once('--seed'))
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--verify', 're-check every invariant as the run goes (after every event on a small host, spaced out on a large one; about +25-50% time, more for many small events such as 4KiB build batches); exit 3 on a violation')
    .option('--quiet', 'print only the URL (and errors)')
    .option('--max-memory <size>', `stop the run (the server stays) when hypermem holds more memory than this: a size such as 8GiB (at least 16MiB), or a percent of this machine's memory (default ${DEFAULT_MEMORY_PERCENT}%)`, once('--max-memory'))
    .addHelpText(
      'after',
      '\nPrints the page\'s URL on standard output, then serves until Ctrl-C (or SIGTERM). When the run is done the page\nlinks /report.html and /summary.json: the files `hypermem run --out` writes for the same scenario and seed.\nExit status when stopped: 0 (the run done or not); 3 if the run found an invariant violation (--verify); 2 if the run\nstopped on bad input, its max_events bound or --max-memory; 1 a fault of hypermem itself.',
    )
    .action(async (file: string, options) => {
      process.exitCode = await serveCommand(file, options);
    });
  cli
    .command('validate')
    .description('check a scenario file and say what it describes')
    .argument('<scenario>', 'a scenario YAML file')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .action((file: string, options: { set: string[] }) => {
      process.exitCode = validateCommand(file, options.set);
    });
  cli
    .command('examples')
    .description('list the bundled scenarios, one line each')
    .action(() => {
      process.exitCode = examplesCommand();
    });
  cli
    .command('replay')
    .description('run hypercalls from a JSONL file (one request per line), print one JSON result per line')
    .argument('[file]', 'the requests, or - for standard input', '-')
    .option('--check', 'verify every invariant after every line (spaced out on a large state; the line that broke one is then found by running the file again); stop at the first violation (exit 3)')
    .action(async (file: string, options: { check?: boolean }) => {
      process.exitCode = await replayCommand(file, options);
    });
  // Each command's usage errors may suggest its own long options for an unknown one-letter flag.
  for (const command of cli.commands) {
    const longFlags = command.options.flatMap((o) => (o.long === undefined ? [] : [o.long]));
    command.configureOutput(usageOutput(longFlags));
  }
  return cli;
}

let streamsGuarded = false;

/**
 * A reader that goes away (`hypermem … | head -1`) ends the command quietly,
 * as for any Unix filter; any other failure to write a standard stream (a
 * full disk, `> /dev/full`) is one line on standard error and exit 2.
 */
function guardStreams(stdout: boolean): void {
  if (streamsGuarded) return;
  streamsGuarded = true;
  const streams = stdout ? ([['standard output', process.stdout], ['standard error', process.stderr]] as const) : ([['standard error', process.stderr]] as const);
  for (const [name, stream] of streams) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
      if (stream !== process.stderr) {
        try {
          process.stderr.write(`hypermem: cannot write to ${name}: ${e.code ?? e.message}\n`);
        } catch {
          // standard error is gone too: the exit status is all that is left.
        }
      }
      process.exit(2);
    });
  }
}

/** Runs the CLI; returns the exit status instead of exiting, so output is flushed. */
export async function main(argv: string[]): Promise<number> {
  // replay watches its own output: a reader that goes away keeps the status it had (2 after a malformed line).
  guardStreams(argv[0] !== 'replay');
  process.exitCode = 0;
  try {
    const cli = program();
    // An unknown command is an error even with --help (commander would print the main help and exit 0), and after `help`.
    const known = new Set(cli.commands.flatMap((c) => [c.name(), ...c.aliases()]));
    // No command: one line naming them (commander would print the whole help as an error).
    if (argv.length === 0) throw new UserError(`no command given: ${cli.commands.map((c) => c.name()).filter((n) => n !== 'help').join(', ')} (hypermem --help says what each does)`);
    const named = argv[0] === 'help' ? argv[1] : argv[0];
    if (named !== undefined && !named.startsWith('-') && !known.has(named) && named !== 'help') {
      throw new UserError(`unknown command '${named}' (hypermem --help lists the commands)`);
    }
    // `hypermem help help` (or -h, --help): help on help is the main help (commander would print it as an error, exit 2).
    const helpOnHelp = argv[0] === 'help' && (argv[1] === 'help' || argv[1] === '-h' || argv[1] === '--help');
    // Any other option after help (`help -V`, `help --bogus`) is an unknown option of help, one line as every usage error:
    // commander would print the whole help as the error.
    if (argv[0] === 'help' && !helpOnHelp && argv[1]?.startsWith('-')) throw new UserError(`unknown option '${argv[1]}' ${USAGE_HINT}`);
    await cli.parseAsync(helpOnHelp ? ['--help'] : argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UserError) {
      // One line whatever the input held: a key, a path or a flag may carry newlines or escape sequences.
      process.stderr.write(`hypermem: ${escapeControls(e.message)}\n`);
      return e.exitCode;
    }
    // A fault of hypermem itself (an assertion, a bug): said so first, then the stack a report needs.
    process.stderr.write(internalErrorText(e));
    return 1;
  }
}
