// `hypermem validate`: one line for a valid scenario (exit 0), the located error otherwise (exit 2).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describeScenario, validateCommand } from '../../src/cli/validate.ts';
import { parseScenario } from '../../src/scenario/load.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(file: string, sets: string[] = []) {
  let out = '';
  let err = '';
  const status = validateCommand(file, sets, { write: (t: string) => (out += t) }, { write: (t: string) => (err += t) });
  return { status, out, err };
}

describe('hypermem validate', () => {
  test('a valid scenario: one line saying what it describes, exit 0', () => {
    const r = run(`${root}examples/claim-race.yaml`);
    assert.equal(r.status, 0);
    assert.equal(r.out, 'ok: claim-race — 8 guests, 3 timeline entries, host 64 GiB, policy claim\n');
    assert.equal(r.err, '');
  });

  test('the timeline is counted in entries, a launch with count as one, its launches beside them', () => {
    const describe = (timeline: string[]) =>
      describeScenario(parseScenario(`name: t\nduration: 10s\nhost: {memory: 16GiB}\nguests:\n  - {name: vm, memory: 1GiB}\ntimeline:\n${timeline.map((e) => `  - ${e}`).join('\n')}\n`, 't.yaml'));
    const db = '{at: 1s, launch: {name: db, count: 2, memory: 1GiB}}';
    assert.equal(describe([db]), 'ok: t — 1 guest, 1 timeline entry (launching 2 guests), host 16 GiB, policy claim');
    const eight = Array.from({ length: 8 }, (_, i) => `{at: ${i + 2}s, launch: {name: l${i}, memory: 1GiB}}`);
    assert.equal(describe([db, ...eight]), 'ok: t — 1 guest, 9 timeline entries (launching 10 guests), host 16 GiB, policy claim');
    assert.equal(describe(['{at: 1s, launch: {name: a, memory: 1GiB}}', '{at: 2s, launch: {name: b, memory: 1GiB}}']), 'ok: t — 1 guest, 2 timeline entries, host 16 GiB, policy claim');
    // Entries after the end are counted as entries too.
    assert.equal(describe(['{at: 11s, launch: {name: late, count: 3, memory: 1GiB}}']), 'ok: t — 1 guest, 1 timeline entry (launching 3 guests), host 16 GiB, policy claim (1 entry after the end of the run: not run)');
  });

  test('a host with no guests and no launches is valid, and said to run dom0 alone', () => {
    const describe = (rest: string) => describeScenario(parseScenario(`name: t\nduration: 10s\nhost: {memory: 16GiB}\n${rest}`, 't.yaml'));
    assert.equal(describe('guests: []\n'), 'ok: t — 0 guests, 0 timeline entries, host 16 GiB, policy claim; no guests and no launches: only dom0 runs');
    assert.equal(describe(''), 'ok: t — 0 guests, 0 timeline entries, host 16 GiB, policy claim; no guests and no launches: only dom0 runs');
    assert.equal(describe('timeline:\n  - {at: 1s, launch: {name: a, memory: 1GiB}}\n'), 'ok: t — 0 guests, 1 timeline entry, host 16 GiB, policy claim');
  });

  test('--set is applied before validation', () => {
    const r = run(`${root}examples/claim-race.yaml`, ['toolstack.policy=none', 'guests[0].count=1', 'guests[1].count=1']);
    assert.equal(r.out, 'ok: claim-race — 2 guests, 3 timeline entries, host 64 GiB, policy none\n');
  });

  test('a file value wrong only with a --set says which --set were applied', () => {
    const r = run(`${root}examples/claim-race.yaml`, ['guests[0].memory=70GiB']);
    assert.equal(r.status, 2);
    assert.match(r.err, /claim-race\.yaml:\d+:\d+: guests\[0\]\.maxmem: expected at least memory \(70 GiB\), found 8 GiB \(with --set guests\[0\]\.memory=70GiB\)\n$/);
  });

  test('a field set twice by --set is refused, as run refuses it (not "the last one wins")', () => {
    const r = run(`${root}examples/claim-race.yaml`, ['toolstack.policy=none', 'toolstack.policy=reservation']);
    assert.equal(r.status, 2);
    assert.equal(r.out, '');
    assert.equal(r.err, 'hypermem validate: --set toolstack.policy=reservation: toolstack.policy is already set by --set toolstack.policy=none; give each field once\n');
  });

  test('an invalid scenario: the located error on stderr, exit 2', () => {
    const file = `${root}test/scenario/broken/size-bad-unit.yaml`;
    const r = run(file);
    assert.equal(r.status, 2);
    assert.equal(r.out, '');
    assert.equal(r.err, `hypermem validate: ${file}:7:13: guests[0].memory: expected a size such as 4GiB, found "4 gigs" (units: B, KiB, MiB, GiB, TiB)\n`);
  });

  test('a missing file and a bad --set', () => {
    assert.deepEqual(run('no/such.yaml'), { status: 2, out: '', err: 'hypermem validate: no/such.yaml: no such file\n' });
    const r = run(`${root}examples/claim-race.yaml`, ['toolstack.polcy=none']);
    assert.equal(r.status, 2);
    assert.match(r.err, /toolstack\.polcy: no such key; did you mean policy\? \(toolstack has: policy, build_rate, build_batch\), in --set toolstack\.polcy=none\n$/);
  });
});
