// `hypermem validate SCENARIO [--set path=value]…`: load and check a scenario
// without running it; say in one line what it describes. Exit status 0 when it
// is valid, 2 (the error on standard error) when it is not.

import { formatPages } from '../lib/units.ts';
import { loadScenario, ScenarioError } from '../scenario/load.ts';
import { escapeControls } from '../scenario/errors.ts';
import type { Scenario } from '../scenario/types.ts';
import { UserError } from './errors.ts';
import { refuseClashes } from './run.ts';

interface Sink {
  write(text: string): unknown;
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** The one-line description printed for a valid scenario. */
export function describeScenario(scenario: Scenario): string {
  const late = scenario.timeline.filter((e) => e.atNs > scenario.durationNs).length;
  return (
    `ok: ${scenario.name} — ${plural(scenario.guests.length, 'guest')}, ` +
    `${plural(scenario.timeline.length, 'timeline event')}, host ${formatPages(scenario.host.pages)}, ` +
    `policy ${scenario.toolstack.policy}` +
    (late > 0 ? ` (${late} after the end of the run: not run)` : '')
  );
}

/** Validates one scenario file; returns the exit status (0 valid, 2 invalid). */
export function validateCommand(
  file: string,
  sets: readonly string[] = [],
  out: Sink = process.stdout,
  err: Sink = process.stderr,
): number {
  try {
    // The same flags as run: a field set twice is refused, not "the last one wins".
    refuseClashes(sets, undefined);
    out.write(`${describeScenario(loadScenario(file, sets))}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof ScenarioError) && !(e instanceof UserError)) throw e;
    err.write(`hypermem validate: ${escapeControls(e.message)}\n`);
    return 2;
  }
}
