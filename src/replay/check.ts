// `replay --check`: the invariants after every line, in linear time.
//
// The whole-structure check (Hypervisor.violations) walks every record of
// the host, tmem's pages included, so running it after each of a million
// tmem_put lines is quadratic. Here each line pays a fixed amount of checking
// work: while the state is small (a check costs at most that amount) every
// line is checked, as before; when it is larger the check runs once the lines
// since the last one have paid for it, so checking costs at most a constant
// factor over the replay itself. A violation found after line N, with the
// last clean check after line M < N - 1, is then narrowed down to the line
// that broke it by running the requests again from the start (the replay is
// deterministic), with checks spaced in the window (M, N] so that each pass
// costs about as much as one replay, until two neighbouring lines are left.

import type { Hypervisor } from '../hypervisor/hypervisor.ts';
import { CheckPacer } from '../lib/pacer.ts';

/** Units of checking work (Hypervisor.checkCost) each line pays for. */
export const CHECK_UNITS_PER_LINE = 128;
/** The checking work one narrowing pass may do, in the same units. */
export const NARROW_UNITS_PER_PASS = 1 << 24;

export interface Broken {
  /** The line after which the violations were seen. */
  line: number;
  /** The last line after which every invariant held (0: before the first). */
  clean: number;
  violations: string[];
}

/** When to run the whole-structure check during one replay. */
export class CheckSchedule {
  private readonly pacer = new CheckPacer();
  private cleanLine = 0;

  /**
   * Called after each line that ran (a state change or not). Returns the
   * violations when the check ran and found some; null otherwise.
   */
  after(hv: Hypervisor | null, line: number): Broken | null {
    if (hv === null) {
      this.cleanLine = line; // no host yet: nothing to break
      return null;
    }
    if (!this.pacer.pay(CHECK_UNITS_PER_LINE, hv.checkCost())) return null;
    return this.check(hv, line);
  }

  /** A line that did not run (blank): the state after it is the state after the line before. */
  skipped(line: number): void {
    if (!this.pacer.owing && this.cleanLine === line - 1) this.cleanLine = line;
  }

  /** The check at the end of the input (or where reading stopped), if lines ran since the last one. */
  atEnd(hv: Hypervisor | null, line: number): Broken | null {
    if (hv === null || !this.pacer.owing) return null;
    this.pacer.reset();
    return this.check(hv, line);
  }

  private check(hv: Hypervisor, line: number): Broken | null {
    const violations = hv.violations();
    if (violations.length === 0) {
      this.cleanLine = line;
      return null;
    }
    return { line, clean: this.cleanLine, violations };
  }
}

/**
 * One pass over the requests again from the start: `run(upTo, checkAt)`
 * replays lines 1..upTo and runs the check after each line in `checkAt`
 * (ascending), stopping at the first that fails: its line and violations;
 * null when all held; 'lost' when the requests could not be read again as
 * they were (the file is gone, unreadable, or ends before `upTo`).
 */
export type ReplayPass = (upTo: number, checkAt: number[]) => Promise<{ line: number; violations: string[] } | null | 'lost'>;

/**
 * Narrows `found` (violations after found.line, every invariant held after
 * found.clean) to the line that broke them: a line L whose check fails
 * where the check of the line before it holds. `cost` is the check's cost
 * when found (Hypervisor.checkCost), used to space the checks of a pass.
 * Null when a pass could not read the requests again (the caller then names
 * the window of lines).
 */
export async function narrow(found: Broken, cost: number, pass: ReplayPass): Promise<Broken | null> {
  let { clean, line, violations } = found;
  while (line - clean > 1) {
    const checks = Math.max(1, Math.floor(NARROW_UNITS_PER_PASS / Math.max(1, cost)));
    // step < line - clean (the window has 2 lines or more): at least one line to check between them.
    const step = Math.ceil((line - clean) / (checks + 1));
    const at: number[] = [];
    for (let l = clean + step; l < line; l += step) at.push(l);
    const hit = await pass(line, at);
    if (hit === 'lost') return null;
    if (hit === null) {
      clean = at[at.length - 1];
    } else {
      line = hit.line;
      violations = hit.violations;
      const i = at.indexOf(hit.line);
      clean = i > 0 ? at[i - 1] : clean;
    }
  }
  return { line, clean, violations };
}
