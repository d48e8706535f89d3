// `npm run bench` (node --expose-gc --import tsx bench/run.ts): every
// benchmark, each a ratio of two implementations measured side by side in the
// same run (the machine is shared, so absolute figures drift; ratios much
// less). A readable table, or with --json one JSON object as the last line of
// stdout. See docs/performance.md for what each key means.

import { benchCodec, benchQueue, benchZipf, cacheBytesPerPage } from './micro.ts';
import { benchSim, describeOps, STEADY_SCENARIO } from './sim.ts';
import { benchTmem } from './tmem.ts';

export interface BenchKeys {
  tmem_vs_lru_cache: number;
  tmem_vs_copy_floor: number;
  bytes_per_tmem_page: number;
  bytes_per_cache_page: number;
  codec_vs_deflate: number;
  queue_vs_tinyqueue: number;
  page_accesses_per_s: number;
  page_accesses_per_s_steady: number;
  page_events_per_s: number;
  zipf_table_vs_computed: number;
}

const json = process.argv.includes('--json');
const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const log = (line: string): void => {
  if (!json) console.log(line);
};
if ((globalThis as { gc?: () => void }).gc === undefined) {
  console.error('bench: run with node --expose-gc (npm run bench does) for exact heap figures');
}

// Heap figures first, in a fresh process: garbage of the throughput runs would blur them.
const cacheBytes = cacheBytesPerPage(1_000_000);
const t = benchTmem();
log(`tmem get-or-put over ${t.pages} pages, ${t.pairs} ops: tmem ${(t.tmemPairsPerSec / 1e3).toFixed(0)}k/s (hits ${(t.hitRateTmem * 100).toFixed(1)}%), lru-cache ${(t.lruPairsPerSec / 1e3).toFixed(0)}k/s (hits ${(t.hitRateLru * 100).toFixed(1)}%), copy floor ${(t.copyFloorPairsPerSec / 1e3).toFixed(0)}k/s`);
const codec = benchCodec();
log(`codec ${codec.codec}: ${(codec.codecPagesPerSec / 1e3).toFixed(0)}k pages/s (ratio ${codec.codecRatio.toFixed(2)}), deflateRaw level 1: ${(codec.deflatePagesPerSec / 1e3).toFixed(0)}k pages/s (ratio ${codec.deflateRatio.toFixed(2)}), ${codec.pages} pages`);
const queue = benchQueue();
log(`event queue: ${(queue.queuePerSec / 1e6).toFixed(2)}M ops/s, tinyqueue ${(queue.tinyqueuePerSec / 1e6).toFixed(2)}M ops/s (${queue.ops} pushes + pops)`);
const zipf = benchZipf();
log(`zipf draws (skew 0.9, 262144 ranks): ${zipf.tableNsPerDraw.toFixed(1)} ns with the table (answers ${(zipf.answered * 100).toFixed(1)}%), ${zipf.computedNsPerDraw.toFixed(1)} ns computed`);
const sim = benchSim();
log(`simulator: ${sim.scenario}, ${sim.simulatedS}s simulated in ${sim.wallS.toFixed(2)}s, ${sim.accesses} page accesses, ${sim.events} events, ${(sim.pageEventsPerSec / 1e6).toFixed(2)} M page events/s`);
log(`  page operations: ${describeOps(sim.ops)}`);
const steady = benchSim(STEADY_SCENARIO, []);
log(`simulator: ${steady.scenario}, ${steady.simulatedS}s simulated in ${steady.wallS.toFixed(2)}s, ${steady.accesses} page accesses, ${steady.events} events`);

const keys: BenchKeys = {
  tmem_vs_lru_cache: round(t.tmemVsLru, 3),
  tmem_vs_copy_floor: round(t.tmemPairsPerSec / t.copyFloorPairsPerSec, 3),
  bytes_per_tmem_page: round(t.metadataBytesPerPage, 2),
  bytes_per_cache_page: round(cacheBytes, 2),
  codec_vs_deflate: round(codec.codecPagesPerSec / codec.deflatePagesPerSec, 3),
  queue_vs_tinyqueue: round(queue.queuePerSec / queue.tinyqueuePerSec, 3),
  page_accesses_per_s: Math.round(sim.accessesPerSec),
  page_accesses_per_s_steady: Math.round(steady.accessesPerSec),
  page_events_per_s: Math.round(sim.pageEventsPerSec),
  zipf_table_vs_computed: round(zipf.computedNsPerDraw / zipf.tableNsPerDraw, 3),
};

const targets: Partial<Record<keyof BenchKeys, { op: '>=' | '<='; value: number }>> = {
  tmem_vs_lru_cache: { op: '>=', value: 1.5 },
  bytes_per_tmem_page: { op: '<=', value: 48 },
  bytes_per_cache_page: { op: '<=', value: 32 },
  page_accesses_per_s: { op: '>=', value: 5_000_000 },
};

if (json) {
  console.log(JSON.stringify(keys));
} else {
  console.log('');
  console.log('key                         value        target');
  for (const [k, v] of Object.entries(keys) as [keyof BenchKeys, number][]) {
    const tg = targets[k];
    const mark = tg === undefined ? '' : `${tg.op} ${tg.value}  ${(tg.op === '>=' ? v >= tg.value : v <= tg.value) ? 'met' : 'NOT met'}`;
    console.log(`${k.padEnd(28)}${String(v).padEnd(13)}${mark}`);
  }
}
