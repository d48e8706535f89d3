// One sweep run, in a worker thread: load the scenario at the point, run it
// exactly as `hypermem run --json` does, and hand back the summary (plain
// data, safe to structured-clone across threads).

import { load, simulate } from '../cli/run.ts';
import type { Summary } from '../sim/metrics.ts';

export interface SweepTask {
  file: string;
  /** Every --set flag for the run: the fixed ones, then the point's. */
  sets: string[];
  seed: number;
}

export function runTask(task: SweepTask): Summary {
  const scenario = load(task.file, task.sets, task.seed);
  return simulate(scenario, { quiet: true, verify: false }).summary;
}

export default runTask;
