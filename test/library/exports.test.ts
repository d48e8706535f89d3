// hypermem as a library: `import … from 'hypermem'` in plain Node.js (no
// tsx), through package.json's "exports" and the compiled dist/ (npm test
// builds it first). A consumer project (a temporary folder whose
// node_modules/hypermem links to this repository) drives the engine, tmem and
// the simulator; the simulator's summary equals the one the sources give, so
// dist/ is current. Its TypeScript types are real: a correct consumer
// type-checks and a wrong call does not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseScenario } from '../../src/scenario/load.ts';
import { Simulation } from '../../src/sim/simulation.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const small = `${root}test/report/small.yaml`;

const CONSUMER = `
import { readFileSync } from 'node:fs';
import { Hypervisor, createHostWithTmem, poolFlagsRefusal, parseScenario, Simulation, ReplaySession, replayExtensions, runReportHtml, Guest, guestConfig, Prng } from 'hypermem';

const hv = new Hypervisor({ pages: 262144, xenPages: 4096, nodes: 2 });
const engine = [hv.domainCreate(1, 131072), hv.claimPages(1, 131072), hv.domainCreate(2, 262144), hv.populatePhysmap(2, 200000), hv.populatePhysmap(1, 65536)];
const info = hv.physinfo();

const { hv: host, tmem } = createHostWithTmem({ pages: 65536 });
host.domainCreate(1, 1000);
const pool = tmem.newPool(1, { persistent: true, shared: false });
const page = new Uint8Array(4096).fill(7);
const out = new Uint8Array(4096);
const put = tmem.put(1, 0, [5, 0, 0], 3, page);
const get = tmem.get(1, 0, [5, 0, 0], 3, out);

// A guest model of its own, on a host with tmem (docs/guest.md's API): 64 MiB, a workload of file reads.
const g2 = createHostWithTmem({ pages: 65536 });
g2.hv.domainCreate(3, 16384);
g2.hv.populatePhysmap(3, 16384);
const guest = new Guest(g2.hv, g2.tmem, guestConfig({ domid: 3, name: 'g', memoryPages: 16384, maxmemPages: 16384, swapPages: 4096 }), new Prng(1, 'g'));
guest.boot(0);
guest.setAnonPages(1000);
for (let i = 0; i < 100; i++) guest.accessAnonPage(i);
const gm = guest.metrics();

const scenario = parseScenario(readFileSync(process.argv[2], 'utf8'), 'small.yaml');
const run = new Simulation(scenario).run();
const report = runReportHtml(run, scenario);

const session = new ReplaySession(replayExtensions());
console.log(JSON.stringify({
  engine, outstanding: info.pagesOutstanding, pool, put, get, same: out.every((b) => b === 7), refusal: poolFlagsRefusal({ persistent: true, shared: true }),
  guest: { anonAccesses: gm.anonAccesses, anonFaults: gm.anonFaults, violations: guest.violations() },
  summary: run.summary, reportStarts: report.slice(0, 15), replayMethods: typeof session,
}));
`;

const TYPED_OK = `
import { Hypervisor, type Summary, type Errno, createHostWithTmem, Guest, guestConfig, Prng } from 'hypermem';
const hv = new Hypervisor({ pages: 1024 });
const r = hv.claimPages(1, 10);
const errno: Errno | null = r.ok ? null : r.errno;
const pages: number = hv.physinfo().pagesFree;
export const used: [Errno | null, number, Summary | null] = [errno, pages, null];
// A guest from the exports alone: its random stream is an exported Prng.
const host = createHostWithTmem({ pages: 65536 });
export const guest = new Guest(host.hv, host.tmem, guestConfig({ domid: 3, name: 'g', memoryPages: 16384 }), new Prng(1, 'g'));
`;

const TYPED_WRONG = `
import { Hypervisor } from 'hypermem';
const hv = new Hypervisor({ pages: 1024 });
hv.claimPages('one', 10);
`;

/**
 * The first code block after `heading` in a document, each statement with a
 * `// {…}` comment (the result the document promises) wrapped so that the
 * program prints what it got beside what was promised.
 */
function documentedSnippet(doc: string, heading: string): string {
  const text = readFileSync(`${root}${doc}`, 'utf8');
  const at = text.indexOf(heading);
  assert.notEqual(at, -1, `${doc} has no "${heading}"`);
  const block = /```(?:ts|js)\n([\s\S]*?)```/.exec(text.slice(at));
  assert.ok(block, `${doc}: no code block after "${heading}"`);
  const body = block[1].replace(/^(.*\));\s*\/\/\s*(\{[^}]*\}).*$/gm, (_all, call: string, promised: string) => `__seen.push([${JSON.stringify(promised)}, ${call}]);`);
  return `const __seen = [];\nprocess.on('exit', () => console.log(JSON.stringify(__seen)));\n${body}`;
}

describe('hypermem as a library (plain Node.js, compiled dist/)', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hypermem-consumer-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'hypermem'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
    writeFileSync(join(dir, 'consumer.mjs'), CONSUMER);
    writeFileSync(join(dir, 'typed-ok.ts'), TYPED_OK);
    writeFileSync(join(dir, 'typed-wrong.ts'), TYPED_WRONG);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test("import { … } from 'hypermem' works without tsx, and its simulator gives the sources' summary", () => {
    const r = spawnSync(process.execPath, ['consumer.mjs', small], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    // Domain 2 gets what the claim leaves (262144 - 4096 for Xen - 131072 claimed), page by page, then ENOMEM; domain 1's claim covers its pages.
    assert.deepEqual(got.engine, [{ ok: true }, { ok: true }, { ok: true }, { ok: false, errno: 'ENOMEM', done: 126976 }, { ok: true, done: 65536 }]);
    assert.equal(got.outstanding, 131072 - 65536);
    assert.deepEqual(got.pool, { ok: true, rc: 0 });
    assert.deepEqual(got.put, { ok: true, rc: 1 });
    assert.deepEqual(got.get, { ok: true, rc: 1 });
    assert.equal(got.same, true);
    assert.equal(got.refusal, 'shared_persistent');
    assert.deepEqual(got.guest, { anonAccesses: 100, anonFaults: 1000, violations: [] });
    assert.equal(got.reportStarts, '<!doctype html>');
    const sources = new Simulation(parseScenario(readFileSync(small, 'utf8'), 'small.yaml')).run().summary;
    assert.deepEqual(got.summary, JSON.parse(JSON.stringify(sources)), 'dist/ gives the same run as src/: rebuild with npm run build');
  });

  test("the engine's and tmem's documented snippets run as written and answer what their comments say", () => {
    for (const [doc, heading] of [
      ['README.md', '## The engine'],
      ['docs/tmem.md', 'Construction:'],
    ]) {
      writeFileSync(join(dir, 'snippet.mjs'), documentedSnippet(doc, heading));
      const r = spawnSync(process.execPath, ['snippet.mjs'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `${doc}'s snippet after "${heading}" fails: ${r.stderr}`);
      const seen = JSON.parse(r.stdout) as [string, Record<string, unknown>][];
      assert.ok(seen.length >= 3, `${doc}: ${seen.length} promised results found`);
      for (const [promised, got] of seen) {
        // The comments write objects as JavaScript does ({ok:true, rc:0}): quote the keys to read them.
        const want = JSON.parse(promised.replace(/([{,]\s*)([a-z_]+):/g, '$1"$2":')) as Record<string, unknown>;
        assert.deepEqual(got, want, `${doc}: promised ${promised}`);
      }
    }
  });

  test('the types come along: a correct consumer type-checks, a wrong call does not', () => {
    const tsc = (file: string) =>
      spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', file], {
        cwd: dir,
        encoding: 'utf8',
      });
    const ok = tsc('typed-ok.ts');
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const wrong = tsc('typed-wrong.ts');
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stdout, /typed-wrong\.ts\(4,15\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'/);
  });
});
