// The simulator's tables grow by doubling (typed arrays, DESIGN.md "Data
// structures and scale"), so one growth of a large guest's table can take
// gigabytes in a single step — a 4 TiB guest whose demand jumps in one
// workload tick asks for a 16 GiB array at once. A check installed here (the
// CLI's memory guard, src/cli/memory.ts) is asked before each allocation of
// at least ALLOCATION_CHECK_MIN_BYTES and may throw to stop the run before
// the memory is taken; without one, nothing is asked. The check only decides
// whether a run stops: it never changes what a run computes.

/** Allocations smaller than this are not asked about (the guard's reading between events covers them). */
export const ALLOCATION_CHECK_MIN_BYTES = 32 * 1024 * 1024;

type AllocationCheck = (bytes: number) => void;

let installed: AllocationCheck | null = null;

/** Called by the growing tables before they allocate `bytes`. */
export function beforeAllocating(bytes: number): void {
  if (installed !== null && bytes >= ALLOCATION_CHECK_MIN_BYTES) installed(bytes);
}

/** Runs `run` with `check` asked before large allocations (the previous check is restored after). */
export function withAllocationCheck<T>(check: AllocationCheck, run: () => T): T {
  const previous = installed;
  installed = check;
  try {
    return run();
  } finally {
    installed = previous;
  }
}
