// One sweep run, in a worker thread: load the scenario at the point, run it
// exactly as `hypermem run --json` does, and hand back the summary (plain
// data, safe to structured-clone across threads).

import { UserError } from '../cli/errors.ts';
import { load, simulate } from '../cli/run.ts';
import type { Summary } from '../sim/metrics.ts';

export interface SweepTask {
  file: string;
  /** Every --set flag for the run: the fixed ones, then the point's. */
  sets: string[];
  seed: number;
}

/** A run's summary, or the message of the user-input error that stopped it (error classes do not survive the thread boundary). */
export type TaskResult = { summary: Summary } | { userError: string };

export function runTask(task: SweepTask): TaskResult {
  try {
    const scenario = load(task.file, task.sets, task.seed);
    return { summary: simulate(scenario, { quiet: true, verify: false }).summary };
  } catch (e) {
    if (e instanceof UserError) return { userError: e.message };
    throw e;
  }
}

export default runTask;
