// Sweeps across machines: `sweep --shard K/N` runs every Nth run from run K;
// `hypermem merge` checks the shard folders are every shard of one sweep and
// writes, byte for byte, the folder the whole sweep writes. Bad or mixed-up
// shards are refused with the folder, file and line named, and nothing written.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { hypermem, root } from '../cli/spawn.ts';
import fc from 'fast-check';
import { UserError } from '../../src/cli/errors.ts';
import { load } from '../../src/cli/run.ts';
import { scenarioDigest } from '../../src/sweep/output.ts';
import { inShard, parseShard, shardRuns, v8Line } from '../../src/sweep/shard.ts';
import { codeDigest, HYPERMEM_VERSION } from '../../src/version.ts';

const scenario = 'test/sweep/tiny.yaml';
const tmp = mkdtempSync(`${tmpdir()}/hypermem-shard-test-`);
after(() => rmSync(tmp, { recursive: true, force: true }));


// 2 points × 2 seeds = 4 runs in 3 shards: runs 1 and 4, run 2, run 3.
const SWEEP = [scenario, '--grid', 'toolstack.policy=none,reservation', '--set', 'duration=10s', '--seeds', '2', '--quiet'];
const FILES = ['summary.json', 'results.json', 'results.csv', 'index.html'];

describe('sweep --shard and merge', () => {
  before(() => {
    const whole = hypermem(['sweep', ...SWEEP, '--jobs', '2', '--out', `${tmp}/whole`]);
    assert.equal(whole.status, 0, whole.stderr);
    for (const k of [1, 2, 3]) {
      const r = hypermem(['sweep', ...SWEEP, '--jobs', '1', '--shard', `${k}/3`, '--out', `${tmp}/s${k}`]);
      assert.equal(r.status, 0, r.stderr);
    }
  });

  test('each shard holds its runs, byte for byte the whole sweep\'s rows', () => {
    const lines = (dir: string) => readFileSync(`${dir}/results.json`, 'utf8').trim().split('\n').slice(1, -1).map((l) => l.replace(/,$/, ''));
    const whole = lines(`${tmp}/whole`);
    assert.equal(whole.length, 4);
    assert.deepEqual(lines(`${tmp}/s1`), [whole[0], whole[3]]);
    assert.deepEqual(lines(`${tmp}/s2`), [whole[1]]);
    assert.deepEqual(lines(`${tmp}/s3`), [whole[2]]);
    const meta = JSON.parse(readFileSync(`${tmp}/s1/summary.json`, 'utf8'));
    assert.deepEqual(meta.shard, {
      index: 1,
      count: 3,
      runs: 2,
      hypermem: HYPERMEM_VERSION,
      code: codeDigest(),
      v8: v8Line(),
      description: 'two small guests and two launches on a 3 GiB host, for the sweep tests',
      grid_text: ['toolstack.policy=none,reservation'],
    });
    assert.deepEqual(meta.sweep, JSON.parse(readFileSync(`${tmp}/whole/summary.json`, 'utf8')).sweep);
    const html = readFileSync(`${tmp}/s1/index.html`, 'utf8');
    assert.match(html, /shard 1 of 3: 2 of the sweep's 4 runs \(runs 1, 4; <code>hypermem merge<\/code>/);
  });

  test('merge, shards in any order, writes exactly the whole sweep\'s folder', () => {
    const r = hypermem(['merge', `${tmp}/s3`, `${tmp}/s1`, `${tmp}/s2`, '--out', `${tmp}/merged`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      `merged 3 shards: 4 runs (2 points × 2 seeds)\nwrote ${tmp}/merged/ (results.csv, results.json, index.html, summary.json)\n` +
        '\nVerdict: No variant does better than the others on any of the 2 seeds: on each, they are equal on launches finished, launches failed mid-way, ' +
          'build time wasted and OOM events (invariant violations: not checked, run with --verify). None of swap I/O on the disk, file reads from the disk, write-backs to the disk, cleancache hits, frontswap stores, the guests\' mean RAM and the lowest free memory differs between them by a tenth and by 100 pages (for memory, 1 MiB) (over the seeds: means, the lowest free memory the lowest).\n',
    );
    for (const f of FILES) assert.equal(readFileSync(`${tmp}/merged/${f}`, 'utf8'), readFileSync(`${tmp}/whole/${f}`, 'utf8'), f);
  });

  test('--shard is checked before anything runs', () => {
    const cases: [string, string][] = [
      ['0/3', '--shard 0/3: K must be from 1 to N (3)'],
      ['4/3', '--shard 4/3: K must be from 1 to N (3)'],
      ['2', '--shard 2: expected K/N, such as 2/4 (the second of four parts of the sweep)'],
      ['1/0', '--shard 1/0: N must be from 1 to 10000'],
      ['1/5', '--shard 1/5: the sweep has 4 runs, fewer than 5 shards; use at most 4'],
    ];
    for (const [value, message] of cases) {
      const r = hypermem(['sweep', ...SWEEP, '--shard', value, '--out', `${tmp}/never`]);
      assert.equal(r.status, 2, value);
      assert.equal(r.stderr, `hypermem: ${message}\n`);
    }
    assert.equal(existsSync(`${tmp}/never`), false);
  });

  /** A copy of shard K's folder to spoil. */
  function copyShard(k: number, name: string): string {
    const dir = `${tmp}/${name}`;
    rmSync(dir, { recursive: true, force: true });
    cpSync(`${tmp}/s${k}`, dir, { recursive: true });
    return dir;
  }

  function edit(file: string, from: string | RegExp, to: string): void {
    const text = readFileSync(file, 'utf8');
    const next = text.replace(from, to);
    assert.notEqual(next, text, `the edit of ${file} changed nothing`);
    writeFileSync(file, next);
  }

  function refused(dirs: string[], message: string | RegExp): void {
    const out = `${tmp}/refused`;
    const r = hypermem(['merge', ...dirs, '--out', out]);
    assert.equal(r.status, 2, r.stderr);
    if (typeof message === 'string') assert.equal(r.stderr, `hypermem: ${message}\n`);
    else assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(out), false, 'nothing written');
  }

  test('missing, repeated or foreign shards are refused, naming them', () => {
    const [s1, s2, s3] = [1, 2, 3].map((k) => `${tmp}/s${k}`);
    refused([s1, s3], 'merge: shard 2 of 3 is missing; give every shard\'s folder');
    refused([s1], 'merge: shards 2, 3 of 3 are missing; give every shard\'s folder');
    const again = copyShard(2, 'again');
    refused([s1, s2, again, s3], `merge: shard 2 of 3 is given twice: ${s2} and ${again}`);
    refused([s1, s2, s3, `${tmp}/whole`], `${tmp}/whole/summary.json: a whole sweep, not a shard (made without --shard; nothing to merge)`);
    refused([s1, s2, `${tmp}/nowhere`], `${tmp}/nowhere: no such folder`);
    const empty = copyShard(3, 'empty');
    rmSync(`${empty}/summary.json`);
    refused([s1, s2, empty], `${empty}/summary.json: missing (not a sweep shard's folder, or not written in full)`);
    // A shard of another sweep: a different fixed --set, said as such.
    const other = hypermem(['sweep', ...SWEEP, '--set', 'dom0.memory=320MiB', '--jobs', '1', '--shard', '3/3', '--out', `${tmp}/other`]);
    assert.equal(other.status, 0, other.stderr);
    refused(
      [s1, s2, `${tmp}/other`],
      `merge: ${tmp}/other is not a shard of the same sweep as ${s1}: the fixed --set flags: ["duration=10s"] in ${s1}, ["dom0.memory=320MiB","duration=10s"] in ${tmp}/other`,
    );
    // The same flags, but the scenario's values differ: only the digest tells.
    const changed = copyShard(3, 'changed');
    edit(`${changed}/summary.json`, /"scenario_digest": "sha256:[0-9a-f]{8}/, '"scenario_digest": "sha256:00000000');
    refused([s1, s2, changed], /the scenario as loaded \(its file or a trace it reads changed; scenario_digest\): "sha256:/);
    const version = copyShard(3, 'version');
    edit(`${version}/summary.json`, `"hypermem": "${HYPERMEM_VERSION}"`, '"hypermem": "0.0.1"');
    refused([s1, s2, version], `merge: ${version} is not a shard of the same sweep as ${s1}: the hypermem version: "${HYPERMEM_VERSION}" in ${s1}, "0.0.1" in ${version}`);
    // The same version from another checkout whose sources differ.
    const code = copyShard(3, 'code');
    edit(`${code}/summary.json`, /"code": "sha256:[0-9a-f]{8}/, '"code": "sha256:00000000');
    refused([s1, s2, code], /the hypermem code \(its sources differ: shards must run the same checkout\): "sha256:/);
    // One shard run with --verify, the others without: their checks columns would not be one sweep's.
    const verified = copyShard(3, 'verified');
    edit(`${verified}/summary.json`, '"verify": false', '"verify": true');
    refused(
      [s1, s2, verified],
      `merge: ${verified} is not a shard of the same sweep as ${s1}: --verify (every run re-checks the invariants, or none does): false in ${s1}, true in ${verified}`,
    );
    // The same code on another Node.js release line: its V8 may round Math.exp, log or pow differently.
    const engine = copyShard(3, 'engine');
    edit(`${engine}/summary.json`, `"v8": "${v8Line()}"`, '"v8": "9.4"');
    refused(
      [s1, s2, engine],
      `merge: ${engine} is not a shard of the same sweep as ${s1}: the JavaScript engine (V8 release line: its maths may round differently; run every shard on one Node.js release): "${v8Line()}" in ${s1}, "9.4" in ${engine}`,
    );
    refused([s1, s2, `${s3}/results.json`], `${s3}/results.json: not a folder (give the --out folder of each shard)`);
    // --out may not be an input: the merge would replace a shard.
    const r = hypermem(['merge', s1, s2, s3, '--out', s2]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `hypermem: merge: --out ${s2} is one of the shards' folders; write the merged sweep to another folder\n`);
    assert.ok(existsSync(`${s2}/results.json`));
    const inside = hypermem(['merge', s1, s2, s3, '--out', `${s1}/merged`]);
    assert.equal(inside.stderr, `hypermem: merge: --out ${s1}/merged is inside the shard folder ${s1}; write the merged sweep outside the shards' folders\n`);
  });

  test('the merge takes the sweep\'s description from shard 1, whatever the order of the folders', () => {
    const two = hypermem(['sweep', './' + SWEEP[0], ...SWEEP.slice(1), '--jobs', '1', '--shard', '2/3', '--out', `${tmp}/dot2`]);
    assert.equal(two.status, 0, two.stderr);
    for (const order of [[`${tmp}/s1`, `${tmp}/dot2`, `${tmp}/s3`], [`${tmp}/dot2`, `${tmp}/s3`, `${tmp}/s1`]]) {
      const out = `${tmp}/order-${order[0] === `${tmp}/s1` ? 'a' : 'b'}`;
      const r = hypermem(['merge', ...order, '--out', out, '--quiet']);
      assert.equal(r.status, 0, r.stderr);
      for (const f of FILES) assert.equal(readFileSync(`${out}/${f}`, 'utf8'), readFileSync(`${tmp}/whole/${f}`, 'utf8'), f);
    }
  });

  test('spoiled rows are refused with the file and line', () => {
    const [s1, s3] = [`${tmp}/s1`, `${tmp}/s3`];
    let d = copyShard(2, 'seed');
    // The row's seed and its summary's, edited together: the sweep's seeds start from one seed.
    edit(`${d}/results.json`, '"seed":8,"summary":{"scenario":"tiny","seed":8,', '"seed":9,"summary":{"scenario":"tiny","seed":9,');
    refused([s1, d, s3], `${d}/results.json:2: run 2 has seed 9, but ${s1} ran the sweep's seeds from 7 (expected seed 8)`);
    d = copyShard(2, 'point');
    edit(`${d}/results.json`, '"toolstack.policy":"none"', '"toolstack.policy":"claim"');
    refused([s1, d, s3], `${d}/results.json:2: run 2 is at {"toolstack.policy":"claim"}, the sweep puts it at {"toolstack.policy":"none"}`);
    // The point left as it was, but the summary is another point's run (its flags say so): not the run at that point.
    d = copyShard(2, 'flags');
    edit(`${d}/results.json`, '"overrides":["duration=10s","toolstack.policy=none"]', '"overrides":["duration=10s","toolstack.policy=reservation"]');
    refused(
      [s1, d, s3],
      `${d}/results.json:2: run 2's summary is of a run with the flags ["duration=10s","toolstack.policy=reservation"], the sweep runs it with ["duration=10s","toolstack.policy=none"] (its fixed --set flags and the point)`,
    );
    d = copyShard(2, 'run');
    edit(`${d}/results.json`, '{"run":2,', '{"run":3,');
    refused([s1, d, s3], `${d}/results.json:2: run 3, expected run 2 (shard 2 of 3 holds run 2)`);
    d = copyShard(2, 'field');
    edit(`${d}/results.json`, /"events":\d+/, '"events":"many"');
    refused([s1, d, s3], `${d}/results.json:2: summary.events: Invalid input: expected number, received string`);
    // results.csv has a column of write-backs: a summary without them is refused, not merged into a column of NaN.
    d = copyShard(2, 'writes');
    edit(`${d}/results.json`, /"file_writes":\d+,/, '');
    refused([s1, d, s3], `${d}/results.json:2: summary.guests[0].disk.file_writes: Invalid input: expected number, received undefined`);
    d = copyShard(2, 'json');
    edit(`${d}/results.json`, /"events":\d+/, '"events":nul');
    refused([s1, d, s3], `${d}/results.json:2: not valid JSON`);
    d = copyShard(1, 'comma');
    edit(`${d}/results.json`, /}\n\]/, '},\n]');
    refused([d, `${tmp}/s2`, s3], /^hypermem: [^\n]*\/comma\/results\.json:3(:\d+)?: not valid JSON\n$/);
    d = copyShard(1, 'short');
    edit(`${d}/results.json`, /,\n\{"run":4,.*\n/, '\n');
    refused([d, `${tmp}/s2`, s3], `${d}/results.json: expected "[", then one run per line (2 for shard 1 of 3), then "]"; found 3 lines`);
    // Many rows on one line (or a huge file of them): refused by its shape before anything is parsed.
    d = copyShard(2, 'oneline');
    writeFileSync(`${d}/results.json`, `[${'{},'.repeat(100_000)}{}]\n`);
    refused([s1, d, s3], `${d}/results.json: expected "[", then one run per line (1 for shard 2 of 3), then "]"; found 1 line`);
    // A seed edited where each point has its own seeds, and summaries swapped between rows.
    d = copyShard(1, 'swap');
    const [head, r1, r4, tail] = readFileSync(`${d}/results.json`, 'utf8').split('\n');
    const summaryOf = (line: string) => line.slice(line.indexOf(',"summary":'));
    writeFileSync(`${d}/results.json`, [head, r1.replace(summaryOf(r1), summaryOf(r4).replace(/}$/, '},')), r4.replace(summaryOf(r4), summaryOf(r1).replace(/},$/, '}')), tail, ''].join('\n'));
    refused([d, `${tmp}/s2`, s3], `${d}/results.json:2: run 1 has seed 7, but its summary is of seed 8`);
    d = copyShard(2, 'keys');
    edit(`${d}/results.json`, /^\{"run":2,"point":(\{[^}]*\}),"seed":8,/m, '{"run":2,"seed":8,"point":$1,');
    refused([s1, d, s3], `${d}/results.json:2: the keys of a run are run, point, seed, summary (in that order); found run, seed, point, summary`);
    // A summary's seed written as text: shown as written, not as the same number.
    d = copyShard(2, 'seedtext');
    edit(`${d}/results.json`, '"summary":{"scenario":"tiny","seed":8,', '"summary":{"scenario":"tiny","seed":"8",');
    refused([s1, d, s3], `${d}/results.json:2: run 2 has seed 8, but its summary is of seed "8"`);
    // A point with a key zod's copy drops ("__proto__"): compared as written.
    d = copyShard(2, 'proto');
    edit(`${d}/results.json`, '"point":{"toolstack.policy":"none"}', '"point":{"__proto__":"x","toolstack.policy":"none"}');
    refused([s1, d, s3], `${d}/results.json:2: run 2 is at {"__proto__":"x","toolstack.policy":"none"}, the sweep puts it at {"toolstack.policy":"none"}`);
    // A summary nested far deeper than any run's (kept as written, it would overflow the stack when written out).
    d = copyShard(2, 'deep');
    edit(`${d}/results.json`, '"summary":{', `"summary":{"zz":${'['.repeat(100_000)}${']'.repeat(100_000)},`);
    refused([s1, d, s3], `${d}/results.json:2: nested more than 32 levels deep: not a run hypermem wrote`);
  });

  test('a merge that finds an invariant violation exits 3, as the sweep would', () => {
    const d = copyShard(2, 'violation');
    edit(`${d}/results.json`, '"invariant_violations":0', '"invariant_violations":1');
    const r = hypermem(['merge', `${tmp}/s1`, d, `${tmp}/s3`, '--out', `${tmp}/violation-merged`, '--quiet']);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(readFileSync(`${tmp}/violation-merged/results.csv`, 'utf8'), /\n2,none,8,.*,1,0,\d+\n/);
  });
});

describe('shards: which runs, and the scenario digest', () => {
  test('every run is in exactly one shard, and shardRuns counts them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), (runs, n) => {
        fc.pre(n <= runs);
        let total = 0;
        for (let k = 1; k <= n; k++) {
          const shard = { index: k, count: n };
          let mine = 0;
          for (let r = 1; r <= runs; r++) if (inShard(r, shard)) mine++;
          assert.equal(shardRuns(runs, shard), mine);
          assert.ok(mine >= 1);
          total += mine;
        }
        assert.equal(total, runs);
        for (let r = 1; r <= runs; r++) {
          let owners = 0;
          for (let k = 1; k <= n; k++) if (inShard(r, { index: k, count: n })) owners++;
          assert.equal(owners, 1);
        }
      }),
    );
  });

  test('the version shards carry is package.json\'s', () => {
    assert.equal(HYPERMEM_VERSION, JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version);
  });

  test('parseShard takes K/N with spaces, refuses the rest', () => {
    assert.deepEqual(parseShard(' 2 / 4 '), { index: 2, count: 4 });
    assert.deepEqual(parseShard('1/1'), { index: 1, count: 1 });
    for (const bad of ['', '1', '1/', '/2', '-1/2', '1.5/2', '1/2/3', '3/2', '0/0', '1/10001']) {
      assert.throws(() => parseShard(bad), UserError, bad);
    }
  });

  test('the digest follows the scenario\'s values, not where its file is', () => {
    const copy = `${tmp}/elsewhere.yaml`;
    cpSync(`${root}${scenario}`, copy);
    const here = scenarioDigest(load(`${root}${scenario}`, []));
    assert.match(here, /^sha256:[0-9a-f]{64}$/);
    assert.equal(scenarioDigest(load(copy, [])), here);
    assert.notEqual(scenarioDigest(load(copy, ['duration=11s'])), here);
    writeFileSync(copy, readFileSync(copy, 'utf8').replace('zipf: 0.8', 'zipf: 0.81'));
    assert.notEqual(scenarioDigest(load(copy, [])), here);
  });
});
