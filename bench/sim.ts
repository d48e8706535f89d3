// Benchmark (not a test): guest page accesses the simulator processes per
// wall-clock second on a standard scenario (bench/claim-race.yaml: a frozen
// copy of examples/claim-race.yaml cut to 70 s of simulated time), and on
// bench/steady.yaml (guests at rest, for the access path alone). Accesses are
// the guests' file + anonymous accesses (GuestMetrics.fileAccesses + anonAccesses).
//
// Run alone: node --import tsx bench/sim.ts [scenario.yaml] [path=value ...]

import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, resolve } from 'node:path';
import { loadScenario } from '../src/scenario/load.ts';
import { Simulation } from '../src/sim/simulation.ts';
import type { Guest } from '../src/guest/guest.ts';

export const STANDARD_SCENARIO = resolve(dirname(fileURLToPath(import.meta.url)), 'claim-race.yaml');
/** Guests at rest (working sets fit in RAM): the access path without reclaim or tmem traffic. */
export const STEADY_SCENARIO = resolve(dirname(fileURLToPath(import.meta.url)), 'steady.yaml');
export const STANDARD_OVERRIDES: string[] = [];

export interface SimBenchResult {
  scenario: string;
  simulatedS: number;
  wallS: number;
  accesses: number;
  accessesPerSec: number;
  events: number;
}

export function benchSim(file = STANDARD_SCENARIO, overrides: readonly string[] = STANDARD_OVERRIDES): SimBenchResult {
  const scenario = loadScenario(file, overrides);
  const t0 = process.hrtime.bigint();
  const sim = new Simulation(scenario);
  const r = sim.run();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  // The summary has no access counts; read every guest that ran (the same list the summary is built from).
  const slots = (sim as unknown as { allSlots: { guest: Guest }[] }).allSlots;
  let accesses = 0;
  for (const slot of slots) {
    const m = slot.guest.metrics();
    accesses += m.fileAccesses + m.anonAccesses;
  }
  return { scenario: scenario.name, simulatedS: scenario.durationNs / 1e9, wallS, accesses, accessesPerSec: accesses / wallS, events: r.summary.events };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, ...sets] = process.argv.slice(2);
  const r = benchSim(file ?? STANDARD_SCENARIO, file === undefined ? STANDARD_OVERRIDES : sets);
  console.log(
    `${r.scenario}: ${r.simulatedS}s simulated in ${r.wallS.toFixed(2)}s wall, ${r.accesses} page accesses, ${(r.accessesPerSec / 1e6).toFixed(3)} M/s, ${r.events} events`,
  );
}
