// Soak (issue 8): random but valid scenarios generated from a seed (random
// host, tmem options, policy, guest groups, workloads, launches, bursts,
// faults, balloon targets, tmem freeze/thaw/flush), each loaded from its YAML
// text and run in verify mode (every invariant after every event), bounded
// in simulated time (≤ 20 s), in events (max_events) and in wall time (the
// whole test stops starting new scenarios after SOAK_MS). A failure names the
// seed and writes the scenario to os.tmpdir()/hypermem-soak-<seed>.yaml:
// `npx hypermem run FILE --verify` reproduces it. HYPERMEM_SOAK_SEED=<n>
// starts from that seed; HYPERMEM_LONG=1 soaks ten times longer.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseScenario } from '../../src/scenario/load.ts';
import { Simulation } from '../../src/sim/simulation.ts';

const LONG = process.env.HYPERMEM_LONG === '1';
const SOAK_MS = (LONG ? 10 : 1) * 15_000;
const MAX_EVENTS = 400_000;

/** mulberry32: a small seeded PRNG for the generator. */
function prng(seed: number): { int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
  };
}

/** A random valid scenario (YAML text) and what its timeline asks for. */
export function randomScenario(seed: number): { yaml: string; crashes: number; deaths: number; flushes: number } {
  const r = prng(seed);
  const hostMiB = r.pick([512, 768, 1024, 1536, 2048]);
  const dom0MiB = r.pick([64, 128]);
  const durationS = r.int(8, 20);
  const L: string[] = [];
  L.push(`name: soak-${seed}`, `seed: ${seed}`, `duration: ${durationS}s`, 'sample_interval: 1s', 'workload_tick: 500ms', `max_events: ${MAX_EVENTS}`);
  const tmem = r.chance(0.85);
  L.push('host:', `  memory: ${hostMiB}MiB`, `  nodes: ${r.pick([1, 1, 2])}`, `  hypervisor_reserve: ${r.pick([0, 16, 32])}MiB`);
  L.push(`  tmem: {enabled: ${tmem}, dedup: ${r.chance(0.4)}, tze: ${r.chance(0.3)}, compress: ${r.chance(0.4)}, store: synthetic}`);
  L.push(`dom0: {memory: ${dom0MiB}MiB}`);
  L.push(`toolstack: {policy: ${r.pick(['none', 'claim', 'reservation'])}, build_rate: ${r.pick([64, 256, 1024])}MiB/s, build_batch: ${r.pick([8, 16, 64])}MiB}`);
  const workload = (maxMiB: number): string => {
    const profile = r.pick(['constant', 'step', 'spikes', 'diurnal']);
    const level = r.int(10, 60);
    let anon = `{profile: ${profile}, level: ${level}%, rate: ${r.int(50, 400)}/s`;
    if (profile === 'step') anon += `, step: {at: ${r.int(1, durationS)}s, level: ${r.int(level, 100)}%}`;
    if (profile === 'spikes') anon += `, spikes: {peak: ${r.int(level, 100)}%, every: ${r.int(3, 8)}s, length: ${r.int(1, 2)}s, jitter: ${r.int(0, 2)}s}`;
    if (profile === 'diurnal') anon += `, diurnal: {peak: ${r.int(level, 100)}%, period: ${r.int(5, 30)}s}`;
    anon += '}';
    const files = `{working_set: ${r.int(1, Math.max(1, Math.floor(maxMiB / 2)))}MiB, rate: ${r.int(50, 800)}/s, zipf: ${r.pick([0, 0.5, 0.9])}}`;
    return `{anon: ${anon}, files: ${files}}`;
  };
  const guestLines = (indent: string, name: string, count: number, memMiB: number, maxMiB: number): string[] => [
    `${indent}name: ${name}`,
    `${indent}count: ${count}`,
    `${indent}memory: ${memMiB}MiB`,
    `${indent}maxmem: ${maxMiB}MiB`,
    `${indent}swap: ${r.pick([32, 64, 128])}MiB`,
    `${indent}selfballoon: {enabled: ${r.chance(0.5)}, interval: ${r.int(1, 3)}s}`,
    `${indent}cleancache_shared: ${r.chance(0.2)}`,
    `${indent}workload: ${workload(maxMiB)}`,
  ];
  // Initial guests: at most ~70% of what is left after dom0 and the reserve.
  let room = Math.floor((hostMiB - dom0MiB - 32) * 0.7);
  const live: { name: string; maxMiB: number }[] = [];
  L.push('guests:');
  const groups = r.int(1, 3);
  for (let g = 0; g < groups; g++) {
    const count = r.int(1, 3);
    const memMiB = Math.max(32, Math.floor(room / (count * (groups - g)) / 16) * 16);
    if (memMiB * count > room) break;
    room -= memMiB * count;
    const maxMiB = memMiB + r.pick([0, 32, 64, 128]);
    L.push(...guestLines('  ', `g${g}`, count, memMiB, maxMiB).map((l, i) => (i === 0 ? `  - ${l.trimStart()}` : `  ${l}`)));
    for (let i = 1; i <= count; i++) live.push({ name: count === 1 ? `g${g}` : `g${g}-${i}`, maxMiB });
  }
  // Timeline: events in time order, naming only guests alive at that moment.
  const events: string[] = [];
  let crashes = 0;
  let deaths = 0;
  let flushes = 0;
  const launched: { name: string; maxMiB: number }[] = [];
  let launches = 0;
  for (let t = 1; t < durationS; t += r.int(1, 3)) {
    const kind = r.pick(['launch', 'launch', 'burst', 'crash', 'destroy', 'mem_set', 'mem_max', 'freeze', 'thaw', 'flush', 'toolstack_dies']);
    const victim = live.length > 0 ? r.pick(live) : null;
    const drop = (name: string): void => {
      const i = live.findIndex((g) => g.name === name);
      if (i >= 0) live.splice(i, 1);
      const j = launched.findIndex((g) => g.name === name);
      if (j >= 0) launched.splice(j, 1);
    };
    if (kind === 'launch' || kind === 'burst') {
      const n = kind === 'burst' ? r.int(2, 4) : 1;
      for (let k = 0; k < n; k++) {
        const name = `l${launches++}`;
        const memMiB = r.pick([64, 128, 256, 384]);
        const maxMiB = memMiB + r.pick([0, 64]);
        events.push(`  - at: ${t}s`, `    launch:`, ...guestLines('      ', name, 1, memMiB, maxMiB));
        live.push({ name, maxMiB });
        launched.push({ name, maxMiB });
      }
      if (launched.length > 0 && r.chance(0.3)) {
        const l = launched[launched.length - 1];
        events.push(`  - at: ${t}s`, `    toolstack_dies: {guest: ${l.name}}`);
        deaths++;
        if (r.chance(0.5)) {
          events.push(`  - at: ${Math.min(durationS, t + r.int(1, 4))}s`, `    destroy: {guest: ${l.name}}`);
          drop(l.name);
        }
      }
    } else if (kind === 'crash' && victim !== null) {
      events.push(`  - at: ${t}s`, `    crash: {guest: ${victim.name}}`);
      crashes++;
      drop(victim.name);
    } else if (kind === 'destroy' && victim !== null) {
      events.push(`  - at: ${t}s`, `    destroy: {guest: ${victim.name}}`);
      drop(victim.name);
    } else if (kind === 'mem_set' && victim !== null) {
      events.push(`  - at: ${t}s`, `    mem_set: {guest: ${victim.name}, target: ${r.int(16, victim.maxMiB)}MiB}`);
    } else if (kind === 'mem_max' && victim !== null) {
      victim.maxMiB += r.pick([0, 32, 64]);
      events.push(`  - at: ${t}s`, `    mem_max: {guest: ${victim.name}, maxmem: ${victim.maxMiB}MiB}`);
    } else if (kind === 'freeze' || kind === 'thaw') {
      const target = victim !== null && r.chance(0.5) ? `{guest: ${victim.name}}` : '{all: true}';
      events.push(`  - at: ${t}s`, `    tmem_${kind}: ${target}`);
    } else if (kind === 'flush') {
      events.push(`  - at: ${t}s`, `    tmem_flush: {size: ${r.pick([4, 64, 512])}MiB}`);
      if (tmem) flushes++;
    } else if (kind === 'toolstack_dies' && launched.length > 0) {
      events.push(`  - at: ${t}s`, `    toolstack_dies: {guest: ${r.pick(launched).name}}`);
      deaths++;
    }
  }
  if (events.length > 0) L.push('timeline:', ...events);
  return { yaml: L.join('\n') + '\n', crashes, deaths, flushes };
}

test('soak: random valid scenarios in verify mode, bounded in time and events', () => {
  const first = process.env.HYPERMEM_SOAK_SEED !== undefined ? Number(process.env.HYPERMEM_SOAK_SEED) : Math.floor(Math.random() * 1e9);
  const started = Date.now();
  const ran: string[] = [];
  for (let seed = first; ran.length < 2 || Date.now() - started < SOAK_MS; seed++) {
    const { yaml, crashes, deaths, flushes } = randomScenario(seed);
    const file = join(tmpdir(), `hypermem-soak-${seed}.yaml`);
    const fail = (message: string): never => {
      writeFileSync(file, yaml);
      assert.fail(`soak seed ${seed}: ${message}\n  scenario written to ${file}; reproduce: npx hypermem run ${file} --verify\n  rerun the soak from this seed: HYPERMEM_SOAK_SEED=${seed} node --import tsx --test test/reliability/soak.test.ts`);
    };
    let scenario;
    try {
      scenario = parseScenario(yaml, file);
    } catch (e) {
      fail(`the generator wrote an invalid scenario: ${(e as Error).message}`);
    }
    const t0 = Date.now();
    const sim = new Simulation(scenario!, { verify: 'every-event' });
    let result;
    try {
      result = sim.run();
    } catch (e) {
      fail(`the run threw: ${(e as Error).stack ?? String(e)}`);
    }
    const s = result!.summary;
    if (s.invariant_violations !== 0) fail(`${s.invariant_violations} invariant violations:\n${result!.violations.join('\n')}`);
    if (s.events > MAX_EVENTS) fail(`${s.events} events`);
    if (s.faults.crashes > crashes || s.faults.toolstack_deaths > deaths || s.faults.tmem_flushes !== flushes) {
      fail(`faults ${JSON.stringify(s.faults)}; the timeline has ${crashes} crashes, ${deaths} toolstack deaths, ${flushes} flushes`);
    }
    for (const g of sim.liveGuests()) {
      if (g.metrics.frontswap.failedLoads !== 0) fail(`${g.name}: ${g.metrics.frontswap.failedLoads} frontswap loads missed (persistent data lost)`);
    }
    ran.push(`${seed} (${s.events} events, ${Date.now() - t0} ms)`);
  }
  console.log(`soak: ${ran.length} scenarios, seeds ${ran.join(', ')}`);
});
