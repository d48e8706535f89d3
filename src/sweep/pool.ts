// The worker pool: piscina worker threads, each running src/sweep/worker-task.ts.
// Workers do not inherit the tsx loader the CLI registered in-process, so each
// starts from worker-entry.mjs, which registers it as bin/hypermem.js does.

import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { UserError } from '../cli/errors.ts';
import type { Summary } from '../sim/metrics.ts';
import type { RunResult } from '../sim/simulation.ts';
import type { SweepTask, TaskResult } from './worker-task.ts';

const taskFile = fileURLToPath(new URL('./worker-entry.mjs', import.meta.url));

/** The run that failed, and why (the worker's error as `cause`). */
export class RunFailed extends Error {
  constructor(
    readonly index: number,
    cause: unknown,
    /** The run stopped on bad input (a bound of the scenario), not on a fault of hypermem. */
    readonly userError = false,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }

  /**
   * The error to stop the command with, saying `message`: bad input (a bound
   * of the scenario) is the user's to fix, one line and exit 2; anything else
   * is a fault of hypermem, its cause kept.
   */
  toError(message: string): Error {
    return this.userError ? new UserError(message) : new Error(message, { cause: this.cause });
  }
}

/**
 * Runs every task on `jobs` worker threads; returns what each gave (picked
 * by `pick`) in task order. `onDone` is called as each finishes (in
 * completion order). A failure stops the tasks after it (aborted, running or
 * not) while those before it finish, so the failure reported is the first
 * in task order — the one running them one by one would meet — whatever
 * order the workers finish in; then a RunFailed is thrown.
 */
async function runTasks<R>(tasks: readonly SweepTask[], jobs: number, pick: (r: TaskResult) => R, onDone?: (index: number) => void): Promise<R[]> {
  const threads = Math.max(1, Math.min(jobs, tasks.length));
  const pool = new Piscina<SweepTask, TaskResult>({
    filename: taskFile,
    minThreads: threads,
    maxThreads: threads,
    // Idle workers stay until the pool is destroyed: the sweep ends then anyway.
    idleTimeout: 60_000,
  });
  const results: R[] = new Array<R>(tasks.length);
  const aborts = tasks.map(() => new AbortController());
  let failure: RunFailed | null = null;
  try {
    await Promise.all(
      tasks.map(async (task, index) => {
        try {
          const r = await pool.run(task, { signal: aborts[index].signal });
          if ('userError' in r) throw new RunFailed(index, r.userError, true);
          results[index] = pick(r);
          onDone?.(index);
        } catch (e) {
          // Stopped because an earlier task failed: not a failure of its own.
          if (aborts[index].signal.aborted) return;
          if (failure === null || index < failure.index) {
            failure = e instanceof RunFailed ? e : new RunFailed(index, e);
            for (let later = index + 1; later < tasks.length; later++) aborts[later].abort();
          }
        }
      }),
    );
  } finally {
    await pool.destroy().catch(() => undefined);
  }
  if (failure !== null) throw failure;
  return results;
}

/** A sweep's runs: their summaries, in task order. */
export function runPool(tasks: readonly SweepTask[], jobs: number, onDone?: (index: number) => void): Promise<Summary[]> {
  return runTasks(tasks.map((t) => ({ ...t, full: false })), jobs, (r) => ('summary' in r ? r.summary : (r as { result: RunResult }).result.summary), onDone);
}

/** Whole runs (summary, samples, events), in task order: compare's runs. */
export function runPoolFull(tasks: readonly SweepTask[], jobs: number, onDone?: (index: number) => void): Promise<RunResult[]> {
  return runTasks(tasks.map((t) => ({ ...t, full: true })), jobs, (r) => (r as { result: RunResult }).result, onDone);
}
