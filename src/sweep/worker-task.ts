// One run in a worker thread (a sweep's point, or one run of `compare`): load
// the scenario, run it exactly as `hypermem run` does, and hand back the
// summary — or, for compare, the whole result (summary, samples, events:
// plain data, safe to structured-clone across threads).

import { UserError } from '../cli/errors.ts';
import { load, simulate } from '../cli/run.ts';
import { parseMaxMemory } from '../cli/memory.ts';
import type { Summary } from '../sim/metrics.ts';
import type { RunResult } from '../sim/simulation.ts';

export interface SweepTask {
  file: string;
  /** Every --set flag for the run: the fixed ones, then the point's. */
  sets: string[];
  seed: number;
  /** Hand back the whole RunResult, not only the summary (compare's report draws the runs). */
  full?: boolean;
  /** Re-check every invariant as the run goes (run --verify: spaced out on a large state). */
  verify?: boolean;
  /** --max-memory as given (checked by the command before any run; undefined: the default). */
  maxMemory?: string;
}

/** A run's summary, or the message of the user-input error that stopped it (error classes do not survive the thread boundary). */
export type TaskResult = { summary: Summary } | { result: RunResult } | { userError: string };

export function runTask(task: SweepTask): TaskResult {
  try {
    const scenario = load(task.file, task.sets, task.seed);
    const result = simulate(scenario, { quiet: true, verify: task.verify === true, memory: { ...parseMaxMemory(task.maxMemory), shared: true } });
    return task.full === true ? { result } : { summary: result.summary };
  } catch (e) {
    if (e instanceof UserError) return { userError: e.message };
    throw e;
  }
}

export default runTask;
