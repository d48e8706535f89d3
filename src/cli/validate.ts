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

/** "1 guest", "2 guests"; "1 timeline entry", "2 timeline entries". */
function plural(n: number, one: string): string {
  if (n === 1) return `${n} ${one}`;
  if (one.endsWith('y')) return `${n} ${one.slice(0, -1)}ies`;
  return `${n} ${one}${/(ch|sh|s|x)$/.test(one) ? 'es' : 's'}`;
}

/**
 * The one-line description printed for a valid scenario. The timeline is
 * counted in the file's entries (a launch with `count: N` is one entry of N
 * launches); the guests they launch are counted beside them when the two
 * differ ("3 timeline entries (launching 3 guests)": one entry of count 3 and two others).
 */
export function describeScenario(scenario: Scenario): string {
  // Every event of an entry has the entry's path (its members share it).
  const entries = new Set(scenario.timeline.map((e) => e.where)).size;
  const launchEvents = scenario.timeline.filter((e) => e.action.kind === 'launch');
  const launchEntries = new Set(launchEvents.map((e) => e.where)).size;
  const launches = launchEvents.length === launchEntries ? '' : ` (launching ${plural(launchEvents.length, 'guest')})`;
  const late = new Set(scenario.timeline.filter((e) => e.atNs > scenario.durationNs).map((e) => e.where)).size;
  return (
    `ok: ${scenario.name} — ${plural(scenario.guests.length, 'guest')}, ` +
    `${plural(entries, 'timeline entry')}${launches}, host ${formatPages(scenario.host.pages)}, ` +
    `policy ${scenario.toolstack.policy}` +
    (late > 0 ? ` (${late} ${late === 1 ? 'entry' : 'entries'} after the end of the run: not run)` : '') +
    // An empty host is valid (dom0 alone), but likely a mistake: `guests: []` or the key forgotten.
    (scenario.guests.length === 0 && launchEvents.length === 0 ? '; no guests and no launches: only dom0 runs' : '')
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
