// Spacing out a check whose cost grows with the state (the whole-structure
// invariant checks of replay --check and run --verify): each step (a replay
// line, a simulator event) pays units of work, and the check runs once the
// steps since the last one have paid for it. While a check costs no more
// than one step pays, every step is checked; on a larger state the checks
// thin out, so that checking costs at most about as much as the steps.

export class CheckPacer {
  private paid = 0;

  /** Pays `units`; true when what was paid covers a check of `cost` units (paying then starts again from 0). */
  pay(units: number, cost: number): boolean {
    this.paid += units;
    if (this.paid < cost) return false;
    this.paid = 0;
    return true;
  }

  /** Steps paid since the last check: a last check (at the end) would see work not yet checked. */
  get owing(): boolean {
    return this.paid > 0;
  }

  /** A check ran now (at the end, or out of turn): paying starts again from 0. */
  reset(): void {
    this.paid = 0;
  }
}
