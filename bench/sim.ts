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

/** Page operations of the guests over the run, by kind (from GuestMetrics). */
export interface PageOps {
  fileAccesses: number;
  anonAccesses: number;
  anonFaults: number;
  anonFrees: number;
  swapOuts: number;
  swapIns: number;
  cleancachePuts: number;
  cleancacheGets: number;
  diskFileReads: number;
  /** File pages reclaim dropped from the page cache (clean, or written back first). */
  fileEvictions: number;
}

export interface SimBenchResult {
  scenario: string;
  simulatedS: number;
  wallS: number;
  accesses: number;
  accessesPerSec: number;
  /**
   * Guest page events per wall second: accesses (a swap-in or a page-cache
   * miss is part of its access), anonymous faults and frees, and reclaim's
   * evictions (swap-outs and file pages dropped). Informational.
   */
  pageEventsPerSec: number;
  ops: PageOps;
  events: number;
}

/** "10.50 M accesses (8.40 M file, 2.10 M anon), 18.45 M anon faults, …" */
export function describeOps(ops: PageOps): string {
  const m = (x: number): string => `${(x / 1e6).toFixed(2)} M`;
  return [
    `${m(ops.fileAccesses + ops.anonAccesses)} accesses (${m(ops.fileAccesses)} file, ${m(ops.anonAccesses)} anon)`,
    `${m(ops.anonFaults)} anon faults`,
    `${m(ops.anonFrees)} anon frees`,
    `${m(ops.swapOuts)} swap-outs`,
    `${m(ops.swapIns)} swap-ins`,
    `${m(ops.cleancachePuts)} cleancache puts`,
    `${m(ops.cleancacheGets)} cleancache gets`,
    `${m(ops.diskFileReads)} file reads from disk`,
    `${m(ops.fileEvictions)} file pages evicted`,
  ].join(', ');
}

export function benchSim(file = STANDARD_SCENARIO, overrides: readonly string[] = STANDARD_OVERRIDES): SimBenchResult {
  const scenario = loadScenario(file, overrides);
  const t0 = process.hrtime.bigint();
  const sim = new Simulation(scenario);
  const r = sim.run();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  // The summary has no access counts; read every guest that ran (the same list the summary is built from).
  const slots = (sim as unknown as { allSlots: { guest: Guest }[] }).allSlots;
  const ops: PageOps = { fileAccesses: 0, anonAccesses: 0, anonFaults: 0, anonFrees: 0, swapOuts: 0, swapIns: 0, cleancachePuts: 0, cleancacheGets: 0, diskFileReads: 0, fileEvictions: 0 };
  for (const slot of slots) {
    const m = slot.guest.metrics();
    ops.fileAccesses += m.fileAccesses;
    ops.anonAccesses += m.anonAccesses;
    ops.anonFaults += m.anonFaults;
    ops.anonFrees += m.anonFrees;
    ops.swapOuts += m.swapOuts;
    ops.swapIns += m.swapIns;
    ops.cleancachePuts += m.cleancache.puts;
    ops.cleancacheGets += m.cleancache.gets;
    ops.diskFileReads += m.disk.fileReads;
    ops.fileEvictions += m.evictedCleanPages + m.evictedDirtyPages;
  }
  const accesses = ops.fileAccesses + ops.anonAccesses;
  return {
    scenario: scenario.name,
    simulatedS: scenario.durationNs / 1e9,
    wallS,
    accesses,
    accessesPerSec: accesses / wallS,
    pageEventsPerSec: (accesses + ops.anonFaults + ops.anonFrees + ops.swapOuts + ops.fileEvictions) / wallS,
    ops,
    events: r.summary.events,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, ...sets] = process.argv.slice(2);
  const r = benchSim(file ?? STANDARD_SCENARIO, file === undefined ? STANDARD_OVERRIDES : sets);
  console.log(
    `${r.scenario}: ${r.simulatedS}s simulated in ${r.wallS.toFixed(2)}s wall, ${r.accesses} page accesses, ${(r.accessesPerSec / 1e6).toFixed(3)} M/s (${(r.pageEventsPerSec / 1e6).toFixed(2)} M page events/s), ${r.events} events`,
  );
  console.log(`page operations: ${describeOps(r.ops)}`);
}
