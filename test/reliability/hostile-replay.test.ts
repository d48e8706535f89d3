// Hostile replay input (issue 8). Each case is a test: the line's answer
// (a line error naming the line and the field, or the errno the hypervisor
// gives) and the exit status `hypermem replay` returns for it (2 for any
// malformed line, 0 otherwise). Each case runs through replayStream, the
// function behind the CLI; then all of them together through the real CLI
// (bin/hypermem.js), which must exit 2 with the same answers, no stack
// trace and no hang.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { replayText } from '../replay-text.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = `${root}bin/hypermem.js`;
const dir = mkdtempSync(join(tmpdir(), 'hypermem-hostile-replay-'));

const HOST = '{"op":"host","pages":1000,"tmem":{"store":"bytes"}}';
/** Domain 1 and 2 exist; domain 1 has a private ephemeral pool 0 holding one page. */
const SETUP = [
  HOST,
  '{"op":"domain_create","domid":1,"max_pages":500}',
  '{"op":"domain_create","domid":2,"max_pages":500}',
  '{"op":"tmem_new_pool","domid":1}',
  '{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":0,"fill":7}',
];
const PAGE64 = Buffer.alloc(4096, 1).toString('base64');

async function replay(text: string): Promise<{ status: number; out: string[]; err: string }> {
  const { status, out, err } = await replayText(text, true);
  return { status, out: out.trim() === '' ? [] : out.trim().split('\n'), err };
}

/** [what, the hostile line (after SETUP), the expected answer (exact object, or a RegExp on the error), exit status]. */
type Case = [string, string, Record<string, unknown> | RegExp, number];
/** The hostile line is line 7 of each case's file: SETUP (5 lines), a physinfo probe, the line, another probe. */
const E = (re: string): RegExp => new RegExp(`^line 7: ${re}`);

const cases: Case[] = [
  // wrong types
  ['domid as a string', '{"op":"domain_create","domid":"3","max_pages":10}', E('field "domid": expected a domain id .* found the string "3"'), 2],
  ['pages as a boolean', '{"op":"populate_physmap","domid":1,"pages":true}', E('field "pages": expected a non-negative integer below 2\\^53, found true'), 2],
  ['pages as null', '{"op":"populate_physmap","domid":1,"pages":null}', E('field "pages": .*found null'), 2],
  ['pages as an object', '{"op":"populate_physmap","domid":1,"pages":{"n":1}}', E('field "pages": .*found an object'), 2],
  ['op as a number', '{"op":7}', E('field "op": expected a string naming the request, found 7'), 2],
  ['an unknown op', '{"op":"domain_explode","domid":1}', E('unknown op "domain_explode"'), 2],
  ['oid of strings', '{"op":"tmem_get","domid":1,"pool":0,"oid":["1","0","0"],"index":0}', E('field "oid": expected an array of three.*found an array of 3 whose word 0 is the string "1"'), 2],
  ['oid word past 2^53', '{"op":"tmem_get","domid":1,"pool":0,"oid":[0,18446744073709551616,0],"index":0}', E('field "oid": .*found an array of 3 whose word 1 is 18446744073709551616'), 2],
  ['persistent as "yes"', '{"op":"tmem_new_pool","domid":1,"persistent":"yes"}', E('field "persistent": expected true or false, found the string "yes"'), 2],
  ['caller as a string', '{"op":"physinfo","caller":"0"}', E('field "caller": expected a domain id'), 2],
  // negative, fractional, huge
  ['negative max_pages', '{"op":"domain_create","domid":3,"max_pages":-5}', E('field "max_pages": expected a non-negative integer below 2\\^53, found -5'), 2],
  ['negative domid', '{"op":"domain_info","domid":-1}', E('field "domid": .*found -1'), 2],
  ['negative caller', '{"op":"physinfo","caller":-1}', E('field "caller": .*found -1'), 2],
  ['fractional pages', '{"op":"populate_physmap","domid":1,"pages":1.5}', E('field "pages": .*found 1.5'), 2],
  ['fractional index', '{"op":"tmem_get","domid":1,"pool":0,"oid":[1,0,0],"index":0.5}', E('field "index": .*found 0.5'), 2],
  ['pages = 2^53', '{"op":"populate_physmap","domid":1,"pages":9007199254740992}', E('field "pages": .*found 9007199254740992'), 2],
  ['pages = 2^53 + 1 (rounds to 2^53 in JSON, quoted as written)', '{"op":"populate_physmap","domid":1,"pages":9007199254740993}', E('field "pages": .*found 9007199254740993$'), 2],
  ['pages = 2^64', '{"op":"claim_pages","domid":1,"pages":18446744073709551616}', E('field "pages": .*found 18446744073709551616$'), 2],
  ['pages = 1e308', '{"op":"max_mem","domid":1,"max_pages":1e308}', E('field "max_pages": .*found 1e\\+308'), 2],
  ['pages = 1e400 (Infinity)', '{"op":"max_mem","domid":1,"max_pages":1e400}', E('field "max_pages": .*found Infinity'), 2],
  ['pages = 2^53 - 1 is well formed (and refused by the hypervisor: more extents than a continuation encodes)', '{"op":"populate_physmap","domid":1,"pages":9007199254740991}', { ok: false, errno: 'EINVAL', done: 0 }, 0],
  ['pages = 2^26 - 1 is tried (and stops at max_pages)', '{"op":"populate_physmap","domid":1,"pages":67108863}', { ok: false, errno: 'ENOMEM', done: 500 }, 0],
  ['an oid word of 2^53', '{"op":"tmem_get","domid":1,"pool":0,"oid":[9007199254740992,0,0],"index":0}', E('field "oid"'), 2],
  ['an index of 2^32', '{"op":"tmem_get","domid":1,"pool":0,"oid":[1,0,0],"index":4294967296}', E('field "index": expected a page index \\(an integer from 0 to 4294967295\\)'), 2],
  ['a control arg of 2^32 (Xen\'s arg, and a weight, are u32)', '{"op":"tmem_control","subop":"set_weight","domid":1,"arg":4294967296}', E('field "arg": expected an argument .*\\(an integer from 0 to 4294967295\\), found 4294967296'), 2],
  ['a weight of 2^32 - 1 is taken', '{"op":"tmem_control","subop":"set_weight","domid":1,"arg":4294967295}', { ok: true, rc: 0 }, 0],
  ['a pool id of 2^31', '{"op":"tmem_get","domid":1,"pool":2147483648,"oid":[1,0,0],"index":0}', E('field "pool": expected a pool id'), 2],
  ['a domid at DOMID_FIRST_RESERVED', '{"op":"domain_create","domid":32752,"max_pages":1}', E('field "domid": expected a domain id \\(an integer from 0 to 32751\\)'), 2],
  // missing fields
  ['domain_create without max_pages', '{"op":"domain_create","domid":3}', E('field "max_pages": .*found nothing \\(the field is missing\\)'), 2],
  ['tmem_put without a handle', '{"op":"tmem_put","domid":1,"fill":1}', E('field "pool": .*missing'), 2],
  ['tmem_put without contents', '{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":0}', E('give exactly one of "data", "fill" or "fp", found 0'), 2],
  ['no op at all', '{"domid":1}', E('field "op": .*found nothing'), 2],
  // data
  ['data of 1 byte', '{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":1,"data":"QQ=="}', E('field "data": expected base64 of exactly 4096 bytes, found 1 byte'), 2],
  ['data of 3 bytes', '{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":1,"data":"QUJD"}', E('field "data": expected base64 of exactly 4096 bytes, found 3 bytes'), 2],
  ['data of 4097 bytes', `{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":1,"data":"${Buffer.alloc(4097).toString('base64')}"}`, E('field "data": .*found 4097 bytes'), 2],
  ['data that is not base64', '{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":1,"data":"!!!!"}', E('field "data": expected base64 of exactly 4096 bytes, found text that is not base64'), 2],
  ['base64url data', `{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":1,"data":"${Buffer.alloc(4096, 0xfb).toString('base64url')}"}`, E('field "data": .*not base64'), 2],
  ['data and fill together', `{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":1,"fill":1,"data":"${PAGE64}"}`, E('give exactly one'), 2],
  ['data as a number', '{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":1,"data":4096}', E('field "data": .*found 4096'), 2],
  ['fill of 256', '{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":1,"fill":256}', E('field "fill": expected a byte value'), 2],
  ['fp on a bytes store', '{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":1,"fp":"00000000000000ff"}', E('field "fp": the host\'s tmem store is "bytes"'), 2],
  // pools
  ['an unknown pool', '{"op":"tmem_put","domid":1,"pool":9,"oid":[1,0,0],"index":0,"fill":1}', { ok: false, errno: 'ENODEV' }, 0],
  ['get from an unknown pool', '{"op":"tmem_get","domid":1,"pool":15,"oid":[1,0,0],"index":0}', { ok: false, errno: 'ENODEV' }, 0],
  ['a pool of an unknown domain', '{"op":"tmem_get","domid":77,"pool":0,"oid":[1,0,0],"index":0}', { ok: false, errno: 'ENODEV' }, 0],
  ["another client's private pool (get)", '{"op":"tmem_get","domid":1,"pool":0,"oid":[1,0,0],"index":0,"caller":2}', { ok: false, errno: 'EPERM' }, 0],
  ["another client's private pool (put)", '{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":0,"fill":1,"caller":2}', { ok: false, errno: 'EPERM' }, 0],
  // Said with what was found, and in our words (zod's own was "Too big: expected array to have <=65 items").
  ['an unknown control subop', '{"op":"tmem_control","subop":"defrag","domid":1}', E('field "subop": expected one of freeze, thaw, .*, restore_begin, found the string "defrag"$'), 2],
  ['a control subop as a number', '{"op":"tmem_control","subop":3,"domid":1}', E('field "subop": expected one of .*, found 3$'), 2],
  ['66 claim entries', `{"op":"claim_memory","domid":1,"claims":[${Array(66).fill('{"node":0,"pages":1}').join(',')}]}`, E('field "claims": expected at most 65 entries \\(one per node of at most 64, and the global one\\), found an array of 66$'), 2],
  ['a bad uuid', '{"op":"tmem_new_pool","domid":1,"shared":true,"uuid":"not-a-uuid"}', E('field "uuid": expected a UUID as 32 hex digits'), 2],
  // prototype keys
  ['__proto__ at the top', '{"op":"physinfo","__proto__":{"ok":false}}', E('unknown field "__proto__"'), 2],
  ['constructor at the top', '{"op":"physinfo","constructor":{"prototype":{"x":1}}}', E('unknown field "constructor"'), 2],
  ['__proto__ as the op', '{"op":"__proto__"}', E('unknown op "__proto__"'), 2],
  ['toString as the op', '{"op":"toString"}', E('unknown op "toString"'), 2],
  ['hasOwnProperty as the op', '{"op":"hasOwnProperty"}', E('unknown op "hasOwnProperty"'), 2],
  // not objects
  ['a top-level array', '[{"op":"physinfo"}]', E('expected a JSON object with an "op" field, found an array of 1'), 2],
  ['an empty array', '[]', E('expected a JSON object .* found an empty array'), 2],
  ['null', 'null', E('expected a JSON object .* found null'), 2],
  ['a number', '42', E('expected a JSON object .* found 42'), 2],
  ['a string', '"physinfo"', E('expected a JSON object .* found the string "physinfo"'), 2],
  ['not JSON', '{op: physinfo}', E('not valid JSON'), 2],
  ['a truncated line', '{"op":"physinfo"', E('not valid JSON'), 2],
  ['binary garbage', '\u0000\u0001\u00ff\ufffd', E('not text \\(a NUL byte or bytes that are not UTF-8\\)'), 2],
  ['JSON nested 100000 deep', '['.repeat(100_000) + ']'.repeat(100_000), /^line 7: (not valid JSON|expected a JSON object)/, 2],
  ['a second host line', HOST, E('the host was already described on line 1'), 2],
];

describe('hostile replay lines: each answers its error and exit status, and changes nothing', () => {
  for (const [what, line, expected, status] of cases) {
    test(what, async () => {
      const probe = '{"op":"physinfo"}';
      const r = await replay([...SETUP, probe, line, probe].join('\n'));
      assert.equal(r.out.length, 8, r.out.join('\n'));
      const answer = JSON.parse(r.out[6]) as Record<string, unknown>;
      if (expected instanceof RegExp) {
        assert.equal(answer.ok, false);
        assert.match(String(answer.error), expected, String(answer.error));
        // A line error changes nothing.
        assert.equal(r.out[7], r.out[5], 'physinfo after the line error equals physinfo before');
      } else {
        assert.deepEqual(answer, expected);
      }
      assert.equal(r.status, status);
      assert.equal(r.err, '', 'no invariant violated');
      assert.equal(({} as Record<string, unknown>).x, undefined);
      assert.equal(({} as Record<string, unknown>).ok, undefined);
    });
  }

  test('a host line that is not first, and requests before any host', async () => {
    const r = await replay('{"op":"physinfo"}\n{"op":"domain_create","domid":1,"max_pages":1}\n' + HOST + '\n{"op":"physinfo"}');
    assert.match(JSON.parse(r.out[0]).error, /^line 1: the first request must be \{"op":"host"/);
    assert.match(JSON.parse(r.out[1]).error, /^line 2: the first request must be/);
    assert.equal(JSON.parse(r.out[3]).ok, true);
    assert.equal(r.status, 2);
  });

  test('hostile host lines: 2^40+1 pages, more xen pages than pages, 0 nodes, unknown tmem option, __proto__ in tmem', async () => {
    for (const [line, re] of [
      ['{"op":"host","pages":1099511627777}', /field "pages": expected a page count \(an integer from 1 to 1099511627776\)/],
      ['{"op":"host","pages":10,"xen_pages":11}', /field "xen_pages": 11 exceeds the host's 10 pages/],
      ['{"op":"host","pages":10,"nodes":0}', /field "nodes": expected a node count \(an integer from 1 to 64\), found 0/],
      ['{"op":"host","pages":0}', /field "pages": expected a page count \(an integer from 1 to 1099511627776\), found 0/],
      ['{"op":"host","pages":3,"nodes":4}', /field "nodes": 4 nodes for 3 pages \(at most one node a page\)/],
      ['{"op":"host","pages":10,"nodes":65}', /field "nodes": expected a node count/],
      ['{"op":"host","pages":10,"tmem":{"dedupe":true}}', /unknown field "tmem\.dedupe"$/],
      ['{"op":"host","pages":10,"tmem":{"__proto__":{"dedup":true}}}', /unknown field "tmem\.__proto__"$/],
      ['{"op":"host","pages":10,"tmem":{"store":"disk"}}', /field "tmem.store": expected "bytes" or "synthetic", found the string "disk"$/],
      // A value of the wrong type is said in our words, with what was found.
      ['{"op":"host","pages":10,"tmem":[]}', /field "tmem": expected an object, found an empty array$/],
      ['{"op":"host","pages":10,"tmem":null}', /field "tmem": expected an object, found null$/],
      ['{"op":"host","pages":10,"nodes":[2]}', /field "nodes": expected a node count \(an integer from 1 to 64\), found an array of 1$/],
    ] as const) {
      const r = await replay(line);
      assert.equal(r.status, 2, line);
      assert.match(JSON.parse(r.out[0]).error, new RegExp(`^line 1: ${re.source}`), line);
    }
  });

  test('16 pools per client, then EPERM; 16 shared pools on the host, then EPERM', async () => {
    const lines = [HOST, '{"op":"domain_create","domid":1,"max_pages":10}', '{"op":"domain_create","domid":2,"max_pages":10}'];
    for (let i = 0; i < 17; i++) lines.push('{"op":"tmem_new_pool","domid":1}');
    for (let i = 0; i < 17; i++) lines.push(`{"op":"tmem_new_pool","domid":2,"shared":true,"uuid":"${i.toString(16).padStart(32, '0')}"}`);
    const r = await replay(lines.join('\n'));
    assert.equal(r.status, 0);
    const out = r.out.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (let i = 0; i < 16; i++) assert.deepEqual(out[3 + i], { ok: true, rc: i });
    assert.deepEqual(out[19], { ok: false, errno: 'EPERM' });
    for (let i = 0; i < 16; i++) assert.deepEqual(out[20 + i], { ok: true, rc: i });
    assert.deepEqual(out[36], { ok: false, errno: 'EPERM' });
  });
});

describe('the CLI on hostile files', () => {
  test('every hostile line at once: exit 2, every answer as in-process, no stack trace', async () => {
    const text = [...SETUP, ...cases.map((c) => c[1])].join('\n') + '\n';
    const file = join(dir, 'all.jsonl');
    writeFileSync(file, text);
    const inProcess = await replay(text);
    const r = spawnSync(process.execPath, [bin, 'replay', file, '--check'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.trim().split('\n').length, SETUP.length + cases.length);
    assert.deepEqual(r.stdout.trim().split('\n'), inProcess.out);
  });

  test('10,000 new_pool lines (and 10,000 for other domains) run quickly; pools are refused after 16 per client', () => {
    const lines = [HOST];
    for (let d = 1; d <= 100; d++) lines.push(`{"op":"domain_create","domid":${d},"max_pages":10}`);
    for (let i = 0; i < 10_000; i++) lines.push('{"op":"tmem_new_pool","domid":1,"persistent":true}');
    for (let i = 0; i < 10_000; i++) lines.push(`{"op":"tmem_new_pool","domid":${(i % 100) + 1},"caller":${(i % 100) + 1}}`);
    const file = join(dir, 'pools.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const started = Date.now();
    // Seconds alone on the machine; the bound is for a search gone quadratic, with room for a loaded machine.
    const r = spawnSync(process.execPath, [bin, 'replay', file], { encoding: 'utf8', timeout: 120_000 });
    const ms = Date.now() - started;
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const first = out.slice(101, 10_101);
    assert.equal(first.filter((o) => o.ok === true).length, 16);
    assert.equal(first.filter((o) => o.errno === 'EPERM').length, 10_000 - 16);
    const spread = out.slice(10_101);
    // Domain 1 is already full; domains 2..100 get 16 each, then EPERM.
    assert.equal(spread.filter((o) => o.ok === true).length, 99 * 16);
    assert.ok(ms < 60_000, `took ${ms} ms`);
  });

  test('an empty file exits 0 with no output; a binary file exits 2 with one error per line; a directory exits 2', () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const e = spawnSync(process.execPath, [bin, 'replay', empty], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(e.status, 0);
    assert.equal(e.stdout, '');
    const binary = join(dir, 'binary.jsonl');
    writeFileSync(binary, Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) & 0xff)));
    const b = spawnSync(process.execPath, [bin, 'replay', binary], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(b.status, 2);
    assert.doesNotMatch(b.stderr, / {4}at /);
    for (const l of b.stdout.trim().split('\n')) assert.match(JSON.parse(l).error, /^line \d+: (not valid JSON|expected a JSON object|not text \(a NUL byte or bytes that are not UTF-8\))/);
    const d = spawnSync(process.execPath, [bin, 'replay', dir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(d.status, 2);
    assert.equal(d.stderr.trim(), `hypermem: cannot read ${dir}: it is a directory, not a file`);
  });
});
